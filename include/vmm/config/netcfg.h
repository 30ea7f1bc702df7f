/* SPDX-License-Identifier: MIT */
/* netcfg.h: net.cfg, the bridge guests share: defaults, parse, format (its keys: keys.h) */
#ifndef VMM_NETCFG_H
#define VMM_NETCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMM_IFNAME_MAX 15

struct vmm_netcfg {
	char bridge[VMM_IFNAME_MAX + 1]; /* "br0" */
	char *address;        /* "192.168.166.1/24" */
	uint32_t addr;        /* host order, the bridge address */
	unsigned prefix;
	char *uplink;         /* "auto" or an interface name */
	bool nat;
	char **dns;           /* "auto" or addresses */
	size_t n_dns;
	char *firewall;       /* "auto" (default), "nftables" or "iptables-legacy" */
	char *foreign;        /* "open" (default) or "leave": others' dropping forward chains */
	uint32_t firewall_mark; /* one bit, default 0x2000 (FW_MARK_DEFAULT) */
	char *image_mirror;   /* replaces the image catalog's base URLs, or NULL */
};

/* Defaults: the tutorial's values (each key's default in the table). */
void netcfg_defaults(struct vmm_netcfg *n);
/* Parse net.cfg text / file (file name used in messages); unknown keys are refused. On error n
 * holds the defaults. */
int netcfg_parse(const char *text, const char *filename, struct vmm_netcfg *n);
int netcfg_load(const char *path, struct vmm_netcfg *n); /* missing file = defaults */
/* net.cfg text (malloc'd); keys at their default that older files lack are left out. */
char *netcfg_format(const struct vmm_netcfg *n);
void netcfg_free(struct vmm_netcfg *n);
/* An interface name (bridge, tap): 1 to 15 letters, digits, '-', '_' or '.'; 0 or vmm_invalid
 * `WHAT "NAME": why`. */
int netcfg_check_ifname(const char *what, const char *name);
/* Network address, broadcast (host order). */
uint32_t netcfg_network(const struct vmm_netcfg *n);
uint32_t netcfg_broadcast(const struct vmm_netcfg *n);

#endif
