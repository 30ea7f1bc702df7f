/* SPDX-License-Identifier: MIT */
/* qemu_snapshot.h: snapshots of a running QEMU guest with its memory, as QMP jobs */
#ifndef VMM_QEMU_SNAPSHOT_H
#define VMM_QEMU_SNAPSHOT_H

#include "vmm/backend/backend.h"

/* How long a snapshot job may take (a few GiB of memory under TCG). */
#define QEMU_SNAPSHOT_TIMEOUT_MS (10 * 60 * 1000)

/*
 * The qemu backend's snapshot op. Over QMP: the writable block nodes (query-block: the disk and
 * the UEFI variables; each must be qcow2), then snapshot-save / snapshot-load / snapshot-delete
 * as a job with vmstate on the node of the guest's disk; the job's error is the message. A
 * failed load leaves QEMU paused in restore-vm: the guest is resumed (cont) when it ran before.
 */
int qemu_snapshot(const struct vmm_home *h, const struct vmm_profile *p, enum vmm_snapshot_op op,
		  const char *tag);

#endif
