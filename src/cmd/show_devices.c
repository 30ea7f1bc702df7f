// SPDX-License-Identifier: MIT
/* cmd/show_devices.c: what `vmm show` says about a guest's snapshots, shares, firmware and TPM */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/backend/backend.h"
#include "vmm/backend/swtpm.h"
#include "vmm/cmd/cmd.h"
#include "vmm/config/share.h"
#include "vmm/guest/snapshot.h"
#include "vmm/storage/firmware.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

/* The snapshots of a local guest's disk (none for a remote one, whose disk is a volume there);
 * false when they cannot be read (a missing or raw disk). */
static bool snapshots(const struct vmm_home *h, const struct vmm_profile *p, struct disksnap **v,
		      size_t *n)
{
	char host[64];
	const struct vmm_backend *b = backend_for(p);
	*v = NULL;
	*n = 0;
	if (b->where && b->where(p, host, sizeof(host)) != 0)
		return false;
	bool ok = guest_snapshot_list(h, p, v, n) == 0;
	vmm_error_clear();
	return ok;
}

/* The guest's firmware into *k (BIOS when the profile's does not parse), and its variables
 * store (local guests), or NULL. */
static char *firmware_of(const struct vmm_home *h, const struct vmm_profile *p,
			 enum firmware_kind *k)
{
	*k = FIRMWARE_BIOS;
	firmware_parse(p->firmware, k);
	vmm_error_clear();
	if (*k == FIRMWARE_BIOS)
		return NULL;
	return firmware_vars_path(h, p->name, *k, backend_for(p) == &qemu_backend);
}

void cmd_show_devices(const struct vmm_home *h, const struct vmm_profile *p)
{
	enum firmware_kind k;
	struct disksnap *v = NULL;
	size_t n = 0;
	char *vars = firmware_of(h, p, &k);
	printf("firmware: %s", firmware_name(k));
	if (vars)
		printf(" (variables %s%s)", vars, util_exists(vars) ? "" : ", made at start");
	free(vars);
	if (p->tpm) {
		char *dir = swtpm_state_dir(h, p->name);
		printf("\ntpm:      2.0 (swtpm, state %s)", backend_for(p) == &qemu_backend
							     ? dir : "kept by libvirt");
		free(dir);
	} else {
		printf("\ntpm:      none");
	}
	if (!p->n_shares)
		printf("\nshares:   none");
	for (size_t i = 0; i < p->n_shares; i++) {
		struct vmm_share s;
		if (share_parse(p->shares[i], &s) < 0)
			continue;
		printf("\nshare:    %s at " SHARE_MOUNT_DIR "/%s (%s, %s)", s.dir, s.tag,
		       share_kind_name(share_kind_here(&s)), s.ro ? "read-only" : "read-write");
	}
	vmm_error_clear();
	bool known = snapshots(h, p, &v, &n);
	printf("\nsnapshots:%s\n", !known ? " -" : n ? "" : " none");
	for (size_t i = 0; i < n; i++) {
		char line[160];
		cmd_snapshot_text(&v[i], line, sizeof(line));
		printf("  %s\n", line);
	}
	free(v);
}

void cmd_show_devices_json(const struct vmm_home *h, const struct vmm_profile *p,
			   json_object *o)
{
	enum firmware_kind k;
	struct disksnap *v = NULL;
	size_t n = 0;
	char *vars = firmware_of(h, p, &k);
	json_object_object_add(o, "firmware", json_object_new_string(firmware_name(k)));
	json_object_object_add(o, "firmware_vars", vars ? json_object_new_string(vars) : NULL);
	free(vars);
	json_object_object_add(o, "tpm", json_object_new_boolean(p->tpm));
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < p->n_shares; i++) {
		struct vmm_share s;
		if (share_parse(p->shares[i], &s) < 0)
			continue;
		json_object *e = json_object_new_object();
		char *mount = util_fmt(SHARE_MOUNT_DIR "/%s", s.tag);
		json_object_object_add(e, "dir", json_object_new_string(s.dir));
		json_object_object_add(e, "tag", json_object_new_string(s.tag));
		json_object_object_add(e, "mount", json_object_new_string(mount));
		json_object_object_add(e, "kind",
				       json_object_new_string(share_kind_name(share_kind_here(&s))));
		json_object_object_add(e, "readonly", json_object_new_boolean(s.ro));
		json_object_array_add(arr, e);
		free(mount);
	}
	vmm_error_clear();
	json_object_object_add(o, "shares", arr);
	bool known = snapshots(h, p, &v, &n);
	json_object_object_add(o, "snapshots", known ? cmd_snapshots_json(v, n) : NULL);
	free(v);
}
