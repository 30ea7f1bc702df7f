/* SPDX-License-Identifier: MIT */
/* fw_config.h: what the firewall and its backends share: the config, the rules' ids, the status,
 * the check of a config, and struct fw_ops, the face of a backend */
#ifndef VMM_FW_CONFIG_H
#define VMM_FW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FW_CHAIN_FILTER "VMM-FORWARD"
#define FW_CHAIN_NAT "VMM-POSTROUTING"
#define FW_COMMENT "vmm"

/* Which firewall vmm writes: auto picks one per host (see fw_backend_resolve). */
enum fw_backend { FW_AUTO, FW_NFTABLES, FW_IPTABLES_LEGACY };
/* What vmm does with other tools' forward-hook chains that would drop the bridge's traffic:
 * open exactly that traffic there (default), or leave them alone and only report them. */
enum fw_foreign { FW_FOREIGN_OPEN, FW_FOREIGN_LEAVE };

/* One host port forwarded to a guest: a connection to any local address (or to host_ip only) on
 * guest_ip:guest_port (the guest sees the client's address). */
struct fw_forward {
	int proto;           /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t host_port, guest_port;
	uint32_t guest_ip;   /* host order */
	char guest[33];      /* the guest's name, for comments and messages */
	uint32_t host_ip;    /* host order; 0: every local address but loopback */
	bool has_mac;        /* mac: the guest's, for its IPv6 (SLAAC) address in fw_config's /64 */
	uint8_t mac[6];
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
	/* IPv6 (net.cfg ipv6; both backends): the guests' /64, masqueraded with nat6; the
	 * forwards also reach the guests' SLAAC addresses */
	bool ipv6;
	uint8_t prefix6[8];
	bool nat6;
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
	FW_ACCEPT_BRIDGED, /* accept what is bridged: in and out by the bridge (guest to guest) */
	FW_DROP_OUT,    /* drop the rest from the bridge (a source outside the subnet) */
	FW_DROP_IN,     /* drop the rest to the bridge (new connections from outside) */
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

/* Check a config without touching anything: bridge name valid, prefix 0..32, no host bits in
 * network. 0, or -1 with vmm_invalid set. */
int fw_config_check(const struct fw_config *c);

/*
 * A firewall backend (iptables.c: fw_legacy_ops, nftables.c: fw_nft_ops); firewall.c picks one
 * and calls it through these, never the other way round. Each takes a config fw_config_check
 * accepted and leaves the error slot set when it fails; what each does is said at fw_apply,
 * fw_remove, fw_status and fw_plan (firewall.h).
 */
struct fw_ops {
	enum fw_backend id;
	/* notes, n_notes: the announcements of this apply (malloc'd strings in a malloc'd array,
	 * the caller's; may stay NULL, 0) */
	int (*apply)(const struct fw_config *c, char ***notes, size_t *n_notes);
	int (*remove)(const struct fw_config *c);
	/* The backend's part of st (zeroed by the caller); probes: also the slower host probes */
	int (*status)(const struct fw_config *c, struct fw_status *st, bool probes);
	int (*plan)(const struct fw_config *c, char **text);
	/* 1 when the backend's tables in this network namespace hold something not vmm's, 0 when
	 * not, -1 when it cannot tell (error slot set); changes nothing */
	int (*in_use)(const struct fw_config *c);
	/* Commits (iptc_commit, nft transactions) of this process so far */
	unsigned (*commits)(void);
};

#endif
