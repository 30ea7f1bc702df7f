/* SPDX-License-Identifier: MIT */
/* dnsmasq.h: the bridge's own services: dnsmasq as vmm's child (DHCP, names, router adverts) */
#ifndef VMM_NET_DNSMASQ_H
#define VMM_NET_DNSMASQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmm/config/ipv6.h"
#include "vmm/config/netcfg.h"
#include "vmm/config/profile.h"
#include "vmm/config/store.h"

/*
 * Where its files live. dir (private, 0700, inside run/): dnsmasq's pid file, vmm's record of it
 * (pid and start time), the leases, the log; dnsmasq opens them as root before it drops to its
 * user. pub: the two hosts files dnsmasq rereads on SIGHUP. As root dnsmasq drops to `nobody`,
 * who cannot enter the 0700 run/ (nor a home under a private /tmp folder), so they go to a
 * root-owned 0755 folder of their own, PUB_ROOT/HASH-BRIDGE (HASH: of the run folder's path, one
 * per home); they hold only what the profiles (0644) already show: names, MACs and addresses.
 * When dnsmasq keeps vmm's user (no pub_root), pub is dir.
 */
struct dnsmasq_conf {
	const char *bridge;
	uint32_t addr;           /* the bridge's address and prefix (host order) */
	unsigned prefix;
	uint32_t pool_lo, pool_hi; /* the pool for unknown MACs; 0: none */
	const char *domain;      /* "vmm" */
	bool has_ipv6;           /* router advertisements for prefix6, AAAA records */
	uint8_t prefix6[8];
	char **upstream;         /* DNS servers for other names (none: local names only) */
	size_t n_upstream;
	const char *user;        /* --user: "nobody" as root; NULL: dnsmasq stays who vmm is (a
				  * user's own namespace, rootless mode) */
	char *dir, *pub;         /* as above (owned: dnsmasq_conf_free) */
};

/* One guest as dnsmasq knows it (from its profile). */
struct dnsmasq_host {
	char name[VMM_NAME_MAX + 1];
	char mac[18];
	char addr[16];
	char addr6[IPV6_TEXT_MAX]; /* "" without IPv6 */
};

/* One line of the leases file. */
struct dnsmasq_lease {
	long long expiry;          /* seconds since the epoch, 0: never */
	char mac[18];              /* "" for a DHCPv6 lease */
	char addr[IPV6_TEXT_MAX];
	char name[64];             /* "*" when the client sent none */
};

/* ---- pure: what dnsmasq is told ---- */

/* The conf from net.cfg (bridge, addresses, pool, domain, IPv6) with dir and pub for home h
 * (NULL: "/run/vmm") and pub_root (above). upstream and user are left for the caller. */
void dnsmasq_conf_init(struct dnsmasq_conf *c, const struct vmm_netcfg *n,
		       const struct vmm_home *h, const char *pub_root);
void dnsmasq_conf_free(struct dnsmasq_conf *c);
/* Only what finding and stopping it needs: the bridge (not copied) and the folders under run. */
void dnsmasq_conf_at(struct dnsmasq_conf *c, const char *run, const char *bridge,
		     const char *pub_root);
/* The guests with a MAC and an address (IPv6 derived from the MAC when c has a prefix). *out is
 * malloc'd (NULL when n is 0). */
void dnsmasq_hosts(const struct dnsmasq_conf *c, const struct vmm_profile *guests, size_t n,
		   struct dnsmasq_host **out, size_t *n_out);
/* dnsmasq's argv (NULL-terminated, malloc'd strings): started as a daemon that reports its
 * start-up errors by its exit status, bound to the bridge only. Free with util_argv_free. */
char **dnsmasq_argv(const struct dnsmasq_conf *c);
/* The --dhcp-hostsfile text: "MAC,ADDRESS,NAME" per host (the reservations). malloc'd. */
char *dnsmasq_dhcp_hosts_text(const struct dnsmasq_host *v, size_t n);
/* The --addn-hosts text: "ADDRESS NAME.DOMAIN NAME" per address (A and AAAA, so that guests
 * configured by their seed resolve without a lease). malloc'd. */
char *dnsmasq_names_text(const struct dnsmasq_conf *c, const struct dnsmasq_host *v, size_t n);
/* Parse leases file text (IPv4 "EXPIRY MAC ADDR NAME CLIENTID" and, after the "duid" line,
 * IPv6 "EXPIRY IAID ADDR NAME DUID"); malformed lines are skipped. *out malloc'd. */
void dnsmasq_leases_parse(const char *text, struct dnsmasq_lease **out, size_t *n);

/* ---- live: the process ---- */

/* The dnsmasq vmm started for this conf when it still runs (the recorded pid with the same
 * start time, named dnsmasq), else 0. */
pid_t dnsmasq_running(const struct dnsmasq_conf *c);
/* Running: write the hosts files and SIGHUP it (leases stay); not running: write them and
 * start it. *started (may be NULL) says it was started. 0, or -1 with dnsmasq's own message. */
int dnsmasq_ensure(const struct dnsmasq_conf *c, const struct vmm_profile *guests, size_t n,
		   bool *started);
/* The profiles changed: when it runs, rewrite the hosts files and SIGHUP it; else nothing. */
int dnsmasq_reload(const struct dnsmasq_conf *c, const struct vmm_profile *guests, size_t n);
/* Stop it (SIGTERM, then SIGKILL after 2 s) and remove its files; not running is success. */
int dnsmasq_stop(const struct dnsmasq_conf *c);
/* The current leases (none when the file is missing). */
int dnsmasq_leases(const struct dnsmasq_conf *c, struct dnsmasq_lease **out, size_t *n);

#endif
