// SPDX-License-Identifier: MIT
/* iptables_rules.c: the iptables-legacy backend's rules as data: entries for libiptc and
 * libip6tc, their iptables-save text, what each table should hold (pure: no libiptc call) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <net/if.h> /* before libiptc.h */
#include <libiptc/libiptc.h>
#include <libiptc/libip6tc.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_addrtype.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <netinet/in.h>

#include "vmm/config/ipv6.h"
#include "vmm/sys/error.h"
#include "vmm/net/fw_config.h"
#include "vmm/net/iptables_rules.h"
#include "vmm/sys/util.h"

#define CONNTRACK_REV 3
#define ADDRTYPE_REV 1
#define DNAT_REV 2 /* struct nf_nat_range2: the revision iptables itself writes (and prints) */

/* ---- rules as data: one description gives both the entry and its iptables-save line ---- */

bool iptr_nat_target(const char *t)
{
	return !strcmp(t, "MASQUERADE") || !strcmp(t, "DNAT");
}

void iptr_jump_rule(const char *builtin, const char *chain, struct iptr_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->chain = builtin;
	r->target = chain;
	snprintf(r->comment, sizeof(r->comment), "%s", FW_COMMENT);
}

/* One of the bridge's own rules (config already checked). */
static void rule_of(const struct fw_config *c, enum fw_rule_id id, struct iptr_rule *r)
{
	switch (id) {
	case FW_JUMP_FORWARD:
		iptr_jump_rule("FORWARD", FW_CHAIN_FILTER, r);
		r->id = id;
		return;
	case FW_JUMP_POSTROUTING:
		iptr_jump_rule("POSTROUTING", FW_CHAIN_NAT, r);
		r->id = id;
		return;
	default: break;
	}
	memset(r, 0, sizeof(*r));
	snprintf(r->comment, sizeof(r->comment), "%s %s", FW_COMMENT, c->bridge);
	r->id = id;
	r->target = IPTC_LABEL_ACCEPT;
	r->chain = FW_CHAIN_FILTER;
	switch (id) {
	case FW_ACCEPT_BRIDGED:
		r->in = r->out = c->bridge;
		break;
	case FW_ACCEPT_OUT: /* only the subnet's own sources */
		r->src = c->network;
		r->src_len = c->prefix;
		r->in = c->bridge;
		break;
	case FW_ACCEPT_BACK:
		r->out = c->bridge;
		r->ctstate = XT_CONNTRACK_STATE_BIT(IP_CT_RELATED) |
			     XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED);
		break;
	case FW_DROP_OUT:
		r->in = c->bridge;
		r->target = IPTC_LABEL_DROP;
		break;
	case FW_DROP_IN:
		r->out = c->bridge;
		r->target = IPTC_LABEL_DROP;
		break;
	default: /* FW_MASQ */
		r->chain = FW_CHAIN_NAT;
		r->src = c->network;
		r->src_len = c->prefix;
		r->out = c->bridge;
		r->not_out = true;
		r->target = "MASQUERADE";
		break;
	}
}

/* A rule of the bridge's own (not a forward's, not a jump) that fw_rule_line can print. */
static bool fixed_rule(enum fw_rule_id id)
{
	return id <= FW_MASQ || id == FW_ACCEPT_BRIDGED || id == FW_DROP_OUT || id == FW_DROP_IN;
}

/* The IPv6 twin of one of the bridge's own rules: the /64 for the subnet. */
static void rule_of6(const struct fw_config *c, enum fw_rule_id id, struct iptr_rule *r)
{
	rule_of(c, id, r);
	r->v6 = true;
	if (r->src_len) {
		r->src = 0;
		r->src_len = 64;
		memcpy(r->src6, c->prefix6, 8);
	}
}

