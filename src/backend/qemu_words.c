// SPDX-License-Identifier: MIT
/* qemu_words.c: a growing word list for QEMU's argv, and the escaping of option values */
#include <stdlib.h>
#include <string.h>

#include "vmm/backend/qemu_words.h"
#include "vmm/sys/util.h"

void qemu_words_add(struct qemu_words *w, char *s)
{
	if (w->n + 2 > w->cap) {
		w->cap = w->cap ? w->cap * 2 : 32;
		w->v = realloc(w->v, w->cap * sizeof(*w->v));
		if (!w->v)
			abort();
	}
	w->v[w->n++] = s;
	w->v[w->n] = NULL;
}

void qemu_words_add2(struct qemu_words *w, const char *opt, char *val)
{
	qemu_words_add(w, util_strdup(opt));
	qemu_words_add(w, val);
}

char *qemu_opt_escape(const char *s)
{
	char *r = malloc(strlen(s) * 2 + 1), *o = r;
	if (!r)
		abort();
	for (; *s; s++) {
		*o++ = *s;
		if (*s == ',')
			*o++ = ',';
	}
	*o = '\0';
	return r;
}

char *qemu_words_file(struct qemu_words *w, int fd, const char *path, bool by_path)
{
	char *e = qemu_opt_escape(path);
	if (by_path)
		return e;
	qemu_words_add2(w, "-add-fd", util_fmt("fd=%d,set=%d,opaque=%s", fd, fd, e));
	free(e);
	return util_fmt("/dev/fdset/%d", fd);
}
