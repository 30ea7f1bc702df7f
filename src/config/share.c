// SPDX-License-Identifier: MIT
/* share.c: shared folders' specs "HOSTDIR[:TAG][:ro][:9p|:virtiofs]": parse, format, check */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/config/share.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

static bool tag_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

static int check_tag(const char *spec, const char *tag)
{
	size_t n = strlen(tag);
	if (n == 0 || n > SHARE_TAG_MAX)
		return vmm_invalid("share \"%s\": the tag must have 1 to %d characters", spec,
				   SHARE_TAG_MAX);
	if (tag[0] == '.' || tag[0] == '-')
		return vmm_invalid("share \"%s\": the tag may not start with '%c'", spec, tag[0]);
	for (size_t i = 0; i < n; i++)
		if (!tag_char(tag[i]))
			return vmm_invalid("share \"%s\": tag \"%s\": use A-Z, a-z, 0-9, '_', '.' "
					   "and '-'",
					   spec, tag);
	return 0;
}

/* The default tag: the folder's last component, characters outside the tag set made '_'. */
static void default_tag(const char *dir, char tag[SHARE_TAG_MAX + 1])
{
	size_t len = strlen(dir);
	while (len > 1 && dir[len - 1] == '/')
		len--;
	size_t start = len;
	while (start > 0 && dir[start - 1] != '/')
		start--;
	size_t n = 0;
	for (size_t i = start; i < len && n < SHARE_TAG_MAX; i++)
		tag[n++] = tag_char(dir[i]) ? dir[i] : '_';
	tag[n] = '\0';
	if (n > 0 && (tag[0] == '.' || tag[0] == '-'))
		tag[0] = '_';
}

/* One ":WORD" after the folder: the tag (first, when not a known word), ro, 9p, virtiofs. */
static int parse_word(const char *spec, const char *w, bool first, struct vmm_share *s,
		      bool *have_tag)
{
	if (!strcmp(w, "ro") || !strcmp(w, "rw")) {
		s->ro = !strcmp(w, "ro");
		return 0;
	}
	if (!strcmp(w, "9p") || !strcmp(w, "virtiofs")) {
		s->kind = !strcmp(w, "9p") ? SHARE_9P : SHARE_VIRTIOFS;
		return 0;
	}
	if (!first || *have_tag)
		return vmm_invalid("share \"%s\": \"%s\": want ro, rw, 9p or virtiofs after the tag",
				   spec, w);
	if (check_tag(spec, w) < 0)
		return -1;
	snprintf(s->tag, sizeof(s->tag), "%s", w);
	*have_tag = true;
	return 0;
}

int share_parse(const char *spec, struct vmm_share *s)
{
	memset(s, 0, sizeof(*s));
	char *copy = util_strdup(spec ? spec : "");
	char *save = NULL, *dir = strtok_r(copy, ":", &save);
	bool have_tag = false;
	int rc = -1;
	if (!spec || spec[0] != '/' || !dir || strchr(spec, '\n')) {
		vmm_invalid("share \"%s\": want an absolute HOSTDIR[:TAG][:ro]", spec ? spec : "");
		goto out;
	}
	if (strlen(dir) >= sizeof(s->dir)) {
		vmm_invalid("share \"%s\": folder name too long", spec);
		goto out;
	}
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	if (strstr(spec, "::") || spec[strlen(spec) - 1] == ':') {
		vmm_invalid("share \"%s\": empty field", spec);
		goto out;
	}
	bool first = true;
	for (char *w = strtok_r(NULL, ":", &save); w; w = strtok_r(NULL, ":", &save)) {
		if (parse_word(spec, w, first, s, &have_tag) < 0)
			goto out;
		first = false;
	}
	if (!have_tag) {
		default_tag(s->dir, s->tag);
		if (check_tag(spec, s->tag) < 0)
			goto out;
	}
	if (s->ro && s->kind == SHARE_VIRTIOFS) {
		vmm_invalid("share \"%s\": virtiofsd has no read-only mode (a read-only share is 9p)",
			    spec);
		goto out;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

char *share_format(const struct vmm_share *s)
{
	return util_fmt("%s:%s%s%s", s->dir, s->tag, s->ro ? ":ro" : "",
			s->kind == SHARE_9P ? ":9p" : s->kind == SHARE_VIRTIOFS ? ":virtiofs" : "");
}

int share_parse_all(char *const *specs, size_t n, struct vmm_share **out)
{
	*out = NULL;
	if (n == 0)
		return 0;
	struct vmm_share *v = calloc(n, sizeof(*v));
	if (!v)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (share_parse(specs[i], &v[i]) < 0)
			goto fail;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(v[i].tag, v[j].tag)) {
				vmm_invalid("share \"%s\": tag \"%s\" is already used by \"%s\"",
					    specs[i], v[i].tag, specs[j]);
				goto fail;
			}
	}
	*out = v;
	return 0;
fail:
	free(v);
	return -1;
}

int share_check_dir(const struct vmm_share *s)
{
	struct stat st;
	if (stat(s->dir, &st) < 0)
		return vmm_invalid("share \"%s\": %s", s->dir,
				   errno == ENOENT ? "no such folder" : util_strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return vmm_invalid("share \"%s\": not a folder", s->dir);
	return 0;
}

int share_resolve_kind(const struct vmm_share *s, bool as_root, bool have_virtiofsd,
		       enum share_kind *kind)
{
	bool virtiofs_ok = as_root && have_virtiofsd && !s->ro;
	if (s->kind == SHARE_VIRTIOFS && !virtiofs_ok)
		return vmm_invalid("share %s: virtiofs needs %s", s->tag,
				   !as_root ? "root (virtiofsd runs as root; 9p does without)"
					    : "/usr/lib/qemu/virtiofsd (package qemu-system-common)");
	*kind = s->kind == SHARE_AUTO ? (virtiofs_ok ? SHARE_VIRTIOFS : SHARE_9P) : s->kind;
	return 0;
}

const char *share_kind_name(enum share_kind k)
{
	return k == SHARE_9P ? "9p" : k == SHARE_VIRTIOFS ? "virtiofs" : "auto";
}

const char *share_virtiofsd_path(void)
{
	const char *p = getenv("VMM_VIRTIOFSD");
	return p && *p ? p : SHARE_VIRTIOFSD;
}

enum share_kind share_kind_here(const struct vmm_share *s)
{
	enum share_kind k = SHARE_9P;
	if (share_resolve_kind(s, geteuid() == 0, access(share_virtiofsd_path(), X_OK) == 0,
			       &k) < 0)
		vmm_error_clear(); /* asked for virtiofs where it cannot run: start says so */
	return s->kind == SHARE_AUTO ? k : s->kind;
}
