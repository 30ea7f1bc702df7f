/* SPDX-License-Identifier: MIT */
/* firewall.h: vmm's firewall rules, through one of two backends (nftables, iptables-legacy) */
/* (the types: fw_config.h; each backend: struct fw_ops, in iptables.h and nftables.h) */
#ifndef VMM_FIREWALL_H
#define VMM_FIREWALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/net/fw_config.h"

/*
 * Two backends behind this one interface (src/net/firewall.c picks one, see fw_backend_resolve,
 * and calls it through its struct fw_ops):
 *
 * nftables (src/net/nftables*.c, libnftables in-process): vmm's own table `inet vmm`:
 *   chain forward     (filter hook forward, priority filter - 10), per bridge BR, in this order
 *                     (like libvirt's NAT network): accept what is bridged (in and out by BR),
 *                     what the subnet sends out of BR (source in the subnet), the replies back
 *                     to BR (ct state established,related) and, with forwards, the DNATed
 *                     connections to BR (ct status dnat); every accept also sets the mark
 *                     (c->mark); then drop the rest from BR (a guest forging a source outside
 *                     the subnet) and to BR (new connections from the LAN);
 *   chain postrouting (nat, srcnat): masquerade the subnet when it does not leave by the bridge;
 *   chain prerouting, output (nat, dstnat): DNAT of the host port forwards (any local address,
 *                     or the one address a forward is bound to).
 *   Each rule is commented "vmm BR HASH" (HASH: of the rule's text, so a changed config is seen).
 *   Other tools' base chains at the forward hook that would drop the bridge's traffic get one
 *   "opening" at their top (Docker: DOCKER-USER), readable by iptables-nft:
 *     meta mark & MARK == MARK counter accept comment "vmm"
 *   (only traffic vmm's chain accepted carries the mark). Every change is one nft transaction;
 *   nothing is committed when nothing changes.
 *
 * iptables-legacy (src/net/iptables*.c, libiptc), for hosts whose iptables is the legacy variant:
 *   filter: chain VMM-FORWARD, reached by one jump placed first in FORWARD; per bridge, in order:
 *           -A VMM-FORWARD -i BR -o BR -m comment --comment "vmm BR" -j ACCEPT
 *           -A VMM-FORWARD -s NET/PREFIX -i BR -m comment --comment "vmm BR" -j ACCEPT
 *           -A VMM-FORWARD -o BR -m conntrack --ctstate RELATED,ESTABLISHED
 *              -m comment --comment "vmm BR" -j ACCEPT
 *           (the forwards' accepts, below)
 *           -A VMM-FORWARD -i BR -m comment --comment "vmm BR" -j DROP
 *           -A VMM-FORWARD -o BR -m comment --comment "vmm BR" -j DROP
 *   nat:    chain VMM-POSTROUTING, reached by one jump placed first in POSTROUTING (only when nat);
 *           -A VMM-POSTROUTING -s NET/PREFIX ! -o BR -m comment --comment "vmm BR" -j MASQUERADE
 *   forwards (proto P, host port H to guest G port N), in nat chains VMM-PREROUTING and
 *   VMM-OUTPUT, each reached by one jump placed first in PREROUTING / OUTPUT:
 *           -A VMM-FORWARD -d G/32 -o BR -p P -m P --dport N -m conntrack --ctstate DNAT
 *              -m comment --comment "vmm BR GUEST" -j ACCEPT
 *           -A VMM-PREROUTING -p P -m P --dport H -m addrtype --dst-type LOCAL
 *              -m comment --comment "vmm BR GUEST" -j DNAT --to-destination G:N
 *           -A VMM-OUTPUT ! -d 127.0.0.0/8 -p P -m P --dport H -m addrtype --dst-type LOCAL
 *              -m comment --comment "vmm BR GUEST" -j DNAT --to-destination G:N
 *   (a forward bound to address A: "-d A/32" in both DNAT rules instead of "! -d 127.0.0.0/8")
 *   Jumps carry the comment "vmm". Rules inside vmm's chains belong to the bridge they name
 *   (-i/-o BR, or a comment "vmm BR ..."), so two bridges can share the chains; a chain (and its
	 * jump) goes away when its last rule does. Chain policies are never changed. With ipv6, the
 *   same chains in ip6 filter and ip6 nat (libip6tc) hold the IPv6 twins: the /64 for NET/PREFIX,
 *   masquerade with nat6, forwards (with a MAC, bound to no address) to the guest's SLAAC address
 *   G6/128, --to-destination [G6]:N, VMM-OUTPUT's "! -d ::1/128". Each table
 *   changes in one iptc_commit, under the xtables lock (/run/xtables.lock), retried when another
 *   writer raced us (EAGAIN).
 *
 * Both backends keep one bridge's rules in a chain in the order above: a rule found out of that
 * order counts as stale, and apply puts that bridge's rules of the chain back in order.
 */
