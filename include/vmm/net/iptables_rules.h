/* SPDX-License-Identifier: MIT */
/* iptables_rules.h: the iptables-legacy backend's rules as data (src/net/iptables_rules.c), pure:
 * the entries libiptc and libip6tc take, their iptables-save / ip6tables-save lines, the chains
 * each table (ip filter, ip nat, ip6 filter, ip6 nat) should hold. Used
 * by the live part (src/net/iptables.c) and the unit tests; no function here touches the kernel. */
#ifndef VMM_IPTABLES_RULES_H
#define VMM_IPTABLES_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <net/if.h> /* before libiptc.h */
#include <libiptc/libiptc.h>
#include <libiptc/libip6tc.h>
#include <linux/netfilter/xt_comment.h>

#include "vmm/net/fw_config.h"

/* nat chains of the port forwards, each reached by one jump placed first in PREROUTING/OUTPUT */
#define FW_CHAIN_PREROUTING "VMM-PREROUTING"
#define FW_CHAIN_OUTPUT "VMM-OUTPUT"

/* ip filter, ip nat, ip6 filter, ip6 nat */
#define IPTR_NTABLES 4

/* One rule as data: one description gives both the entry and its iptables-save line. IPv4
 * (v6 false): addresses in src, dst, to_ip; IPv6: in src6, dst6, to_ip6. */
struct iptr_rule {
	const char *chain;                     /* the chain it goes into */
	bool v6;                               /* an ip6tables rule */
	uint32_t src;                          /* -s src/src_len (src_len 0: any) */
	unsigned src_len;
	uint32_t dst;                          /* [!] -d dst/dst_len (dst_len 0: any) */
	unsigned dst_len;
	uint8_t src6[16], dst6[16], to_ip6[16]; /* the same, IPv6 (network order) */
	bool not_dst;
	const char *in;                        /* -i (exact name), or NULL */
	const char *out;                       /* [!] -o (exact name), or NULL */
	bool not_out;
	uint8_t proto;                         /* -p tcp|udp, 0: any */
	uint16_t dport;                        /* -m tcp|udp --dport (with proto), 0: none */
	bool local_dst;                        /* -m addrtype --dst-type LOCAL */
	unsigned ctstate;                      /* -m conntrack --ctstate (xt_conntrack state bits) */
	char comment[XT_MAX_COMMENT_LEN];      /* -m comment --comment */
	const char *target;                    /* -j ACCEPT, MASQUERADE, DNAT or a chain */
	uint32_t to_ip;                        /* DNAT --to-destination to_ip:to_port */
	uint16_t to_port;
	bool fwd;                              /* one of a port forward's rules */
	enum fw_rule_id id;                    /* what it is for (FW_DNAT: a forward's DNAT) */
};

/* One rule's entry as libiptc (struct ipt_entry) or libip6tc (struct ip6t_entry) takes it. */
struct iptr_entry {
	void *e;               /* malloc'd, next_offset bytes */
	const char *target;    /* target name as libiptc reports it */
	const char *chain;     /* the chain it goes into */
};

/* One of vmm's chains in a table: the rules of one bridge wanted there. */
struct iptr_chain {
	const char *builtin;    /* FORWARD, POSTROUTING, PREROUTING, OUTPUT */
	const char *chain;      /* vmm's chain */
	struct iptr_rule *want;      /* malloc'd; the rules of this bridge wanted there, in order */
	size_t n_want;          /* 0: remove this bridge's */
};

/* One table (filter or nat, IPv4 or IPv6) as a config wants it. */
struct iptr_table {
	const char *table;      /* "filter" / "nat" */
	bool v6;                /* ip6tables' (libip6tc) */
	struct iptr_chain chains[3];
	size_t n_chains;
	bool wanted;            /* some rule wanted: the table may be instantiated for it */
};

/* MASQUERADE or DNAT: a target with data of its own (not a verdict or a chain). */
bool iptr_nat_target(const char *t);
/* The jump (comment "vmm") from builtin chain to vmm's chain, into *r. */
void iptr_jump_rule(const char *builtin, const char *chain, struct iptr_rule *r);
/* The entry of r into out (out->e malloc'd; aborts when out of memory). */
void iptr_build_entry(const struct iptr_rule *r, struct iptr_entry *out);
/* The family-independent view of an entry (struct ipt_entry, v6: struct ip6t_entry). */
struct iptr_head {
	const void *ip;         /* its struct ipt_ip / ip6t_ip6 */
	size_t ip_len;
	size_t matches;         /* offset of the first match (the header's size) */
	uint16_t target_offset, next_offset;
	const char *in, *out;   /* its interfaces (IFNAMSIZ bytes each, maybe not terminated) */
};
void iptr_entry_head(const void *e, bool v6, struct iptr_head *h);
/* Does entry x in a vmm chain belong to this bridge: -i BR or -o BR (exact), or its comment is
 * "vmm BR" or "vmm BR ..." (the port forwards' DNAT rules name no interface)? */
bool iptr_bridge_rule(const void *x, bool v6, const char *bridge);
/* The tables as c wants them (remove: as fw_remove wants them, every bridge rule gone), in the
 * order ip filter, ip nat, ip6 filter, ip6 nat (the ip6 ones want nothing without c->ipv6); c is
 * checked already. Free with iptr_table_specs_free. */
void iptr_table_specs(const struct fw_config *c, bool remove, struct iptr_table t[IPTR_NTABLES]);
void iptr_table_specs_free(struct iptr_table t[IPTR_NTABLES]);
/* The entries of a chain's wanted rules (malloc'd, s->n_want of them); free with
 * iptr_entries_free(v, n). */
struct iptr_entry *iptr_entries_build(const struct iptr_chain *s);
void iptr_entries_free(struct iptr_entry *v, size_t n);
/* The line iptables-legacy-save (r->v6: ip6tables-legacy-save) prints for r ("-A CHAIN ...", no
 * newline) into buf; -1 with the error slot set when it does not fit. */
int iptr_rule_text(const struct iptr_rule *r, char *buf, size_t len);

/* The iptables-save line ("-A CHAIN ...", no newline) of one rule or jump; pure; buf >= 512. */
int fw_rule_line(const struct fw_config *c, enum fw_rule_id id, char *buf, size_t len);

#endif
