// SPDX-License-Identifier: MIT
/* backend.c: which backend runs a guest (the profile's "backend" key, QEMU directly by default),
 * and what every backend grants QEMU's user */
#include <stdlib.h>
#include <string.h>

#include "vmm/backend/backend.h"
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
	char *backing = p->backing ? store_image_path(h, p->backing) : NULL;
	const struct access_need needs[] = {
		{ "disk", f->disk, true, false },      { "backing image", backing, false, false },
		{ "seed", seed, false, false },        { "iso", f->iso, false, false },
		{ "kernel", f->kernel, false, false }, { "initrd", f->initrd, false, false },
		{ "run folder", run_dir, true, true },
	};
	char *note = NULL;
	int rc = access_ensure(u, needs, ARRAY_SIZE(needs), &note);
	free(backing);
	if (note)
		vmm_notice("%s: %s%s", p->name, note, tail);
	free(note);
	return rc;
}
