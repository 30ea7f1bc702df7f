/* SPDX-License-Identifier: MIT */
/* firewall.h: vmm's iptables rules (legacy x_tables through libiptc): apply, remove, status, plan */
#ifndef VMM_FIREWALL_H
#define VMM_FIREWALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What vmm puts in the legacy iptables tables (and nothing else):
 *   filter: chain VMM-FORWARD, reached by one jump placed first in FORWARD;
 *           -A VMM-FORWARD -i BR -m comment --comment "vmm BR" -j ACCEPT
 *           -A VMM-FORWARD -o BR -m conntrack --ctstate RELATED,ESTABLISHED
 *              -m comment --comment "vmm BR" -j ACCEPT
 *   nat:    chain VMM-POSTROUTING, reached by one jump placed first in POSTROUTING (only when nat);
 *           -A VMM-POSTROUTING -s NET/PREFIX ! -o BR -m comment --comment "vmm BR" -j MASQUERADE
 *   for each port forward (proto P, host port H to guest G port N; chains VMM-PREROUTING and
 *   VMM-OUTPUT in nat, each reached by one jump placed first in PREROUTING / OUTPUT):
 *           -A VMM-FORWARD -d G/32 -o BR -p P -m P --dport N -m conntrack --ctstate DNAT
 *              -m comment --comment "vmm BR GUEST" -j ACCEPT
 *           -A VMM-PREROUTING -p P -m P --dport H -m addrtype --dst-type LOCAL
 *              -m comment --comment "vmm BR GUEST" -j DNAT --to-destination G:N
 *           -A VMM-OUTPUT ! -d 127.0.0.0/8 -p P -m P --dport H -m addrtype --dst-type LOCAL
 *              -m comment --comment "vmm BR GUEST" -j DNAT --to-destination G:N
 * Jumps carry the comment "vmm". Rules inside vmm's chains belong to the bridge they name
 * (-i/-o BR, or a comment "vmm BR ..."), so two bridges can share the chains; a chain (and its jump) goes away when its last
 * rule does. Chain policies are never changed. Each table changes in one iptc_commit, under the
 * xtables lock (/run/xtables.lock), retried when another writer raced us (EAGAIN).
 */
#define FW_CHAIN_FILTER "VMM-FORWARD"
#define FW_CHAIN_NAT "VMM-POSTROUTING"
#define FW_COMMENT "vmm"

/* Which firewall vmm writes: auto picks one per host (see fw_backend_resolve). */
enum fw_backend { FW_AUTO, FW_NFTABLES, FW_IPTABLES_LEGACY };
/* What vmm does with other tools' forward-hook chains that would drop the bridge's traffic:
 * open exactly that traffic there (default), or leave them alone and only report them. */
enum fw_foreign { FW_FOREIGN_OPEN, FW_FOREIGN_LEAVE };

/* One host port forwarded to a guest: a connection to any local address on host_port reaches
 * guest_ip:guest_port (the guest sees the client's address). */
struct fw_forward {
	int proto;           /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t host_port, guest_port;
	uint32_t guest_ip;   /* host order */
	char guest[33];      /* the guest's name, for comments and messages */
};

/* The packet mark bit vmm's nftables table sets on the bridge's traffic so that a plain mark rule
 * in another tool's chain can accept it (net.cfg firewall_mark overrides it). Bit 13: clear of
 * kube-proxy (0x4000, 0x8000), Cilium (0x0f00), Tailscale/Calico/Weave (upper 16 bits). */
#define FW_MARK_DEFAULT 0x2000u

struct fw_config {
	const char *bridge; /* "br0" */
	uint32_t network;   /* host order, e.g. 192.168.166.0 */
	unsigned prefix;    /* 24 */
	bool nat;           /* masquerade rule wanted */
	enum fw_backend backend;  /* FW_AUTO: resolved per host */
	enum fw_foreign foreign;  /* FW_FOREIGN_OPEN by default */
	uint32_t mark;            /* one bit; 0 means FW_MARK_DEFAULT (nftables backend only) */
	const struct fw_forward *forwards; /* host port forwards (not owned), n_forwards of them */
	size_t n_forwards;
};

enum fw_rule_id { FW_JUMP_FORWARD, FW_JUMP_POSTROUTING, FW_ACCEPT_OUT, FW_ACCEPT_BACK, FW_MASQ, FW_NRULES };

struct fw_status {
	bool present[FW_NRULES]; /* each vmm rule/jump present (for this config's bridge/subnet) */
	bool chains_present;     /* vmm's chains exist: VMM-FORWARD, and VMM-POSTROUTING when nat */
	char forward_policy[16]; /* legacy filter FORWARD policy ("ACCEPT"/"DROP"); "ACCEPT" when
				    the legacy filter table is not in use at all */
	bool iptables_is_nft;    /* /usr/sbin/iptables is the nf_tables variant */
	bool nft_forward_drop;   /* an nf_tables ip/inet forward hook chain has policy drop */
	bool forwards_stale;     /* the port forward rules differ from the config's forwards (one
				    missing, or one of a forward the config no longer has) */
};

/* Short human text, e.g. "nat: masquerade 192.168.166.0/24 not leaving br0" (static, generic:
 * without the config's values); NULL for an id out of range. */
const char *fw_rule_name(enum fw_rule_id id);

/* Check a config without touching anything: bridge name valid, prefix 0..32, no host bits in
 * network. 0, or -1 with vmm_invalid set. */
int fw_config_check(const struct fw_config *c);

/* Make the rules of c present (jumps first). Idempotent: when everything is already in place,
 * nothing is committed. Rules of this bridge in vmm's chains that c does not want (another
 * subnet, nat turned off) are removed. 0 or -1 with the error slot set. */
int fw_apply(const struct fw_config *c);

/* Remove this bridge's rules from vmm's chains, then the chains and their jumps once empty.
 * Nothing there (or the tables not even in use) is success. Foreign rules stay as they are. */
int fw_remove(const struct fw_config *c);

/* Read the state (never changes anything, not even instantiating an unused table). Spawns
 * `nft -j list ruleset` (when nft exists) and maybe `iptables -V` for the two host probes. */
int fw_status(const struct fw_config *c, struct fw_status *st);
/* The same without the host probes (iptables_is_nft and nft_forward_drop stay false): no process
 * spawned, ~1 ms; for `net up`'s "anything to do?" check. */
int fw_status_rules(const struct fw_config *c, struct fw_status *st);

/* The complete rule set apply ensures, in iptables-save syntax (usable with
 * `iptables-legacy-restore --noflush`): "*filter", chain declarations, "-I FORWARD ..." for the
 * jumps, "-A VMM-FORWARD ..." for the rules (byte-identical to iptables-legacy-save's lines),
 * "COMMIT", then the same for "*nat" when c->nat. *text is malloc'd (caller frees). Pure. */
int fw_plan(const struct fw_config *c, char **text);

/* The iptables-save line ("-A CHAIN ...", no newline) of one rule or jump; pure; buf >= 512. */
int fw_rule_line(const struct fw_config *c, enum fw_rule_id id, char *buf, size_t len);

/* Number of iptc_commit calls this process made so far (tests prove idempotence with it). */
unsigned fw_commit_count(void);

#endif
