// SPDX-License-Identifier: MIT
/* disk.c: qcow2 disks through qemu-img, spawned with an argv, never overwriting an image */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/storage/disk.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

/* First line of a tool's stderr, without the "qemu-img: " prefix. */
static const char *first_line(char *err)
{
	if (!err)
		return "failed";
	char *nl = strchr(err, '\n');
	if (nl)
		*nl = '\0';
	if (!strncmp(err, "qemu-img: ", 10))
		err += 10;
	return *err ? err : "failed";
}

int disk_info(const char *path, char **format, uint64_t *virtual_size)
{
	char *argv[] = { "qemu-img", "info", "--output=json", (char *)path, NULL };
	char *out = NULL, *err = NULL;
	int rc = -1;
	json_object *root = NULL, *v;
	int st = util_run_clean(argv, &out, &err);
	if (st < 0)
		goto out;
	if (st != 0) {
		vmm_invalid("image %s: %s", path, first_line(err));
		goto out;
	}
	root = json_tokener_parse(out);
	if (!root || !json_object_object_get_ex(root, "format", &v)) {
		vmm_fail("image %s: cannot read qemu-img info output", path);
		goto out;
	}
	if (format)
		*format = util_strdup(json_object_get_string(v));
	if (virtual_size) {
		*virtual_size = json_object_object_get_ex(root, "virtual-size", &v)
					? (uint64_t)json_object_get_int64(v)
					: 0;
	}
	rc = 0;
out:
	json_object_put(root);
	free(out);
	free(err);
	return rc;
}

static int run_create(char *argv[], const char *path)
{
	char *err = NULL;
	/* a guest's disk is its owner's alone: qemu-img creates it 0600 (QEMU's user and
	 * libvirt's get an ACL entry at start) */
	mode_t old = umask(077);
	int st = util_run_clean(argv, NULL, &err);
	umask(old);
	int rc = 0;
	if (st < 0)
		rc = -1;
	else if (st != 0) {
		rc = vmm_fail("disk %s: %s", path, first_line(err));
		unlink(path); /* ours: it did not exist before */
	}
	free(err);
	return rc;
}

static int refuse_existing(const char *path)
{
	if (access(path, F_OK) == 0)
		return vmm_invalid("disk %s: already exists (not overwriting; use --reuse-disk to "
				   "adopt it)",
				   path);
	return 0;
}

int disk_create(const char *path, uint64_t bytes)
{
	if (refuse_existing(path) < 0)
		return -1;
	char size[32];
	snprintf(size, sizeof(size), "%" PRIu64, bytes);
	char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", (char *)path, size, NULL };
	return run_create(argv, path);
}

int disk_create_overlay(const char *path, const char *backing, uint64_t bytes)
{
	char *fmt = NULL;
	uint64_t vsize = 0;
	int rc = -1;
	if (refuse_existing(path) < 0)
		return -1;
	if (disk_info(backing, &fmt, &vsize) < 0)
		return -1;
	if (bytes && bytes < vsize) {
		rc = vmm_invalid("size: smaller than the image %s (%" PRIu64 " bytes)", backing,
				 vsize);
		goto out;
	}
	char size[32];
	snprintf(size, sizeof(size), "%" PRIu64, bytes ? bytes : vsize);
	char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-F", fmt, "-b",
			 (char *)backing, (char *)path, size, NULL };
	rc = run_create(argv, path);
out:
	free(fmt);
	return rc;
}