/* The guest's SLAAC address in c's /64 (network order). */
static void guest6(const struct fw_config *c, const struct fw_forward *f, uint8_t a[16])
{
	char text[IPV6_TEXT_MAX];
	ipv6_eui64(c->prefix6, f->mac, text);
	if (inet_pton(AF_INET6, text, a) != 1)
		abort(); /* ipv6_eui64 wrote it */
}

/* The three rules of a port forward: DNAT of what arrives for a local address (from the LAN),
 * DNAT of what the host itself sends to one of its addresses (loopback left alone: a source of
 * 127.0.0.1 cannot leave through the bridge), and the accept of the DNAT'ed connection. */
enum fwd_kind { FWD_PREROUTING, FWD_OUTPUT, FWD_ACCEPT };

static void rule_of_forward(const struct fw_config *c, const struct fw_forward *f,
			    enum fwd_kind k, struct iptr_rule *r)
{
	memset(r, 0, sizeof(*r));
	if (f->guest[0])
		snprintf(r->comment, sizeof(r->comment), "%s %s %s", FW_COMMENT, c->bridge, f->guest);
	else
		snprintf(r->comment, sizeof(r->comment), "%s %s", FW_COMMENT, c->bridge);
	r->proto = (uint8_t)f->proto;
	r->fwd = true;
	r->id = k == FWD_ACCEPT ? FW_ACCEPT_DNAT : FW_DNAT;
	switch (k) {
	case FWD_ACCEPT:
		r->chain = FW_CHAIN_FILTER;
		r->dst = f->guest_ip;
		r->dst_len = 32;
		r->out = c->bridge;
		r->dport = f->guest_port;
		r->ctstate = XT_CONNTRACK_STATE_DNAT;
		r->target = IPTC_LABEL_ACCEPT;
		return;
	case FWD_OUTPUT:
		r->dst = 127u << 24;
		r->dst_len = 8;
		r->not_dst = true;
		r->chain = FW_CHAIN_OUTPUT;
		break;
	default:
		r->chain = FW_CHAIN_PREROUTING;
		break;
	}
	if (f->host_ip) { /* bound to one address (never loopback: fw_config_check) */
		r->dst = f->host_ip;
		r->dst_len = 32;
		r->not_dst = false;
	}
	r->dport = f->host_port;
	r->local_dst = true;
	r->target = "DNAT";
	r->to_ip = f->guest_ip;
	r->to_port = f->guest_port;
}

/* The same over IPv6, to the guest's SLAAC address (a forward with a MAC, bound to no address):
 * the OUTPUT DNAT leaves ::1 alone. */
static void rule_of_forward6(const struct fw_config *c, const struct fw_forward *f,
			     enum fwd_kind k, struct iptr_rule *r)
{
	rule_of_forward(c, f, k, r);
	r->v6 = true;
	r->dst = r->to_ip = 0;
	memset(r->dst6, 0, sizeof(r->dst6));
	if (k == FWD_ACCEPT) {
		guest6(c, f, r->dst6);
		r->dst_len = 128;
		return;
	}
	guest6(c, f, r->to_ip6);
	if (k == FWD_OUTPUT) {
		r->dst6[15] = 1;
		r->dst_len = 128;
	}
}

/* Does the forward also go over IPv6? (bound to an IPv4 address: IPv4 only) */
static bool forward6(const struct fw_config *c, const struct fw_forward *f)
{
	return c->ipv6 && f->has_mac && !f->host_ip;
}

/* ---- entries built by hand ---- */

static size_t match_len(size_t data)
{
	return XT_ALIGN(sizeof(struct xt_entry_match)) + XT_ALIGN(data);
}

static size_t target_len(size_t data)
{
	return XT_ALIGN(sizeof(struct xt_entry_target)) + XT_ALIGN(data);
}

static void put_match(unsigned char **p, const char *name, unsigned rev, const void *data,
		      size_t len)
{
	struct xt_entry_match *m = (struct xt_entry_match *)*p;
	m->u.user.match_size = (uint16_t)match_len(len);
	snprintf(m->u.user.name, sizeof(m->u.user.name), "%s", name);
	m->u.user.revision = (uint8_t)rev;
	memcpy(m->data, data, len);
	*p += m->u.user.match_size;
}

