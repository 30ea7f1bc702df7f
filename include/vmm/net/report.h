/* SPDX-License-Identifier: MIT */
/* report.h: `vmm net status`: what exists, what is missing, and the host's problems */
#ifndef VMM_NET_REPORT_H
#define VMM_NET_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/net/dnsmasq.h"
#include "vmm/net/firewall.h"
#include "vmm/config/profile.h"
#include "vmm/config/store.h"

struct report_tap {
	char name[16];
	char guest[VMM_NAME_MAX + 1]; /* "" when no defined guest uses it */
	bool exists, enslaved, up;
	int in_use;                   /* tap_in_use(); -1 unknown */
};

struct report_status {
	bool bridge_exists;
	bool bridge_is_bridge;
	char bridge_kind[32];   /* link kind of the interface named like the bridge */
	bool bridge_up;
	bool address_present;
	int forwarding;         /* /proc/sys/net/ipv4/ip_forward: 0, 1, -1 unknown */
	bool forwarding_by_vmm; /* net.state says vmm turned it on */
	bool state_recorded;    /* run/net.state exists */
	struct report_tap *taps;
	size_t n_taps;
	char uplink[16];        /* interface of the default route ("" none) or net.cfg's name */
	bool uplink_exists;
	bool fw_known;          /* fw_status worked */
	char fw_error[256];
	struct fw_status fw;
	bool fw_relevant[FW_NRULES]; /* the nat rules only matter with nat = true */
	size_t n_forwards;      /* port forwards of the guests (fw.forwards_stale: not in place) */
	char **dns;
	size_t n_dns;
	char dns_error[256];
	/* the bridge's services (net.cfg dhcp): dnsmasq and its leases */
	bool dhcp;              /* net.cfg dhcp */
	int dnsmasq_pid;        /* the running dnsmasq vmm started, 0: none */
	struct dnsmasq_lease *leases;
	size_t n_leases;
	char ipv6[IPV6_TEXT_MAX + 4]; /* the bridge's P::1/64, "" without IPv6 */
	bool ipv6_present;      /* ... on the bridge */
	char **problems;        /* host problems, one sentence each */
	size_t n_problems;
	char **notes;           /* hints (e.g. where to see libiptc's rules) */
	size_t n_notes;
};

int report_status(const struct vmm_home *h, const struct vmm_netcfg *n,
		  const struct vmm_profile *guests, size_t n_guests, struct report_status *st);
void report_status_free(struct report_status *st);

#endif
