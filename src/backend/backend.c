// SPDX-License-Identifier: MIT
/* backend.c: which backend runs a guest (the profile's "backend" key, QEMU directly by default),
 * and what every backend grants QEMU's user */
#include <stdlib.h>
#include <string.h>

#include "vmm/backend/backend.h"
#include "vmm/storage/chain.h"
#include "vmm/storage/image.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

const struct vmm_backend *backend_for(const struct vmm_profile *p)
{
	if (p && p->backend && !strcmp(p->backend, "libvirt"))
		return &libvirt_backend;
	return &qemu_backend;
}

int backend_guest_access(const struct vmm_home *h, const struct vmm_profile *p,
			 const struct store_guest_files *f, const char *seed, const char *run_dir,
			 const struct access_user *u, const char *tail)
{
	/* the chain as vmm reads it (the profile's image and the cache only), each layer granted */
	char *backing = p->backing ? store_image_path(h, p->backing) : NULL;
	char *cache = image_cache_dir(h), *record = store_grants_path(h, p->name), *note = NULL;
	struct chain_allow allow = { backing, cache };
	struct disk_chain c;
	struct access_need needs[CHAIN_MAX + 6];
	size_t n = 0;
	int rc = chain_open(f->disk, false, &allow, &c);
	for (size_t i = 0; rc == 0 && i < c.n; i++)
		needs[n++] = (struct access_need){ i ? "backing file" : "disk", c.v[i].path, !i,
						   false };
	needs[n++] = (struct access_need){ "seed", seed, false, false };
	needs[n++] = (struct access_need){ "iso", f->iso, false, false };
	needs[n++] = (struct access_need){ "kernel", f->kernel, false, false };
	needs[n++] = (struct access_need){ "initrd", f->initrd, false, false };
	needs[n++] = (struct access_need){ "run folder", run_dir, true, true };
	/* grants an earlier run left (a guest that stopped by itself) are still in the record:
	 * what they cover is reachable, nothing is granted twice, the stop takes all back */
	if (rc == 0)
		rc = access_ensure(u, needs, n, record, &note);
	if (note)
		vmm_notice("%s: %s%s", p->name, note, tail);
	chain_close(&c);
	free(note);
	free(record);
	free(cache);
	free(backing);
	return rc < 0 ? -1 : 0;
}

int backend_guest_release(const struct vmm_home *h, const struct vmm_profile *p)
{
	char *record = store_grants_path(h, p->name);
	int rc = access_revoke(record);
	free(record);
	return rc;
}
