// SPDX-License-Identifier: MIT
/* guest/snapshot.c: snapshots of a guest: checks first, then its backend (running) or qemu-img */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/config/share.h"
#include "vmm/guest/lifecycle.h"
#include "vmm/guest/snapshot.h"
#include "vmm/storage/firmware.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

int guest_snapshot_list(const struct vmm_home *h, const struct vmm_profile *p, struct disksnap **v,
			size_t *n)
{
	char *disk = store_disk_path(h, p);
	int rc = -1;
	*v = NULL;
	*n = 0;
	if (!util_exists(disk))
		vmm_fail("%s: disk %s: no such file (create it with vmm create)", p->name, disk);
	else
		rc = disksnap_list(p->name, disk, v, n);
	free(disk);
	return rc;
}

/* The tag must exist (restore, delete) or not (create) among the disk's snapshots. */
static int check_tag_state(const struct vmm_home *h, const struct vmm_profile *p,
			   enum vmm_snapshot_op op, const char *tag, bool *memory)
{
	struct disksnap *v = NULL;
	size_t n = 0;
	if (disksnap_check_tag(tag) < 0 || guest_snapshot_list(h, p, &v, &n) < 0)
		return -1;
	const struct disksnap *s = disksnap_find(v, n, tag);
	bool have = s != NULL;
	*memory = s && s->vm_state_size > 0;
	free(v);
	if (op == VMM_SNAPSHOT_CREATE && have)
		return vmm_invalid("%s: snapshot %s already exists (vmm snapshot %s delete %s first)",
				   p->name, tag, p->name, tag);
	if (op != VMM_SNAPSHOT_CREATE && !have)
		return vmm_invalid("%s: no snapshot %s (see vmm snapshot %s list)", p->name, tag,
				   p->name);
	return 0;
}

/* What keeps a running guest from a snapshot with its memory, said in one line. */
static int live_refusals(const struct vmm_profile *p, const struct vmm_backend *b)
{
	if (p->n_shares) {
		struct vmm_share s;
		if (share_parse(p->shares[0], &s) < 0)
			return -1;
		return vmm_invalid("%s: shared folder %s blocks a snapshot with memory (QEMU cannot "
				   "save a virtiofs device or a mounted 9p export); stop the guest "
				   "to snapshot its disks",
				   p->name, s.tag);
	}
	if (b == &libvirt_backend && p->firmware)
		return vmm_invalid("%s: libvirt 9.0 refuses internal snapshots of a running guest "
				   "with UEFI firmware (pflash); stop it to snapshot its disk",
				   p->name);
	return 0;
}

/* A stopped guest's qcow2 images: its disk, and the UEFI variables (qemu backend) that hold tag
 * (restore, delete) or exist (create). */
static int offline(const struct vmm_home *h, const struct vmm_profile *p,
		   const struct vmm_backend *b, enum vmm_snapshot_op op, const char *tag)
{
	static const enum disksnap_op ops[] = { DISKSNAP_CREATE, DISKSNAP_APPLY, DISKSNAP_DELETE };
	char *paths[2] = { store_disk_path(h, p), NULL };
	size_t n = 1;
	enum firmware_kind k;
	if (b == &qemu_backend && firmware_parse(p->firmware, &k) == 0 && k != FIRMWARE_BIOS) {
		char *vars = firmware_vars_path(h, p->name, k, true);
		struct disksnap *v = NULL;
		size_t nv = 0;
		if (util_exists(vars) && disksnap_list(p->name, vars, &v, &nv) == 0 &&
		    (op == VMM_SNAPSHOT_CREATE || disksnap_find(v, nv, tag)))
			paths[n++] = vars;
		else
			free(vars);
		free(v);
	}
	vmm_error_clear();
	int rc = disksnap_offline(p->name, paths, n, ops[op], tag);
	free(paths[0]);
	free(paths[1]);
	return rc;
}

int guest_snapshot(const struct vmm_home *h, const struct vmm_profile *p, enum vmm_snapshot_op op,
		   const char *tag, bool *live)
{
	const struct vmm_backend *b = backend_for(p);
	char host[64] = "local";
	struct vmm_status st;
	int lock = -1, rc = -1;
	if (live)
		*live = false;
	int remote = b->where ? b->where(p, host, sizeof(host)) : 0;
	if (remote < 0)
		return -1;
	if (remote)
		return vmm_invalid("%s: snapshots of a guest on %s: not supported (its disk is a "
				   "volume there)",
				   p->name, host);
	if (disksnap_check_tag(tag) < 0)
		return -1;
	/* one change at a time: no start, stop or other snapshot in between */
	if ((lock = store_lock(h)) < 0)
		return -1;
	bool memory = false;
	if (lifecycle_status(h, p, &st) < 0 || check_tag_state(h, p, op, tag, &memory) < 0)
		goto out;
	if (st.state == VMM_RUNNING) {
		if (live_refusals(p, b) < 0)
			goto out;
		if (op == VMM_SNAPSHOT_RESTORE && !memory) {
			vmm_invalid("%s: snapshot %s holds no memory (taken while stopped): stop the "
				    "guest to restore it",
				    p->name, tag);
			goto out;
		}
		if (!b->snapshot) {
			vmm_invalid("%s: the %s backend takes no snapshots", p->name, b->name);
			goto out;
		}
		if (live)
			*live = true;
		rc = b->snapshot(h, p, op, tag);
	} else {
		rc = offline(h, p, b, op, tag);
	}
out:
	close(lock);
	return rc;
}
