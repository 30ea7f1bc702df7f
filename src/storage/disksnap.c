// SPDX-License-Identifier: MIT
/* disksnap.c: internal qcow2 snapshots through qemu-img: list (info -U), create, apply, delete */
#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/storage/disksnap.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

int disksnap_check_tag(const char *tag)
{
	size_t n = tag ? strlen(tag) : 0;
	bool digits = true;
	if (n == 0 || n > DISKSNAP_TAG_MAX)
		return vmm_invalid("snapshot tag \"%s\": use 1 to %d characters", tag ? tag : "",
				   DISKSNAP_TAG_MAX);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)tag[i];
		if (!isalnum(c) && c != '_' && c != '.' && c != '-')
			return vmm_invalid("snapshot tag \"%s\": use A-Z, a-z, 0-9, '_', '.' and '-'",
					   tag);
		digits = digits && isdigit(c);
	}
	if (tag[0] == '-' || tag[0] == '.')
		return vmm_invalid("snapshot tag \"%s\": may not start with '%c'", tag, tag[0]);
	if (digits)
		return vmm_invalid("snapshot tag \"%s\": not all digits (QEMU reads those as ids)",
				   tag);
	return 0;
}

static int64_t member_int(json_object *o, const char *key)
{
	json_object *v = NULL;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

int disksnap_parse_info(const char *json, char *fmt, size_t fmt_len, struct disksnap **out,
			size_t *n)
{
	json_object *root = json_tokener_parse(json), *f = NULL, *snaps = NULL;
	*out = NULL;
	*n = 0;
	if (!root || !json_object_object_get_ex(root, "format", &f)) {
		json_object_put(root);
		return vmm_fail("qemu-img info: unexpected output");
	}
	snprintf(fmt, fmt_len, "%s", json_object_get_string(f));
	size_t count = json_object_object_get_ex(root, "snapshots", &snaps) &&
				       json_object_is_type(snaps, json_type_array)
			       ? json_object_array_length(snaps)
			       : 0;
	struct disksnap *v = count ? calloc(count, sizeof(*v)) : NULL;
	if (count && !v)
		abort();
	for (size_t i = 0; i < count; i++) {
		json_object *s = json_object_array_get_idx(snaps, i), *name = NULL;
		if (json_object_object_get_ex(s, "name", &name))
			snprintf(v[i].name, sizeof(v[i].name), "%s", json_object_get_string(name));
		v[i].vm_state_size = (uint64_t)member_int(s, "vm-state-size");
		v[i].date_sec = member_int(s, "date-sec");
		v[i].vm_clock_ns = (uint64_t)member_int(s, "vm-clock-sec") * 1000000000u +
				   (uint64_t)member_int(s, "vm-clock-nsec");
	}
	json_object_put(root);
	*out = v;
	*n = count;
	return 0;
}

/* The first line of qemu-img's stderr without its "qemu-img: " prefix. */
static const char *reason(char *err)
{
	if (!err || !*err)
		return "qemu-img failed";
	err[strcspn(err, "\n")] = '\0';
	return !strncmp(err, "qemu-img: ", 10) ? err + 10 : err;
}

int disksnap_list(const char *name, const char *path, struct disksnap **out, size_t *n)
{
	char *argv[] = { "qemu-img", "info", "-U", "--output=json", (char *)path, NULL };
	char *text = NULL, *err = NULL, fmt[16];
	int rc = -1;
	*out = NULL;
	*n = 0;
	int st = util_run(argv, &text, &err);
	if (st < 0)
		goto out;
	if (st != 0) {
		vmm_fail("%s: %s", name, reason(err));
		goto out;
	}
	if (disksnap_parse_info(text, fmt, sizeof(fmt), out, n) < 0)
		goto out;
	if (strcmp(fmt, "qcow2")) {
		free(*out);
		*out = NULL;
		*n = 0;
		vmm_invalid("%s: snapshots need a qcow2 disk (%s is %s)", name, path, fmt);
		goto out;
	}
	rc = 0;
out:
	free(text);
	free(err);
	return rc;
}

const struct disksnap *disksnap_find(const struct disksnap *v, size_t n, const char *tag)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, tag))
			return &v[i];
	return NULL;
}

static int run_op(const char *name, const char *path, const char *flag, const char *tag)
{
	char *argv[] = { "qemu-img", "snapshot", (char *)flag, (char *)tag, (char *)path, NULL };
	char *err = NULL;
	int st = util_run(argv, NULL, &err);
	if (st > 0)
		vmm_fail("%s: snapshot %s: %s", name, tag, reason(err));
	free(err);
	return st == 0 ? 0 : -1;
}

int disksnap_offline(const char *name, char *const *paths, size_t n_paths, enum disksnap_op op,
		     const char *tag)
{
	static const char *const flags[] = { "-c", "-a", "-d" };
	for (size_t i = 0; i < n_paths; i++) {
		if (run_op(name, paths[i], flags[op], tag) == 0)
			continue;
		if (op == DISKSNAP_CREATE) { /* all or nothing: the ones made go again */
			struct vmm_saved_error e;
			vmm_error_save(&e);
			for (size_t j = 0; j < i; j++)
				run_op(name, paths[j], "-d", tag);
			vmm_error_restore(&e);
		}
		return -1;
	}
	return 0;
}
