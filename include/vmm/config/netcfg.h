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
