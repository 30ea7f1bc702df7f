/* SPDX-License-Identifier: MIT */
/* qemu_words.h: building QEMU's argv: a growing word list, option values escaped (pure) */
#ifndef VMM_QEMU_WORDS_H
#define VMM_QEMU_WORDS_H

#include <stdbool.h>
#include <stddef.h>

/* A NULL-terminated list of malloc'd words ({ 0 } is empty; v stays NULL until the first). */
struct qemu_words {
	char **v;
	size_t n, cap;
};

/* Append s, which the list now owns. */
void qemu_words_add(struct qemu_words *w, char *s);
/* Append the option opt (copied) and its value val (owned). */
void qemu_words_add2(struct qemu_words *w, const char *opt, char *val);
/* s as a value inside a QEMU option, where ',' separates keys: each comma written twice
 * (malloc'd). */
char *qemu_opt_escape(const char *s);
/* What an option names a file by (malloc'd): descriptor fd, as fd set fd (the -add-fd is
 * appended to w, the path its label), or (by_path) the path itself, escaped. */
char *qemu_words_file(struct qemu_words *w, int fd, const char *path, bool by_path);

#endif