static void put_target(unsigned char *p, const char *name, const void *data, size_t len)
{
	struct xt_entry_target *t = (struct xt_entry_target *)p;
	t->u.user.target_size = (uint16_t)target_len(len);
	snprintf(t->u.user.name, sizeof(t->u.user.name), "%s", name);
	if (data)
		memcpy(t->data, data, len);
}

static void set_iface(char *name, unsigned char *mask, const char *iface)
{
	size_t l = strlen(iface);
	memcpy(name, iface, l);
	memset(mask, 0xff, l + 1); /* exact name, NUL included (what iptables does without '+') */
}

void iptr_entry_head(const void *e, bool v6, struct iptr_head *h)
{
	if (v6) {
		const struct ip6t_entry *x = e;
		*h = (struct iptr_head){ &x->ipv6, sizeof(x->ipv6), sizeof(*x), x->target_offset,
					 x->next_offset, x->ipv6.iniface, x->ipv6.outiface };
	} else {
		const struct ipt_entry *x = e;
		*h = (struct iptr_head){ &x->ip, sizeof(x->ip), sizeof(*x), x->target_offset,
					 x->next_offset, x->ip.iniface, x->ip.outiface };
	}
}

/* The IPv4 part of an entry (addresses, interfaces, protocol). */
static void fill_ip4(struct ipt_entry *e, const struct iptr_rule *r)
{
	if (r->src_len) {
		e->ip.src.s_addr = htonl(r->src);
		e->ip.smsk.s_addr = htonl(util_prefix_mask(r->src_len));
	}
	if (r->dst_len) {
		e->ip.dst.s_addr = htonl(r->dst);
		e->ip.dmsk.s_addr = htonl(util_prefix_mask(r->dst_len));
		if (r->not_dst)
			e->ip.invflags |= IPT_INV_DSTIP;
	}
	if (r->in)
		set_iface(e->ip.iniface, e->ip.iniface_mask, r->in);
	if (r->out) {
		set_iface(e->ip.outiface, e->ip.outiface_mask, r->out);
		if (r->not_out)
			e->ip.invflags |= IPT_INV_VIA_OUT;
	}
	e->ip.proto = r->proto;
}

/* A /len mask of 16 bytes. */
static void mask6(unsigned len, uint8_t m[16])
{
	memset(m, 0, 16);
	for (unsigned i = 0; i < len && i < 128; i++)
		m[i / 8] |= (uint8_t)(0x80 >> (i % 8));
}

/* The IPv6 part of an entry, as ip6tables fills it (IP6T_F_PROTO with a protocol). */
static void fill_ip6(struct ip6t_entry *e, const struct iptr_rule *r)
{
	if (r->src_len) {
		memcpy(&e->ipv6.src, r->src6, 16);
		mask6(r->src_len, e->ipv6.smsk.s6_addr);
	}
	if (r->dst_len) {
		memcpy(&e->ipv6.dst, r->dst6, 16);
		mask6(r->dst_len, e->ipv6.dmsk.s6_addr);
		if (r->not_dst)
			e->ipv6.invflags |= IP6T_INV_DSTIP;
	}
	if (r->in)
		set_iface(e->ipv6.iniface, e->ipv6.iniface_mask, r->in);
	if (r->out) {
		set_iface(e->ipv6.outiface, e->ipv6.outiface_mask, r->out);
		if (r->not_out)
			e->ipv6.invflags |= IP6T_INV_VIA_OUT;
	}
	e->ipv6.proto = r->proto;
	if (r->proto)
		e->ipv6.flags |= IP6T_F_PROTO;
}

