/* SPDX-License-Identifier: MIT */
/* firmware.h: a guest's firmware (profile key `firmware`): SeaBIOS, or OVMF, own variables */
#ifndef VMM_FIRMWARE_H
#define VMM_FIRMWARE_H

#include <stdbool.h>

#include "vmm/config/store.h"

enum firmware_kind {
	FIRMWARE_BIOS,        /* QEMU's default SeaBIOS, the "pc" machine */
	FIRMWARE_UEFI,        /* OVMF without keys (Secure Boot off), the "q35" machine */
	FIRMWARE_UEFI_SECURE, /* OVMF with Microsoft's keys enrolled: Secure Boot on; q35, SMM */
};
#define FIRMWARE_CHOICES "bios|uefi|uefi-secure"

/* The profile's value (NULL: bios). 0, or -1 with vmm_invalid `firmware "X": use bios, uefi or
 * uefi-secure`. */
int firmware_parse(const char *value, enum firmware_kind *k);
/* "bios", "uefi", "uefi-secure" */
const char *firmware_name(enum firmware_kind k);

/* The OVMF files of a kind (paths under $VMM_OVMF_DIR, default /usr/share/OVMF, Debian's ovmf):
 * code (read-only pflash) and the template of the variables. */
struct firmware_files {
	char code[512];
	char vars_template[512];
};
/* The files for k (not bios), each checked readable: else `firmware uefi: PATH: no such file
 * (install the ovmf package)`. */
int firmware_files(enum firmware_kind k, struct firmware_files *f);

/*
 * A guest's own variables store, images/NAME-KIND-vars.qcow2 (qcow2: internal snapshots then
 * include it; a raw pflash makes QEMU refuse them) or, with qcow2 false (libvirt 9.0 knows only
 * raw NVRAM), images/NAME-KIND-vars.fd. One file per kind: switching firmware never hands a
 * Secure Boot guest a store without keys. malloc'd.
 */
char *firmware_vars_path(const struct vmm_home *h, const char *name, enum firmware_kind k,
			 bool qcow2);
/* Make that file from the template when it is missing (qemu-img convert, mode 0600); *made
 * (may be NULL) says it was made now. An existing file is kept as it is. */
int firmware_vars_ensure(const struct vmm_home *h, const char *name, enum firmware_kind k,
			 bool qcow2, char **path, bool *made);

#endif
