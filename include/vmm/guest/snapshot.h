/* SPDX-License-Identifier: MIT */
/* guest/snapshot.h: `vmm snapshot`: internal snapshots, running (with memory) or stopped */
#ifndef VMM_GUEST_SNAPSHOT_H
#define VMM_GUEST_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/backend/backend.h"
#include "vmm/config/profile.h"
#include "vmm/config/store.h"
#include "vmm/storage/disksnap.h"

/* The guest's snapshots as its disk holds them (qemu-img info -U: also while QEMU runs), oldest
 * first; *v malloc'd. A disk that is not qcow2 is refused (invalid input). */
int guest_snapshot_list(const struct vmm_home *h, const struct vmm_profile *p, struct disksnap **v,
			size_t *n);

/*
 * Create, restore or delete snapshot tag, under the home's lock. Refused before anything is
 * written (invalid input, exit 2): a bad tag, a disk that is not qcow2, a tag that exists
 * (create) or does not (restore, delete), a guest on a remote libvirt host; while it runs, a
 * guest with shared folders (virtiofs cannot be migrated, a mounted 9p export blocks migration)
 * and, on libvirt, one with UEFI firmware (libvirt 9.0 refuses internal snapshots with pflash).
 * A running guest: the backend's snapshot op (disks and memory; a restore returns the guest to
 * that moment). A stopped one: qemu-img on its disk and its UEFI variables (qcow2). *live (may
 * be NULL) says which.
 */
int guest_snapshot(const struct vmm_home *h, const struct vmm_profile *p, enum vmm_snapshot_op op,
		   const char *tag, bool *live);

#endif