/* Short human text for a rule of a backend, e.g. "nat: masquerade the subnet when not leaving
 * through the bridge" (static, generic); NULL for an id out of range. */
const char *fw_rule_name(enum fw_backend b, enum fw_rule_id id);
/* "nftables", "iptables-legacy", "auto". */
const char *fw_backend_name(enum fw_backend b);

/* The backend c asks for, resolved when FW_AUTO: legacy when the host's iptables is the legacy
 * variant (its link target), or when the legacy tables hold rules and nf_tables holds none (vmm's
 * own table aside); nftables otherwise. why (may be NULL) gets one line of reason. No process. */
enum fw_backend fw_backend_resolve(const struct fw_config *c, char *why, size_t len);

/* Everything c wants is in place and nothing else of vmm's: the wanted rules, the chains, and
 * (nftables, foreign = open) an opening in every chain that would drop the guests' traffic. */
bool fw_status_complete(const struct fw_config *c, const struct fw_status *st);

/* Announcements of the last fw_apply (e.g. "accepted br0 in ip filter DOCKER-USER (Docker)"),
 * i from 0; NULL past the end. Valid until the next fw_apply. fw_apply also hands each to
 * vmm_notice ("firewall: ..."). */
const char *fw_announcement(size_t i);

/* Make the rules of c present (jumps first), and the openings (nftables, foreign = open).
 * Idempotent: when everything is already in place, nothing is committed. Rules of this bridge
 * that c does not want (another subnet, nat turned off) are removed. 0 or -1 with the error
 * slot set; nothing changed on failure (one transaction). */
int fw_apply(const struct fw_config *c);

/* Remove this bridge's rules from vmm's chains, then the chains and their jumps once empty
 * (nftables: table inet vmm and the openings, once no bridge's rules are left). FW_AUTO removes
 * from both backends. Nothing there is success. Foreign rules stay as they are. */
int fw_remove(const struct fw_config *c);

/* Read the state of the resolved backend (never changes anything, not even instantiating an
 * unused table). Legacy: spawns `nft -j list ruleset` (when nft exists) and maybe
 * `iptables -V` for the two host probes. nftables: in-process. */
int fw_status(const struct fw_config *c, struct fw_status *st);
/* The same without the legacy host probes (iptables_is_nft and nft_forward_drop stay false): no
 * process spawned, ~1 ms; for `net up`'s "anything to do?" check. */
int fw_status_rules(const struct fw_config *c, struct fw_status *st);

/* Legacy: the complete rule set apply ensures, in iptables-save syntax (usable with
 * `iptables-legacy-restore --noflush`): "*filter", chain declarations, "-I FORWARD ..." for the
 * jumps, "-A VMM-FORWARD ..." for the rules (byte-identical to iptables-legacy-save's lines),
 * "COMMIT", then the same for "*nat" when c->nat. Pure.
 * nftables: the transaction fw_apply would commit now (nft -f syntax; "" when nothing to do),
 * from the live ruleset. *text is malloc'd (caller frees). */
int fw_plan(const struct fw_config *c, char **text);

/* Number of commits (iptc_commit, nft transactions) this process made so far (tests prove
 * idempotence with it). */
unsigned fw_commit_count(void);

#endif
