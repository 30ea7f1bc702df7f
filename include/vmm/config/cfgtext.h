/* SPDX-License-Identifier: MIT */
/* cfgtext.h: libconfig text read and written through tables of keys (profiles, net.cfg) */
#ifndef VMM_CFGTEXT_H
#define VMM_CFGTEXT_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>

/* ---- where a key's value lives ---- */

/* The kinds of value a table row places in its struct. */
enum cfg_type {
	CFG_CUSTOM, /* the row's own callbacks do everything (no field) */
	CFG_UINT,   /* unsigned, within [min, max] */
	CFG_INT,    /* int, within [min, max] */
	CFG_BOOL,   /* bool */
	CFG_STRING, /* char *, NULL when absent (malloc'd) */
	CFG_CHARS,  /* char[size], "" when absent */
	CFG_LIST,   /* char ** (NULL-terminated, malloc'd) with a size_t count */
};

struct cfg_field {
	enum cfg_type type;
	size_t off;         /* the field in the struct */
	size_t count_off;   /* LIST: its size_t count */
	size_t size;        /* CHARS: the array's size */
	long long min, max; /* UINT, INT: the range a file may give */
	const char *unit;   /* UINT, INT: after the range in messages (" MiB") */
};

/* offsetof(S, f), refused at compile time unless the field has type T (kvmtool's check_vtype):
 * a row cannot place a value in a field of another type. */
#define CFG_OFF(S, f, T)                                                                     \
	(offsetof(S, f) + 0 * sizeof(char[_Generic(&((S *)0)->f, T *: 1, default: -1)]))
#define CFG_OFF_CHARS(S, f)                                                                  \
	(offsetof(S, f) +                                                                     \
	 0 * sizeof(char[_Generic(&((S *)0)->f, char(*)[sizeof(((S *)0)->f)]: 1, default: -1)]))
/* The struct cfg_field of each kind, checked as above. */
#define CFG_F_UINT(S, f, lo, hi, u) { CFG_UINT, CFG_OFF(S, f, unsigned), 0, 0, lo, hi, u }
#define CFG_F_INT(S, f, lo, hi, u) { CFG_INT, CFG_OFF(S, f, int), 0, 0, lo, hi, u }
#define CFG_F_BOOL(S, f) { CFG_BOOL, CFG_OFF(S, f, bool), 0, 0, 0, 0, NULL }
#define CFG_F_STRING(S, f) { CFG_STRING, CFG_OFF(S, f, char *), 0, 0, 0, 0, NULL }
#define CFG_F_CHARS(S, f) { CFG_CHARS, CFG_OFF_CHARS(S, f), 0, sizeof(((S *)0)->f), 0, 0, NULL }
#define CFG_F_LIST(S, f, n)                                                                  \
	{ CFG_LIST, CFG_OFF(S, f, char **), CFG_OFF(S, n, size_t), 0, 0, 0, NULL }
#define CFG_F_CUSTOM { CFG_CUSTOM, 0, 0, 0, 0, 0, NULL }

/* Does the field hold a value: non-zero, true, a string (CHARS: non-empty), a list with at least
 * one entry (keep_empty: any list, even []). CUSTOM: false. */
bool cfg_field_set(const struct cfg_field *f, const void *base, bool keep_empty);
/* Free the field's memory (STRING, LIST) and zero it. */
void cfg_field_free(const struct cfg_field *f, void *base);

/* ---- reading ---- */

struct cfg_reader {
	const char *file; /* for messages */
	config_t cfg;
};

/* Parse text; syntax errors are vmm_invalid "FILE:LINE: MESSAGE". cfg_close after success. */
int cfg_open(struct cfg_reader *r, const char *text, const char *file);
void cfg_close(struct cfg_reader *r);
/* vmm_invalid "FILE:LINE: KEY: REASON"; returns -1. */
int cfg_invalid(const struct cfg_reader *r, const config_setting_t *s, const char *reason);
/* vmm_invalid "FILE:LINE: MESSAGE" with the error slot's message (a check's own wording). */
int cfg_invalid_here(const struct cfg_reader *r, const config_setting_t *s);
/* vmm_invalid `FILE:LINE: unknown key "GROUP.KEY"` (group NULL: top level); returns -1. */
int cfg_unknown(const struct cfg_reader *r, const config_setting_t *s, const char *group);
/* The setting must be a group { ... }. */
int cfg_want_group(const struct cfg_reader *r, const config_setting_t *s);
/* Typed reads (0, or -1 with "expected ..." set); a string replaces *out (freed first). */
int cfg_get_string(const struct cfg_reader *r, const config_setting_t *s, char **out);
int cfg_get_int(const struct cfg_reader *r, const config_setting_t *s, long long *out);
int cfg_get_bool(const struct cfg_reader *r, const config_setting_t *s, bool *out);
/* A list of strings, or one string as a list of one; replaces *out (freed first). */
int cfg_get_strv(const struct cfg_reader *r, const config_setting_t *s, char ***out, size_t *n);
/* Read s into the field by its type: ranges for UINT/INT ("out of range (MIN to MAX UNIT)"),
 * at most size - 1 characters for CHARS. */
int cfg_read_field(const struct cfg_reader *r, const config_setting_t *s,
		   const struct cfg_field *f, void *base);

/* ---- writing ---- */

/* A growing text buffer (s malloc'd, NUL-terminated once anything is added). */
struct cfg_buf {
	char *s;
	size_t len, cap;
};

void cfg_add(struct cfg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A libconfig string literal, escaped. */
void cfg_quoted(struct cfg_buf *b, const char *s);
/* A list of string literals: [ "a", "b" ], or [] */
void cfg_list(struct cfg_buf *b, char *const *v, size_t n);
/* The field's value as libconfig text (NULL strings as ""). */
void cfg_write_field(struct cfg_buf *b, const struct cfg_field *f, const void *base);

/* ---- choices: "auto|nftables|iptables-legacy" ---- */

/* Is value one of the '|' separated words? */
bool cfg_choice_ok(const char *choices, const char *value);
/* The words for a message: a, b or c (quoted: "a", "b" or "c"). */
void cfg_choice_words(struct cfg_buf *b, const char *choices, bool quoted);

/* ---- string lists ---- */

void cfg_strv_free(char **v, size_t n);
/* Append s (now owned by the list) to a NULL-terminated list. */
void cfg_strv_push(char ***v, size_t *n, char *s);
/* Split "a, b,,c" at commas into a new list, each item trimmed of spaces, empty ones dropped. */
void cfg_split_list(const char *value, char ***out, size_t *n);
/* Replace *dst with a copy of v (NULL: none). */
void cfg_set_str(char **dst, const char *v);

#endif
