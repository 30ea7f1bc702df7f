/* SPDX-License-Identifier: MIT */
/* guest/clone.h: `vmm clone SRC NEW`: a stopped guest's copy that boots as a new machine */
#ifndef VMM_GUEST_CLONE_H
#define VMM_GUEST_CLONE_H

#include <stdbool.h>

#include "vmm/config/profile.h"
#include "vmm/config/store.h"

struct guest_clone_result {
	struct vmm_profile profile; /* NEW's, as written */
	char *base;                 /* the frozen base both disks now stand on (overlay), or NULL */
};

/*
 * Under the home's lock: NEW gets SRC's profile with its own MAC, address, VNC display, tap and
 * disk (its SSH host keys, and so its cloud-init instance-id, are made for it at its first
 * start); hostname, forwards and autostart are not copied; its TPM starts empty; its UEFI
 * variables are copied.
 * The disk: with full, a standalone copy (qemu-img convert). Otherwise SRC's disk is frozen as
 * images/SRC-base-N.qcow2 (renamed, never written again) and both SRC and NEW get a qcow2
 * overlay on it, so that they can run side by side (a plain overlay on SRC's disk could not:
 * QEMU's write lock). Refused, changing nothing (invalid input): a bad or existing NEW, SRC
 * running or on a remote libvirt host, an overlay clone of a disk with snapshots (they would
 * stay in the base: --full, or delete them). A failure half-way undoes what was done.
 * Free out with guest_clone_result_free (also after a failure).
 */
int guest_clone(const struct vmm_home *h, const char *src, const char *dst, bool full,
		struct guest_clone_result *out);
void guest_clone_result_free(struct guest_clone_result *r);

#endif
