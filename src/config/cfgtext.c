// SPDX-License-Identifier: MIT
/* cfgtext.c: libconfig text through tables of keys: typed reads, the writer, string lists */
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/config/cfgtext.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

/* ---- fields ---- */

static void *field_at(const void *base, size_t off)
{
	return (char *)base + off;
}

bool cfg_field_set(const struct cfg_field *f, const void *base, bool keep_empty)
{
	const void *v = field_at(base, f->off);
	switch (f->type) {
	case CFG_UINT:
		return *(const unsigned *)v != 0;
	case CFG_INT:
		return *(const int *)v != 0;
	case CFG_BOOL:
		return *(const bool *)v;
	case CFG_STRING:
		return *(char *const *)v != NULL;
	case CFG_CHARS:
		return *(const char *)v != '\0';
	case CFG_LIST:
		if (keep_empty)
			return *(char **const *)v != NULL;
		return *(const size_t *)field_at(base, f->count_off) > 0;
	case CFG_CUSTOM:
		break;
	}
	return false;
}

void cfg_field_free(const struct cfg_field *f, void *base)
{
	void *v = field_at(base, f->off);
	if (f->type == CFG_STRING) {
		free(*(char **)v);
		*(char **)v = NULL;
	} else if (f->type == CFG_LIST) {
		size_t *n = field_at(base, f->count_off);
		cfg_strv_free(*(char ***)v, *n);
		*(char ***)v = NULL;
		*n = 0;
	}
}

/* ---- reading ---- */

int cfg_open(struct cfg_reader *r, const char *text, const char *file)
{
	r->file = file;
	config_init(&r->cfg);
	if (config_read_string(&r->cfg, text) != CONFIG_TRUE) {
		int rc = vmm_invalid("%s:%d: %s", file, config_error_line(&r->cfg),
				     config_error_text(&r->cfg));
		config_destroy(&r->cfg);
		return rc;
	}
	return 0;
}

void cfg_close(struct cfg_reader *r)
{
	config_destroy(&r->cfg);
}

int cfg_invalid(const struct cfg_reader *r, const config_setting_t *s, const char *reason)
{
	return vmm_invalid("%s:%u: %s: %s", r->file, config_setting_source_line(s),
			   config_setting_name(s), reason);
}

int cfg_invalid_here(const struct cfg_reader *r, const config_setting_t *s)
{
	return vmm_invalid("%s:%u: %s", r->file, config_setting_source_line(s), vmm_errmsg());
}

int cfg_unknown(const struct cfg_reader *r, const config_setting_t *s, const char *group)
{
	if (group)
		return vmm_invalid("%s:%u: unknown key \"%s.%s\"", r->file,
				   config_setting_source_line(s), group, config_setting_name(s));
	return vmm_invalid("%s:%u: unknown key \"%s\"", r->file, config_setting_source_line(s),
			   config_setting_name(s));
}

int cfg_want_group(const struct cfg_reader *r, const config_setting_t *s)
{
	if (config_setting_type(s) != CONFIG_TYPE_GROUP)
		return cfg_invalid(r, s, "expected a group { ... }");
	return 0;
}

int cfg_get_string(const struct cfg_reader *r, const config_setting_t *s, char **out)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return cfg_invalid(r, s, "expected a string");
	cfg_set_str(out, config_setting_get_string(s));
	return 0;
}

int cfg_get_int(const struct cfg_reader *r, const config_setting_t *s, long long *out)
{
	int t = config_setting_type(s);
	if (t == CONFIG_TYPE_INT)
		*out = config_setting_get_int(s);
	else if (t == CONFIG_TYPE_INT64)
		*out = config_setting_get_int64(s);
	else
		return cfg_invalid(r, s, "expected an integer");
	return 0;
}

int cfg_get_bool(const struct cfg_reader *r, const config_setting_t *s, bool *out)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return cfg_invalid(r, s, "expected true or false");
	*out = config_setting_get_bool(s);
	return 0;
}

int cfg_get_strv(const struct cfg_reader *r, const config_setting_t *s, char ***out, size_t *n)
{
	int t = config_setting_type(s);
	if (t == CONFIG_TYPE_STRING) {
		cfg_strv_free(*out, *n);
		*out = calloc(2, sizeof(char *));
		if (!*out)
			abort();
		(*out)[0] = util_strdup(config_setting_get_string(s));
		*n = 1;
		return 0;
	}
	if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
		return cfg_invalid(r, s, "expected a list of strings");
	int len = config_setting_length(s);
	char **v = calloc((size_t)len + 1, sizeof(char *));
	if (!v)
		abort();
	for (int i = 0; i < len; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			cfg_strv_free(v, (size_t)i);
			return cfg_invalid(r, s, "expected a list of strings");
		}
		v[i] = util_strdup(config_setting_get_string(e));
	}
	cfg_strv_free(*out, *n);
	*out = v;
	*n = (size_t)len;
	return 0;
}

