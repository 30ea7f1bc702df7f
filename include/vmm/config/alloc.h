/* SPDX-License-Identifier: MIT */
/* alloc.h: what create fills in: MAC, address, VNC display, tap (src/config/alloc.c) */
#ifndef VMM_CONFIG_ALLOC_H
#define VMM_CONFIG_ALLOC_H

#include <stddef.h>

#include "vmm/config/types.h"

/* Allocation helpers for unset values (used under the home lock). */
void profile_default_mac(const char *name, char mac[18]);
int profile_pick_address(const struct vmm_netcfg *n, const struct vmm_profile *others,
			 size_t n_others, char **address);
int profile_pick_vnc(const struct vmm_profile *others, size_t n_others, int *display);
void profile_pick_tap(const char *name, const struct vmm_profile *others, size_t n_others,
		      char tap[VMM_IFNAME_MAX + 1]);

#endif
