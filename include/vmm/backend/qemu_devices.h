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

/* The devices' descriptors, from a base on (QEMU_DEV_FD, qemu_argv.h): QEMU opens none of their
 * paths but the 9p folders'. */
#define QEMU_DEVFD_CODE 0  /* OVMF's code, read-only */
#define QEMU_DEVFD_VARS 1  /* the guest's UEFI variables (qcow2), read-write */
#define QEMU_DEVFD_TPM 2   /* swtpm's control channel (one end of a socket pair) */
#define QEMU_DEVFD_SHARE 3 /* + i: a connection to virtiofs share i's daemon */
#define QEMU_DEVFD_MAX_SHARES 13

/* One shared folder as this start gives it. */
struct qemu_share {
	struct vmm_share s;
	enum share_kind kind; /* 9p or virtiofs, resolved for this host */
};

/* What the profile's firmware, shares and tpm keys become (all paths absolute). */
struct qemu_devices {
	enum firmware_kind fw;
	char *code, *vars;           /* UEFI: OVMF's code, the guest's own variables (qcow2) */
	struct qemu_share *shares;
	size_t n_shares;
	bool tpm;
};

/*
 * Resolve p's devices: the OVMF files (checked) and the guest's variables store (made from
 * OVMF's template when make_vars, else only named), each share's folder (checked) and kind
 * (virtiofs as root when virtiofsd is there and the share is read-write, else 9p; at most
 * QEMU_DEVFD_MAX_SHARES of them), the TPM. Free d with qemu_devices_free (also after a failure).
 */
int qemu_devices_resolve(const struct vmm_home *h, const struct vmm_profile *p, bool make_vars,
			 struct qemu_devices *d);
void qemu_devices_free(struct qemu_devices *d);

/*
 * The words they add to QEMU's argv (NULL-terminated, malloc'd; free with util_argv_free), the
 * descriptors numbered from base (QEMU_DEVFD_* slots). Pure. The firmware as -blockdev nodes on
 * descriptors (pflash0, pflash1 of a q35 machine; smm=on and the flash's secure property for
 * Secure Boot), virtio-fs on a descriptor (with a shared memory backend, memory-backend-memfd:
 * virtiofsd maps the guest's memory), 9p by path
 * (-virtfs, security_model=mapped-xattr), the TPM's chardev on a descriptor. -machine only
 * when it differs from the default "pc". run_dir: the words a person types instead (qemu_files'
 * by_path): the files by path, the helpers' sockets in run_dir (SWTPM_SOCK,
 * virtiofsd_sock); NULL: descriptors.
 */
char **qemu_devices_argv(const struct vmm_profile *p, const struct qemu_devices *d, int base,
			 const char *run_dir);

/*
 * Open and start what the devices need, into fds (QEMU_DEVFD_* slots: QEMU's descriptors from
 * QEMU_DEV_FD on): OVMF's code and the variables opened by vmm, swtpm started as u (QEMU's uid)
 * on a socket pair, a virtiofsd per virtiofs share (as root) and a connection to it; each 9p
 * folder granted to u with an ACL entry (recorded in store_grants_path for the lifecycle's
 * release, announced). On failure the helpers started are stopped again.
 */
int qemu_devices_start(const struct vmm_home *h, const struct vmm_profile *p,
		       const char *run_dir, const struct qemu_devices *d,
		       const struct access_user *u, int *fds);
/* Stop whatever of them still runs (by their pid files in run_dir). */
void qemu_devices_stop(const char *run_dir);

#endif
