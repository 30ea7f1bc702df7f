/* SPDX-License-Identifier: MIT */
/* hostnet.h: the host side of the guest network: bridge, address, taps, forwarding, firewall */
#ifndef VMM_HOSTNET_H
#define VMM_HOSTNET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "vmm/net/firewall.h"
#include "vmm/config/profile.h"
#include "vmm/config/store.h"

/* Every change is recorded in the journal (journal.h: <home>/run/net.state) before it is made,
 * so that `net down` undoes exactly that, in reverse, and a killed vmm is recovered from. */
#define HOSTNET_IP_FORWARD "/proc/sys/net/ipv4/ip_forward"
#define HOSTNET_BR_NF_CALL "/proc/sys/net/bridge/bridge-nf-call-iptables"

struct nl_sock;

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

/* 1 when the bridge exists with its address and the firewall rules are present, 0 otherwise,
 * -1 on error. With the nftables backend, a check that finds the rules complete is recorded in
 * run/fw.checked with the ruleset's generation: while no tool has changed the ruleset since, the
 * next call knows without loading libnftables or reading the ruleset. */
int hostnet_is_up(const struct vmm_home *h, const struct vmm_netcfg *n);

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

/* A guest's tap at start: made (owned by owner, (uid_t)-1 for none), enslaved and up, journaled
 * before it is made; *created says whether it was new. Takes the network lock. */
int hostnet_tap_attach(const struct vmm_home *h, const struct vmm_netcfg *n,
		       const struct vmm_profile *p, uid_t owner, bool *created);
/* Remove a guest's tap (missing is success) and its journal record. */
int hostnet_tap_release(const struct vmm_home *h, const char *tap);

/* What the host has now of the bridge net.cfg names. */
struct hostnet_probe {
	bool bridge_exists, is_bridge, up;
	char kind[32];                 /* link kind of the interface named like the bridge */
	int ifindex;
	bool addr_on_bridge;
	char addr_elsewhere[16];       /* the bridge address on another interface */
	char overlap[160];             /* "dummy0 (192.168.166.7/24)" */
};
int hostnet_probe(struct nl_sock *sk, const struct vmm_netcfg *n, struct hostnet_probe *pb);

#endif
