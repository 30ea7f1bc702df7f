// SPDX-License-Identifier: MIT
/* firmware.c: OVMF's files for UEFI guests, and each guest's own variables store (qemu-img) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/storage/firmware.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

#define OVMF_DIR "/usr/share/OVMF"

static const struct {
	const char *name, *code, *vars;
} kinds[] = {
	[FIRMWARE_BIOS] = { "bios", NULL, NULL },
	[FIRMWARE_UEFI] = { "uefi", "OVMF_CODE_4M.fd", "OVMF_VARS_4M.fd" },
	/* .ms.fd: the Secure Boot build (a link to .secboot.fd) and variables with Microsoft's
	 * keys enrolled, Secure Boot enabled */
	[FIRMWARE_UEFI_SECURE] = { "uefi-secure", "OVMF_CODE_4M.ms.fd", "OVMF_VARS_4M.ms.fd" },
};

int firmware_parse(const char *value, enum firmware_kind *k)
{
	*k = FIRMWARE_BIOS;
	if (!value)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(value, kinds[i].name)) {
			*k = (enum firmware_kind)i;
			return 0;
		}
	return vmm_invalid("firmware \"%s\": use bios, uefi or uefi-secure", value);
}

const char *firmware_name(enum firmware_kind k)
{
	return kinds[k].name;
}

static int one_file(enum firmware_kind k, const char *dir, const char *file, char *out,
		    size_t len)
{
	snprintf(out, len, "%s/%s", dir, file);
	if (access(out, R_OK) < 0)
		return vmm_fail("firmware %s: %s: no such file (install the ovmf package)",
				kinds[k].name, out);
	return 0;
}

int firmware_files(enum firmware_kind k, struct firmware_files *f)
{
	const char *dir = getenv("VMM_OVMF_DIR");
	memset(f, 0, sizeof(*f));
	if (k == FIRMWARE_BIOS)
		return vmm_fail("firmware bios: no files of vmm's (QEMU's own SeaBIOS)");
	if (!dir || !*dir)
		dir = OVMF_DIR;
	if (one_file(k, dir, kinds[k].code, f->code, sizeof(f->code)) < 0 ||
	    one_file(k, dir, kinds[k].vars, f->vars_template, sizeof(f->vars_template)) < 0)
		return -1;
	return 0;
}

char *firmware_vars_path(const struct vmm_home *h, const char *name, enum firmware_kind k,
			 bool qcow2)
{
	return util_fmt("%s/%s-%s-vars.%s", h->images, name, kinds[k].name, qcow2 ? "qcow2" : "fd");
}

int firmware_vars_ensure(const struct vmm_home *h, const char *name, enum firmware_kind k,
			 bool qcow2, char **path, bool *made)
{
	struct firmware_files f;
	char *p = firmware_vars_path(h, name, k, qcow2), *err = NULL;
	int rc = -1;
	*path = NULL;
	if (made)
		*made = false;
	if (util_exists(p)) {
		*path = p; /* the guest's own store: never replaced */
		return 0;
	}
	if (firmware_files(k, &f) < 0)
		goto out;
	char *argv[] = { "qemu-img", "convert", "-q", "-f", "raw", "-O", qcow2 ? "qcow2" : "raw",
			 f.vars_template, p, NULL };
	mode_t old = umask(077);
	int st = util_run(argv, NULL, &err);
	umask(old);
	if (st != 0) {
		if (st > 0) {
			if (err)
				err[strcspn(err, "\n")] = '\0';
			vmm_fail("%s: firmware variables %s: %s", name, p,
				 err && *err ? err : "qemu-img convert failed");
		}
		unlink(p);
		goto out;
	}
	if (made)
		*made = true;
	*path = p;
	p = NULL;
	rc = 0;
out:
	free(err);
	free(p);
	return rc;
}
