/* SPDX-License-Identifier: MIT */
/* firewall.h: vmm's firewall rules, through one of two backends (nftables, iptables-legacy) */
#ifndef VMM_FIREWALL_H
#define VMM_FIREWALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Two backends behind this one interface (src/net/firewall.c picks one, see fw_backend_resolve):
 *
 * nftables (src/net/nftables.c, libnftables in-process): vmm's own table `inet vmm`:
 *   chain forward     (filter hook forward, priority filter - 10): mark (c->mark) and accept the
 *                     bridge's traffic: in from it, replies back to it, port-forwarded to it;
 *   chain postrouting (nat, srcnat): masquerade the subnet when it does not leave by the bridge;
 *   chain prerouting, output (nat, dstnat): DNAT of the host port forwards (any local address).
 *   Each rule is commented "vmm BR HASH" (HASH: of the rule's text, so a changed config is seen).
 *   Other tools' base chains at the forward hook that would drop the bridge's traffic get one
 *   "opening" at their top (Docker: DOCKER-USER), readable by iptables-nft:
 *     meta mark & MARK == MARK counter accept comment "vmm"
 *   Every change is one nft transaction; nothing is committed when nothing changes.
 *
 * iptables-legacy (src/net/iptables.c, libiptc), for hosts whose iptables is the legacy variant:
 *   filter: chain VMM-FORWARD, reached by one jump placed first in FORWARD;
 *           -A VMM-FORWARD -i BR -m comment --comment "vmm BR" -j ACCEPT
 *           -A VMM-FORWARD -o BR -m conntrack --ctstate RELATED,ESTABLISHED
 *              -m comment --comment "vmm BR" -j ACCEPT
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
 *   Jumps carry the comment "vmm". Rules inside vmm's chains belong to the bridge they name
 *   (-i/-o BR, or a comment "vmm BR ..."), so two bridges can share the chains; a chain (and its
 *   jump) goes away when its last rule does. Chain policies are never changed. Each table
 *   changes in one iptc_commit, under the xtables lock (/run/xtables.lock), retried when another
 *   writer raced us (EAGAIN).
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
	/* nftables: the forwards also from this namespace's loopback (a namespace of the user's,
	 * where pasta delivers the host's own 127.0.0.1:PORT): output DNAT of 127.0.0.0/8 too, and
	 * masquerade of 127.0.0.0/8 out of the bridge (needs route_localnet) */
	bool local_forwards;
};

/* vmm's rules, by purpose. In the nftables backend the two JUMP ids stand for vmm's base chains
 * (forward, postrouting); FW_DNAT stands for all the forwards' DNAT rules together. */
enum fw_rule_id {
	FW_JUMP_FORWARD,
	FW_JUMP_POSTROUTING,
	FW_ACCEPT_OUT,
	FW_ACCEPT_BACK,
	FW_MASQ,
	FW_ACCEPT_DNAT, /* accept port-forwarded connections to the bridge (only with forwards) */
	FW_DNAT,        /* the host port forwards' DNAT (only with forwards) */
	FW_NRULES
};

/* One base chain at the forward hook (nftables backend; families ip, ip6, inet). */
struct fw_hook_chain {
	char family[8], table[64], name[64];
	int prio;            /* the kernel runs lower first */
	bool policy_drop;    /* policy drop */
	bool ends_drop;      /* its last rule drops or rejects */
	bool vmm;            /* vmm's own (table inet vmm) */
	bool drops;          /* would drop the guests' IPv4 traffic (ip/inet, policy or last rule) */
	bool early;          /* runs before vmm's chain: a mark opening cannot work there */
	bool owned;          /* its table has flag owner (firewalld 2.x): no one else may change it */
	bool odd_name;       /* its family/table/chain name cannot be written in nft's syntax */
	char owner[16];      /* "Docker", "ufw", "firewalld", "iptables-nft", "nftables" */
	char open_in[64];    /* the chain where vmm's opening goes (DOCKER-USER or this one) */
	bool opened;         /* vmm's opening is there (with the current mark) */
};
#define FW_MAX_CHAINS 24

struct fw_status {
	enum fw_backend backend; /* the backend in use (resolved) */
	char backend_why[192];   /* why that one, e.g. "auto: iptables is iptables-nft" */
	bool wanted[FW_NRULES];  /* which rules this config needs */
	bool present[FW_NRULES]; /* each vmm rule/jump present (for this config's bridge/subnet) */
	bool chains_present;     /* vmm's chains exist (legacy: VMM-FORWARD, VMM-POSTROUTING when
				    nat; nftables: table inet vmm with the base chains needed) */
	/* nftables backend: the forward hook's base chains in the order the kernel runs them */
	struct fw_hook_chain chains[FW_MAX_CHAINS];
	size_t n_chains;
	size_t n_missing_openings; /* dropping chains without vmm's opening (foreign = open) */
	size_t n_stale;          /* vmm's rules this config no longer wants (old forwards, another
				    subnet or mark; openings with foreign = leave): apply removes them */
	/* legacy backend */
	char forward_policy[16]; /* legacy filter FORWARD policy ("ACCEPT"/"DROP"); "ACCEPT" when
				    the legacy filter table is not in use at all */
	bool iptables_is_nft;    /* /usr/sbin/iptables is the nf_tables variant */
	bool nft_forward_drop;   /* an nf_tables ip/inet forward hook chain has policy drop */
	bool forwards_stale;     /* the port forward rules differ from the config's forwards (one
				    missing, or one of a forward the config no longer has) */
};

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

/* Check a config without touching anything: bridge name valid, prefix 0..32, no host bits in
 * network. 0, or -1 with vmm_invalid set. */
int fw_config_check(const struct fw_config *c);

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

/* The iptables-save line ("-A CHAIN ...", no newline) of one rule or jump; pure; buf >= 512. */
int fw_rule_line(const struct fw_config *c, enum fw_rule_id id, char *buf, size_t len);

/* Number of commits (iptc_commit, nft transactions) this process made so far (tests prove
 * idempotence with it). */
unsigned fw_commit_count(void);

#endif
