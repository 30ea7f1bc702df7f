/* SPDX-License-Identifier: MIT */
/* disksnap.h: internal qcow2 snapshots of a guest's images through qemu-img (an argv, no shell) */
#ifndef VMM_DISKSNAP_H
#define VMM_DISKSNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DISKSNAP_TAG_MAX 64

/* One internal snapshot as qemu-img lists it. */
struct disksnap {
	char name[DISKSNAP_TAG_MAX + 1];
	uint64_t vm_state_size; /* bytes of memory state: 0 for a snapshot of the disks only */
	int64_t date_sec;       /* when it was taken (host clock) */
	uint64_t vm_clock_ns;   /* the guest's clock then (0 when taken while stopped) */
};

/* A snapshot tag: 1 to 64 characters [A-Za-z0-9_.-], not starting with '-' or '.', not all
 * digits (QEMU would take those for a snapshot id). 0, or -1 with vmm_invalid. */
int disksnap_check_tag(const char *tag);

/*
 * From `qemu-img info --output=json` text: the image's format into fmt (at least 16 bytes) and
 * its snapshots (*out malloc'd, NULL when none). Pure. 0, or -1 with the error slot set.
 */
int disksnap_parse_info(const char *json, char *fmt, size_t fmt_len, struct disksnap **out,
			size_t *n);
/*
 * The snapshots of the image at path, read with `qemu-img info -U` (also while QEMU holds it).
 * Refuses an image that is not qcow2: `NAME: snapshots need a qcow2 disk (PATH is FMT)`, invalid
 * input. name is the guest's, for messages.
 */
int disksnap_list(const char *name, const char *path, struct disksnap **out, size_t *n);
/* The entry named tag in a list, or NULL. */
const struct disksnap *disksnap_find(const struct disksnap *v, size_t n, const char *tag);

enum disksnap_op { DISKSNAP_CREATE, DISKSNAP_APPLY, DISKSNAP_DELETE };
/* `qemu-img snapshot -c|-a|-d TAG` on each of the images (a stopped guest's disk and its UEFI
 * variables), all or nothing: a create is undone on the images done before a failure. 0, or -1
 * with "NAME: snapshot TAG: QEMU-IMG'S REASON". */
int disksnap_offline(const char *name, char *const *paths, size_t n_paths, enum disksnap_op op,
		     const char *tag);

#endif