/* The size of the target's data: MASQUERADE's range (IPv4: the old multi-range) or DNAT's. */
static size_t nat_data_len(const struct iptr_rule *r)
{
	if (!strcmp(r->target, "DNAT"))
		return sizeof(struct nf_nat_range2);
	return r->v6 ? sizeof(struct nf_nat_range) : sizeof(struct nf_nat_ipv4_multi_range_compat);
}

/* The matches of r, in the order iptables puts them, from p. */
static unsigned char *put_matches(const struct iptr_rule *r, unsigned char *p)
{
	struct xt_comment_info com;
	struct xt_conntrack_mtinfo3 ct;
	struct xt_tcp tcp;
	struct xt_udp udp;
	struct xt_addrtype_info_v1 at;

	if (r->dport && r->proto == IPPROTO_UDP) {
		memset(&udp, 0, sizeof(udp));
		udp.spts[1] = 0xffff;
		udp.dpts[0] = udp.dpts[1] = r->dport;
		put_match(&p, "udp", 0, &udp, sizeof(udp));
	} else if (r->dport) {
		memset(&tcp, 0, sizeof(tcp));
		tcp.spts[1] = 0xffff;
		tcp.dpts[0] = tcp.dpts[1] = r->dport;
		put_match(&p, "tcp", 0, &tcp, sizeof(tcp));
	}
	if (r->local_dst) {
		memset(&at, 0, sizeof(at));
		at.dest = XT_ADDRTYPE_LOCAL;
		put_match(&p, "addrtype", ADDRTYPE_REV, &at, sizeof(at));
	}
	if (r->ctstate) {
		memset(&ct, 0, sizeof(ct));
		ct.match_flags = XT_CONNTRACK_STATE;
		ct.state_mask = (uint16_t)r->ctstate;
		put_match(&p, "conntrack", CONNTRACK_REV, &ct, sizeof(ct));
	}
	memset(&com, 0, sizeof(com));
	snprintf(com.comment, sizeof(com.comment), "%s", r->comment);
	put_match(&p, "comment", 0, &com, sizeof(com));
	return p;
}

/* The target of r at p: DNAT, MASQUERADE, or a standard one (a verdict or a chain). */
static void put_target_of(const struct iptr_rule *r, unsigned char *p)
{
	struct nf_nat_ipv4_multi_range_compat masq;
	struct nf_nat_range masq6;
	struct nf_nat_range2 dnat;

	if (!strcmp(r->target, "DNAT")) {
		memset(&dnat, 0, sizeof(dnat));
		dnat.flags = NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED;
		if (r->v6) {
			memcpy(&dnat.min_addr.in6, r->to_ip6, 16);
			memcpy(&dnat.max_addr.in6, r->to_ip6, 16);
		} else {
			dnat.min_addr.ip = dnat.max_addr.ip = htonl(r->to_ip);
		}
		dnat.min_proto.all = dnat.max_proto.all = htons(r->to_port);
		put_target(p, r->target, &dnat, sizeof(dnat));
		((struct xt_entry_target *)p)->u.user.revision = DNAT_REV;
	} else if (iptr_nat_target(r->target) && r->v6) {
		memset(&masq6, 0, sizeof(masq6));
		put_target(p, r->target, &masq6, sizeof(masq6));
	} else if (iptr_nat_target(r->target)) {
		memset(&masq, 0, sizeof(masq));
		masq.rangesize = 1;
		put_target(p, r->target, &masq, sizeof(masq));
	} else {
		/* standard target: libiptc maps the name (ACCEPT or a chain) to the verdict */
		struct xt_standard_target *st = (struct xt_standard_target *)p;
		st->target.u.user.target_size = (uint16_t)XT_ALIGN(sizeof(*st));
		snprintf(st->target.u.user.name, sizeof(st->target.u.user.name), "%s", r->target);
	}
}

