// SPDX-License-Identifier: MIT
/* alloc.c: values create fills in under the home lock: a MAC, an address, a VNC display, a tap */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/config/alloc.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

void profile_default_mac(const char *name, char mac[18])
{
	uint32_t h = util_hash(UTIL_HASH_INIT, name); /* a name always gets the same MAC */
	uint8_t m[6] = { 0x52, 0x54, 0x00, (uint8_t)(h >> 16), (uint8_t)(h >> 8), (uint8_t)h };
	util_format_mac(m, mac);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

int profile_pick_address(const struct vmm_netcfg *n, const struct vmm_profile *others,
			 size_t n_others, char **address)
{
	uint32_t net = netcfg_network(n), bcast = netcfg_broadcast(n);
	/* the others' addresses, parsed once and sorted: a thousand guests stay quick */
	uint32_t *used = calloc(n_others + 1, sizeof(*used));
	size_t n_used = 0;
	if (!used)
		abort();
	for (size_t i = 0; i < n_others; i++) {
		unsigned pre;
		if (others[i].address &&
		    util_parse_cidr("address", others[i].address, &used[n_used], &pre) == 0)
			n_used++;
	}
	vmm_error_clear();
	qsort(used, n_used, sizeof(*used), cmp_u32);
	/* Like the tutorial: guests from .100 up when the subnet is large enough, else from .2 */
	uint32_t first = (bcast - net > 200) ? net + 100 : net + 1;
	for (int pass = 0; pass < 2; pass++) {
		uint32_t lo = pass == 0 ? first : net + 1, hi = pass == 0 ? bcast : first;
		for (uint32_t a = lo; a < hi; a++) {
			if (a == n->addr || bsearch(&a, used, n_used, sizeof(*used), cmp_u32))
				continue;
			char ip[16];
			util_format_ipv4(a, ip);
			*address = util_fmt("%s/%u", ip, n->prefix);
			free(used);
			return 0;
		}
	}
	free(used);
	return vmm_fail("address: no free address left in %s", n->address);
}

int profile_pick_vnc(const struct vmm_profile *others, size_t n_others, int *display)
{
	/* one bit per display: linear in the number of guests */
	static unsigned char used[VMM_VNC_MAX / 8 + 1];
	memset(used, 0, sizeof(used));
	for (size_t i = 0; i < n_others; i++) {
		int d = others[i].vnc_display;
		if (d >= 0 && d <= VMM_VNC_MAX)
			used[d / 8] |= (unsigned char)(1u << (d % 8));
	}
	for (int d = 0; d <= VMM_VNC_MAX; d++) {
		if (!(used[d / 8] & (1u << (d % 8)))) {
			*display = d;
			return 0;
		}
	}
	return vmm_fail("vnc: no free display left (0 to " VMM_VNC_MAX_STR "; vnc = \"none\" "
			"needs none)");
}

static bool tap_used(const char *tap, const struct vmm_profile *others, size_t n_others)
{
	for (size_t i = 0; i < n_others; i++)
		if (!strcmp(others[i].tap, tap))
			return true;
	return false;
}

void profile_pick_tap(const char *name, const struct vmm_profile *others, size_t n_others,
		      char tap[VMM_IFNAME_MAX + 1])
{
	snprintf(tap, VMM_IFNAME_MAX + 1, "vmm-%s", name);
	for (unsigned k = 1; tap_used(tap, others, n_others) && k < 100000; k++) {
		char suffix[8];
		int sl = snprintf(suffix, sizeof(suffix), "-%u", k);
		snprintf(tap, VMM_IFNAME_MAX + 1, "vmm-%.*s%s", VMM_IFNAME_MAX - 4 - sl, name,
			 suffix);
	}
}
