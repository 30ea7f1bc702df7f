/* SPDX-License-Identifier: MIT */
/* hostnet.h: the host side of the guest network: bridge, address, taps, forwarding, firewall */
#ifndef VMM_HOSTNET_H
#define VMM_HOSTNET_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/net/firewall.h"
#include "vmm/profile.h"
#include "vmm/store.h"

/* What `vmm net up` leaves behind is recorded in <home>/run/net.state (one line per change:
 * "bridge br0", "address br0 192.168.166.1/24", "up br0", "tap vmm-ubuntu", "forwarding",
 * "firewall"), so that `net down` undoes exactly that, in reverse. */
#define HOSTNET_STATE_FILE "net.state"

/* Does this process have CAP_NET_ADMIN (effective)? */
bool hostnet_can_admin(void);

/*
 * Everything `vmm net up` does: the bridge (created up), its address, a tap per guest
 * (enslaved, up), IPv4 forwarding, the firewall rules (fw_apply). Checks first and refuses,
 * changing nothing, when an interface named like the bridge is not a bridge or the bridge
 * address is on another interface. Idempotent. A failing step undoes the ones before it.
 */
int hostnet_up(const struct vmm_home *h, const struct vmm_netcfg *n,
	       const struct vmm_profile *guests, size_t n_guests);

/*
 * Undo what net up recorded (reverse order), plus taps of the given guests that exist and are
 * not held open. Refuses (changing nothing) while a guest runs unless force. *nothing (may be
 * NULL) is set when there was nothing to take down.
 */
int hostnet_down_ex(const struct vmm_home *h, const struct vmm_netcfg *n,
		    const struct vmm_profile *guests, size_t n_guests, bool force, bool *nothing);
int hostnet_down(const struct vmm_home *h, const struct vmm_netcfg *n,
		 const struct vmm_profile *guests, size_t n_guests, bool force);

/* 1 when the bridge exists with its address and the firewall rules are present, 0 otherwise,
 * -1 on error. */
int hostnet_is_up(const struct vmm_netcfg *n);

/* The changes `net up` (down = false) or `net down` would make now, one per line, followed by
 * the firewall plan (fw_plan). Changes nothing. *text is malloc'd. */
int hostnet_plan(const struct vmm_home *h, const struct vmm_netcfg *n,
		 const struct vmm_profile *guests, size_t n_guests, bool down, char **text);

/* Port forwards changed (vmm create/set/delete): when vmm brought the network up in this home
 * (run/net.state), bring the firewall's forward rules to the guests' forwards at once (fw_apply:
 * only vmm's own rules change, nothing is committed when nothing differs); otherwise nothing
 * (net up installs them). */
int hostnet_forwards_update(const struct vmm_home *h, const struct vmm_netcfg *n,
			    const struct vmm_profile *guests, size_t n_guests);
/* Refuse early (before anything is written) when the network is up and this process could not
 * update its forwards. */
int hostnet_forwards_check(const struct vmm_home *h);

/* The firewall configuration derived from net.cfg. */
void hostnet_fw_config(const struct vmm_netcfg *n, struct fw_config *fc);

struct hostnet_tap {
	char name[16];
	char guest[VMM_NAME_MAX + 1]; /* "" when no defined guest uses it */
	bool exists, enslaved, up;
	int in_use;                   /* tap_in_use(); -1 unknown */
};

struct hostnet_status {
	bool bridge_exists;
	bool bridge_is_bridge;
	char bridge_kind[32];   /* link kind of the interface named like the bridge */
	bool bridge_up;
	bool address_present;
	int forwarding;         /* /proc/sys/net/ipv4/ip_forward: 0, 1, -1 unknown */
	bool forwarding_by_vmm; /* net.state says vmm turned it on */
	bool state_recorded;    /* run/net.state exists */
	struct hostnet_tap *taps;
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
	char **problems;        /* host problems, one sentence each */
	size_t n_problems;
	char **notes;           /* hints (e.g. where to see libiptc's rules) */
	size_t n_notes;
};

int hostnet_status(const struct vmm_home *h, const struct vmm_netcfg *n,
		   const struct vmm_profile *guests, size_t n_guests, struct hostnet_status *st);
void hostnet_status_free(struct hostnet_status *st);

#endif