/* Build the entry of one rule (aborts when out of memory). */
void iptr_build_entry(const struct iptr_rule *r, struct iptr_entry *out)
{
	size_t hdr = r->v6 ? sizeof(struct ip6t_entry) : sizeof(struct ipt_entry), size = hdr;

	if (r->dport)
		size += match_len(r->proto == IPPROTO_UDP ? sizeof(struct xt_udp)
							  : sizeof(struct xt_tcp));
	if (r->local_dst)
		size += match_len(sizeof(struct xt_addrtype_info_v1));
	if (r->ctstate)
		size += match_len(sizeof(struct xt_conntrack_mtinfo3));
	size += match_len(sizeof(struct xt_comment_info));
	size_t toff = size;
	if (iptr_nat_target(r->target))
		size += target_len(nat_data_len(r));
	else
		size += XT_ALIGN(sizeof(struct xt_standard_target));
	unsigned char *e = calloc(1, size);
	if (!e)
		abort();
	if (r->v6) {
		struct ip6t_entry *x = (struct ip6t_entry *)e;
		x->target_offset = (uint16_t)toff;
		x->next_offset = (uint16_t)size;
		fill_ip6(x, r);
	} else {
		struct ipt_entry *x = (struct ipt_entry *)e;
		x->target_offset = (uint16_t)toff;
		x->next_offset = (uint16_t)size;
		fill_ip4(x, r);
	}
	put_target_of(r, put_matches(r, e + hdr));
	out->chain = r->chain;
	out->target = r->target;
	out->e = e; /* out owns it */
}

/* Does a rule in a vmm chain belong to this bridge: -i BR or -o BR (exact), or its comment is
 * "vmm BR" or "vmm BR ..." (the port forwards' DNAT rules name no interface)? */
bool iptr_bridge_rule(const void *x, bool v6, const char *bridge)
{
	struct iptr_head h;
	char in[IFNAMSIZ + 1] = "", out[IFNAMSIZ + 1] = "";
	iptr_entry_head(x, v6, &h);
	memcpy(in, h.in, IFNAMSIZ);
	memcpy(out, h.out, IFNAMSIZ);
	if (!strcmp(in, bridge) || !strcmp(out, bridge))
		return true;
	char own[IFNAMSIZ + 8];
	int ol = snprintf(own, sizeof(own), "%s %s", FW_COMMENT, bridge);
	for (size_t off = h.matches; off + sizeof(struct xt_entry_match) <= h.target_offset;) {
		const struct xt_entry_match *m = (const void *)((const char *)x + off);
		if (m->u.match_size < sizeof(*m))
			break;
		if (!strncmp(m->u.user.name, "comment", sizeof(m->u.user.name)) &&
		    m->u.match_size >= sizeof(*m) + sizeof(struct xt_comment_info)) {
			const struct xt_comment_info *ci = (const void *)m->data;
			if (!strncmp(ci->comment, own, (size_t)ol) &&
			    (ci->comment[ol] == '\0' || ci->comment[ol] == ' '))
				return true;
		}
		off += m->u.match_size;
	}
	return false;
}

/* ---- what each table should hold ---- */

static struct iptr_rule *rules_alloc(size_t n)
{
	struct iptr_rule *v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		abort();
	return v;
}

/* One family's two tables (t[0] filter, t[1] nat) as c wants them; v6 without c->ipv6 wants
 * nothing (as when removing). */
