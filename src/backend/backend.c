// SPDX-License-Identifier: MIT
/* backend.c: which backend runs a guest: the profile's "backend" key, QEMU directly by default */
#include <string.h>

#include "vmm/backend.h"

const struct vmm_backend *backend_for(const struct vmm_profile *p)
{
	if (p && p->backend && !strcmp(p->backend, "libvirt"))
		return &libvirt_backend;
	return &qemu_backend;
}
