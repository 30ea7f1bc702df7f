// SPDX-License-Identifier: MIT
/* backend.c: which backend runs a guest (the profile's "backend" key, QEMU directly by default),
 * and what every backend grants QEMU's user */
#include <stdlib.h>
#include <string.h>

#include "vmm/backend/backend.h"
#include "vmm/storage/disk.h"
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
			 const struct access_need *extra, size_t n_extra,
			 const struct access_user *u, const char *tail)
{
	char *backing = p->backing ? store_image_path(h, p->backing) : NULL;
	char **chain = NULL;
	size_t n_chain = 0;
	/* every image under the disk (a clone's frozen base, a cloud image), not only the one
	 * the profile names */
	if (disk_backing_chain(f->disk, &chain, &n_chain) < 0)
		vmm_error_clear(); /* QEMU will say what is wrong with the disk */
	const struct access_need base[] = {
		{ "disk", f->disk, true, false },      { "backing image", backing, false, false },
		{ "seed", seed, false, false },        { "iso", f->iso, false, false },
		{ "kernel", f->kernel, false, false }, { "initrd", f->initrd, false, false },
		{ "run folder", run_dir, true, true },
	};
	size_t n = ARRAY_SIZE(base) + n_chain + n_extra;
	struct access_need *needs = calloc(n, sizeof(*needs));
	if (!needs)
		abort();
	memcpy(needs, base, sizeof(base));
	for (size_t i = 0; i < n_chain; i++)
		needs[ARRAY_SIZE(base) + i] = (struct access_need){ "backing image", chain[i], false,
								    false };
	if (n_extra)
		memcpy(needs + ARRAY_SIZE(base) + n_chain, extra, n_extra * sizeof(*extra));
	char *note = NULL;
	int rc = access_ensure(u, needs, n, &note);
	free(needs);
	disk_chain_free(chain, n_chain);
	free(backing);
	if (note)
		vmm_notice("%s: %s%s", p->name, note, tail);
	free(note);
	return rc;
}
