/* SPDX-License-Identifier: MIT */
/* netcfg.h: net.cfg, the bridge guests share: defaults, parse, format (its keys: keys.h) */
#ifndef VMM_NETCFG_H
#define VMM_NETCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/config/cfgtext.h"

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
	/* the bridge's own services (dnsmasq: DHCP, DNS, router advertisements) */
	bool dhcp;            /* default true */
	char *dhcp_pool;      /* "FIRST-LAST" for MACs no profile has, or NULL/"" (off) */
	uint32_t pool_lo, pool_hi; /* host order, from dhcp_pool (0 when off) */
	char *domain;         /* "vmm": guests are NAME.domain */
	char *ipv6;           /* "none" (default), "auto" (a ULA /64, kept once picked) or P/64 */
	uint8_t ipv6_prefix[8]; /* from ipv6 when it is a prefix */
	bool has_ipv6;        /* ipv6 is a prefix (after netcfg_ipv6_resolve for "auto") */
	bool nat6;            /* masquerade the /64 too (default true); false: routed */
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
/* ipv6 = "auto": pick this host's ULA /64 (ipv6.h) and keep it in n (the caller saves net.cfg so
 * that it stays). 1 when n changed, 0 when there was nothing to pick, -1 with the error slot. */
int netcfg_ipv6_resolve(struct vmm_netcfg *n);
/* The domain guests' names are in ("vmm" by default). */
const char *netcfg_domain(const struct vmm_netcfg *n);

/*
 * A net.cfg key is one row of netcfg_keys[] (src/config/netcfg.c): it drives netcfg_defaults,
 * netcfg_parse (with the checks), netcfg_format and the man page's NET.CFG section.
 */
struct netcfg_key {
	const char *name;
	struct cfg_field field;  /* where its value lives in struct vmm_netcfg */
	const char *dflt;        /* the default, as in the file without quotes ("br0", "true",
				  * "0x2000"; a list: its one entry); NULL: none */
	bool omit_default;       /* written only when it differs from the default (files made
				  * before the key existed stay as they were) */
	const char *choices;     /* the accepted words, '|' separated, or NULL */
	/* Checks the value once the whole file is read: 0 or -1 with vmm_invalid. */
	int (*check)(struct vmm_netcfg *n, const char *file);
	/* Keys read or written their own way (NULL: by the field's type). */
	int (*read)(const struct cfg_reader *r, const config_setting_t *s, struct vmm_netcfg *n);
	void (*write)(struct cfg_buf *b, const struct vmm_netcfg *n);
	const char *metavar;     /* the value in the man page when there is no default */
	const char *help;        /* one line */
};

extern const struct netcfg_key netcfg_keys[];
extern const size_t netcfg_n_keys;

/* The key's default as file text ("\"br0\"", "true", "[ \"auto\" ]"), malloc'd; NULL when it has
 * none. */
char *netcfg_key_default(const struct netcfg_key *k);

#endif