static int read_number(const struct cfg_reader *r, const config_setting_t *s,
		       const struct cfg_field *f, void *v)
{
	long long n = 0;
	if (cfg_get_int(r, s, &n) < 0)
		return -1;
	if (n < f->min || n > f->max) {
		char why[96];
		snprintf(why, sizeof(why), "out of range (%lld to %lld%s)", f->min, f->max,
			 f->unit ? f->unit : "");
		return cfg_invalid(r, s, why);
	}
	if (f->type == CFG_UINT)
		*(unsigned *)v = (unsigned)n;
	else
		*(int *)v = (int)n;
	return 0;
}

int cfg_read_field(const struct cfg_reader *r, const config_setting_t *s,
		   const struct cfg_field *f, void *base)
{
	void *v = field_at(base, f->off);
	char *tmp = NULL;
	switch (f->type) {
	case CFG_UINT:
	case CFG_INT:
		return read_number(r, s, f, v);
	case CFG_BOOL:
		return cfg_get_bool(r, s, v);
	case CFG_STRING:
		return cfg_get_string(r, s, v);
	case CFG_CHARS:
		if (cfg_get_string(r, s, &tmp) < 0)
			return -1;
		if (strlen(tmp) >= f->size) {
			free(tmp);
			char why[64];
			snprintf(why, sizeof(why), "at most %zu characters", f->size - 1);
			return cfg_invalid(r, s, why);
		}
		snprintf(v, f->size, "%s", tmp);
		free(tmp);
		return 0;
	case CFG_LIST:
		return cfg_get_strv(r, s, v, field_at(base, f->count_off));
	case CFG_CUSTOM:
		break;
	}
	return vmm_fail("%s: no reader for this key", config_setting_name(s));
}

/* ---- writing ---- */

void cfg_add(struct cfg_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *piece = NULL;
	if (vasprintf(&piece, fmt, ap) < 0)
		abort();
	va_end(ap);
	size_t n = strlen(piece);
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			abort();
	}
	memcpy(b->s + b->len, piece, n + 1);
	b->len += n;
	free(piece);
}

void cfg_quoted(struct cfg_buf *b, const char *s)
{
	cfg_add(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			cfg_add(b, "\\%c", c);
		else if (c == '\n')
			cfg_add(b, "\\n");
		else if (c == '\t')
			cfg_add(b, "\\t");
		else if (c < 0x20)
			cfg_add(b, "\\x%02x", c);
		else
			cfg_add(b, "%c", c);
	}
	cfg_add(b, "\"");
}

void cfg_list(struct cfg_buf *b, char *const *v, size_t n)
{
	cfg_add(b, "[");
	for (size_t i = 0; i < n; i++) {
		cfg_add(b, i ? ", " : " ");
		cfg_quoted(b, v[i]);
	}
	cfg_add(b, n ? " ]" : "]");
}

void cfg_write_field(struct cfg_buf *b, const struct cfg_field *f, const void *base)
{
	const void *v = field_at(base, f->off);
	switch (f->type) {
	case CFG_UINT:
		cfg_add(b, "%u", *(const unsigned *)v);
		break;
	case CFG_INT:
		cfg_add(b, "%d", *(const int *)v);
		break;
	case CFG_BOOL:
		cfg_add(b, "%s", *(const bool *)v ? "true" : "false");
		break;
	case CFG_STRING:
		cfg_quoted(b, *(char *const *)v ? *(char *const *)v : "");
		break;
	case CFG_CHARS:
		cfg_quoted(b, v);
		break;
	case CFG_LIST:
		cfg_list(b, *(char **const *)v, *(const size_t *)field_at(base, f->count_off));
		break;
	case CFG_CUSTOM:
		break;
	}
}

/* ---- choices ---- */

bool cfg_choice_ok(const char *choices, const char *value)
{
	size_t len = strlen(value);
	for (const char *w = choices; *w;) {
		size_t wl = strcspn(w, "|");
		if (wl == len && !strncmp(w, value, len))
			return true;
		w += wl + (w[wl] == '|');
	}
	return false;
}

void cfg_choice_words(struct cfg_buf *b, const char *choices, bool quoted)
{
	const char *q = quoted ? "\"" : "";
	for (const char *w = choices; *w;) {
		size_t wl = strcspn(w, "|");
		const char *sep = w[wl] ? (strchr(w + wl + 1, '|') ? ", " : " or ") : "";
		cfg_add(b, "%s%.*s%s%s", q, (int)wl, w, q, sep);
		w += wl + (w[wl] == '|');
	}
}

/* ---- string lists ---- */

void cfg_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void cfg_strv_push(char ***v, size_t *n, char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(char *));
	if (!nv)
		abort();
	*v = nv;
	nv[(*n)++] = s;
	nv[*n] = NULL;
}

void cfg_split_list(const char *value, char ***out, size_t *n)
{
	char *copy = util_strdup(value), *save = NULL;
	char **v = calloc(1, sizeof(char *));
	size_t cnt = 0;
	if (!v)
		abort();
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		for (size_t l = strlen(t); l && t[l - 1] == ' '; l--)
			t[l - 1] = '\0';
		if (*t)
			cfg_strv_push(&v, &cnt, util_strdup(t));
	}
	free(copy);
	*out = v;
	*n = cnt;
}

void cfg_set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = v ? util_strdup(v) : NULL;
}