static void specs_family(const struct fw_config *c, bool remove, bool v6, struct iptr_table t[2])
{
	void (*fixed)(const struct fw_config *, enum fw_rule_id, struct iptr_rule *) =
		v6 ? rule_of6 : rule_of;
	void (*fwd_rule)(const struct fw_config *, const struct fw_forward *, enum fwd_kind,
			 struct iptr_rule *) = v6 ? rule_of_forward6 : rule_of_forward;
	bool own = !remove && (!v6 || c->ipv6), masq = own && (v6 ? c->nat6 : c->nat);
	size_t nf = own ? c->n_forwards : 0;

	t[0] = (struct iptr_table){ .table = "filter", .v6 = v6, .n_chains = 1, .wanted = own };
	struct iptr_chain *fwd = &t[0].chains[0];
	*fwd = (struct iptr_chain){ "FORWARD", FW_CHAIN_FILTER, rules_alloc(5 + nf), 0 };
	/* in this order: the accepts, the forwards' accepts, then the drops */
	if (own) {
		fixed(c, FW_ACCEPT_BRIDGED, &fwd->want[fwd->n_want++]);
		fixed(c, FW_ACCEPT_OUT, &fwd->want[fwd->n_want++]);
		fixed(c, FW_ACCEPT_BACK, &fwd->want[fwd->n_want++]);
	}
	for (size_t i = 0; i < nf; i++)
		if (!v6 || forward6(c, &c->forwards[i]))
			fwd_rule(c, &c->forwards[i], FWD_ACCEPT, &fwd->want[fwd->n_want++]);
	if (own) {
		fixed(c, FW_DROP_OUT, &fwd->want[fwd->n_want++]);
		fixed(c, FW_DROP_IN, &fwd->want[fwd->n_want++]);
	}

	t[1] = (struct iptr_table){ .table = "nat", .v6 = v6, .n_chains = 3 };
	struct iptr_chain *post = &t[1].chains[0], *pre = &t[1].chains[1], *outc = &t[1].chains[2];
	*post = (struct iptr_chain){ "POSTROUTING", FW_CHAIN_NAT, rules_alloc(1), 0 };
	*pre = (struct iptr_chain){ "PREROUTING", FW_CHAIN_PREROUTING, rules_alloc(nf), 0 };
	*outc = (struct iptr_chain){ "OUTPUT", FW_CHAIN_OUTPUT, rules_alloc(nf), 0 };
	if (masq)
		fixed(c, FW_MASQ, &post->want[post->n_want++]);
	for (size_t i = 0; i < nf; i++) {
		if (v6 && !forward6(c, &c->forwards[i]))
			continue;
		fwd_rule(c, &c->forwards[i], FWD_PREROUTING, &pre->want[pre->n_want++]);
		fwd_rule(c, &c->forwards[i], FWD_OUTPUT, &outc->want[outc->n_want++]);
	}
	t[1].wanted = post->n_want + pre->n_want > 0;
}

/* The tables as c wants them (remove: as fw_remove wants them, every bridge rule gone). */
void iptr_table_specs(const struct fw_config *c, bool remove, struct iptr_table t[IPTR_NTABLES])
{
	specs_family(c, remove, false, t);
	specs_family(c, remove, true, t + 2);
}

void iptr_table_specs_free(struct iptr_table t[IPTR_NTABLES])
{
	for (int i = 0; i < IPTR_NTABLES; i++)
		for (size_t j = 0; j < t[i].n_chains; j++)
			free(t[i].chains[j].want);
}

struct iptr_entry *iptr_entries_build(const struct iptr_chain *s)
{
	struct iptr_entry *v = calloc(s->n_want ? s->n_want : 1, sizeof(*v));
	if (!v)
		abort();
	for (size_t i = 0; i < s->n_want; i++)
		iptr_build_entry(&s->want[i], &v[i]);
	return v;
}

void iptr_entries_free(struct iptr_entry *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].e);
	free(v);
}

/* ---- text (iptables-save syntax) ---- */

