/* SPDX-License-Identifier: MIT */
/* qemu_devices.h: a QEMU guest's devices beyond disk and NIC: firmware, shared folders, TPM */
#ifndef VMM_QEMU_DEVICES_H
#define VMM_QEMU_DEVICES_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/config/profile.h"
#include "vmm/config/share.h"
#include "vmm/config/store.h"
#include "vmm/storage/firmware.h"
#include "vmm/sys/access.h"

/* One shared folder as this start gives it. */
struct qemu_share {
	struct vmm_share s;
	enum share_kind kind; /* 9p or virtiofs, resolved for this host */
	char *sock;           /* virtiofs: the daemon's socket in run/NAME */
};

/* What the profile's firmware, shares and tpm keys become (all paths absolute). */
struct qemu_devices {
	enum firmware_kind fw;
	char *code, *vars;           /* UEFI: OVMF's code, the guest's own variables (qcow2) */
	struct qemu_share *shares;
	size_t n_shares;
	char *tpm_sock;              /* the swtpm socket, or NULL: no TPM */
};

/*
 * Resolve p's devices for a start in run_dir: the OVMF files (checked) and the guest's variables
 * store (made from OVMF's template when make_vars, else only named), each share's folder
 * (checked) and kind (virtiofs as root when virtiofsd is there and the share is read-write, else
 * 9p), the TPM socket. Free d with qemu_devices_free (also after a failure).
 */
int qemu_devices_resolve(const struct vmm_home *h, const struct vmm_profile *p,
			 const char *run_dir, bool make_vars, struct qemu_devices *d);
void qemu_devices_free(struct qemu_devices *d);

/* The words they add to QEMU's argv (NULL-terminated, malloc'd; free with qemu_argv_free).
 * Pure. -machine only when it differs from the default "pc": q35 (UEFI; smm=on for Secure
 * Boot), memory-backend=mem (virtiofs needs guest memory QEMU shares: memory-backend-memfd). */
char **qemu_devices_argv(const struct vmm_profile *p, const struct qemu_devices *d);

/* What QEMU's user must reach for them (access_need rows into out, at most 2 + n_shares + 1):
 * the variables (read-write), each 9p folder (read-only or read-write), the TPM's state is
 * swtpm's (it runs as that user: its folder). Returns the count. */
size_t qemu_devices_needs(const struct qemu_devices *d, const char *tpm_dir,
			  struct access_need *out, size_t cap);

/* Start what runs beside QEMU: swtpm as u (state in images/NAME-tpm), a virtiofsd per virtiofs
 * share (as root; its socket handed to u). On failure those started are stopped again. */
int qemu_devices_start(const struct vmm_home *h, const struct vmm_profile *p,
		       const char *run_dir, const struct qemu_devices *d,
		       const struct access_user *u);
/* Stop whatever of them still runs (by their pid files in run_dir). */
void qemu_devices_stop(const char *run_dir);

#endif