/* Append a comment the way iptables-save prints it (quoted unless [A-Za-z0-9_-]+). */
static void quote_comment(const char *s, char *buf, size_t len)
{
	size_t n = strspn(s, "_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
	size_t o = 0;
	if (n > 0 && !s[n]) {
		snprintf(buf, len, "%s", s);
		return;
	}
	if (len < 3)
		return;
	buf[o++] = '"';
	for (; *s && o + 3 < len; s++) {
		if (*s == '"' || *s == '\\' || *s == '\'')
			buf[o++] = '\\';
		buf[o++] = *s;
	}
	buf[o++] = '"';
	buf[o] = 0;
}

/* An address of r as text (IPv4 from v4, IPv6 from v6) into a (IPV6_TEXT_MAX bytes). */
static void addr_text(const struct iptr_rule *r, uint32_t v4, const uint8_t v6[16], char *a)
{
	if (r->v6)
		inet_ntop(AF_INET6, v6, a, IPV6_TEXT_MAX);
	else
		util_format_ipv4(v4, a);
}

/* The line iptables-legacy-save (r->v6: ip6tables-legacy-save) prints for r: fields in its
 * order (addresses, interfaces,
 * protocol, then the matches as the entry holds them, then the target). */
int iptr_rule_text(const struct iptr_rule *r, char *buf, size_t len)
{
	static const struct { unsigned bit; const char *name; } states[] = {
		{ XT_CONNTRACK_STATE_INVALID, "INVALID" },
		{ XT_CONNTRACK_STATE_BIT(IP_CT_NEW), "NEW" },
		{ XT_CONNTRACK_STATE_BIT(IP_CT_RELATED), "RELATED" },
		{ XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED), "ESTABLISHED" },
		{ XT_CONNTRACK_STATE_UNTRACKED, "UNTRACKED" },
		{ XT_CONNTRACK_STATE_SNAT, "SNAT" },
		{ XT_CONNTRACK_STATE_DNAT, "DNAT" },
	};
	char q[2 * XT_MAX_COMMENT_LEN + 3], a[IPV6_TEXT_MAX];
	const char *proto = r->proto == IPPROTO_UDP ? "udp" : "tcp";
	size_t o = 0;
#define PUT(...)                                                                          \
	do {                                                                              \
		int n_ = snprintf(buf + o, o < len ? len - o : 0, __VA_ARGS__);           \
		if (n_ < 0 || o + (size_t)n_ >= len)                                      \
			return vmm_fail("firewall: rule text longer than %zu bytes", len); \
		o += (size_t)n_;                                                          \
	} while (0)
	PUT("-A %s", r->chain);
	if (r->src_len) {
		addr_text(r, r->src, r->src6, a);
		PUT(" -s %s/%u", a, r->src_len);
	}
	if (r->dst_len) {
		addr_text(r, r->dst, r->dst6, a);
		PUT("%s -d %s/%u", r->not_dst ? " !" : "", a, r->dst_len);
	}
	if (r->in)
		PUT(" -i %s", r->in);
	if (r->out)
		PUT("%s -o %s", r->not_out ? " !" : "", r->out);
	if (r->proto)
		PUT(" -p %s", proto);
	if (r->dport)
		PUT(" -m %s --dport %u", proto, (unsigned)r->dport);
	if (r->local_dst)
		PUT(" -m addrtype --dst-type LOCAL");
	if (r->ctstate) {
		const char *sep = " -m conntrack --ctstate ";
		for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
			if (r->ctstate & states[i].bit) {
				PUT("%s%s", sep, states[i].name);
				sep = ",";
			}
	}
	quote_comment(r->comment, q, sizeof(q));
	PUT(" -m comment --comment %s -j %s", q, r->target);
	if (!strcmp(r->target, "DNAT")) {
		addr_text(r, r->to_ip, r->to_ip6, a);
		PUT(r->v6 ? " --to-destination [%s]:%u" : " --to-destination %s:%u", a,
		    (unsigned)r->to_port);
	}
#undef PUT
	return 0;
}

int fw_rule_line(const struct fw_config *c, enum fw_rule_id id, char *buf, size_t len)
{
	struct iptr_rule r;
	if (fw_config_check(c) < 0)
		return -1;
	if ((unsigned)id >= FW_NRULES || !fixed_rule(id))
		return vmm_invalid("firewall: rule %d: no such rule", (int)id);
	rule_of(c, id, &r);
	return iptr_rule_text(&r, buf, len);
}
