// SPDX-License-Identifier: MIT
// iptables.c: vmm's chains, jumps and rules in the legacy iptables tables, built by hand for libiptc
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <net/if.h> /* before libiptc.h */
#include <libiptc/libiptc.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_addrtype.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <netinet/in.h>

#include <json-c/json.h>

#include "vmm/sys/error.h"
#include "vmm/net/fw_config.h"
#include "vmm/net/iptables.h"
#include "vmm/sys/util.h"

#define XTABLES_LOCK "/run/xtables.lock"
#define LOCK_WAIT_MS 30000
#define COMMIT_TRIES 10
#define CONNTRACK_REV 3
#define ADDRTYPE_REV 1
#define DNAT_REV 2 /* struct nf_nat_range2: the revision iptables itself writes (and prints) */
/* nat chains of the port forwards, each reached by one jump placed first in PREROUTING/OUTPUT */
#define FW_CHAIN_PREROUTING "VMM-PREROUTING"
#define FW_CHAIN_OUTPUT "VMM-OUTPUT"

static unsigned n_commits;

unsigned fw_legacy_commits(void)
{
	return n_commits;
}

/* ---- error text ---- */

/* "firewall: WHAT: REASON" with iptc_strerror's text, lowercased, or the needs-root hint. */
static int fw_fail_errno(const char *what, int err)
{
	char buf[200];
	if (err == EPERM || err == EACCES)
		return vmm_fail("firewall: %s: permission denied (needs root or CAP_NET_ADMIN)", what);
	snprintf(buf, sizeof(buf), "%s", iptc_strerror(err));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] = (char)(buf[0] - 'A' + 'a');
	size_t l = strlen(buf);
	while (l && (buf[l - 1] == '.' || buf[l - 1] == '\n'))
		buf[--l] = 0;
	return vmm_fail("firewall: %s: %s", what, buf);
}

/* ---- rules as data: one description gives both the entry and its iptables-save line ---- */

struct rule {
	const char *chain;                     /* the chain it goes into */
	uint32_t src;                          /* -s src/src_len (src_len 0: any) */
	unsigned src_len;
	uint32_t dst;                          /* [!] -d dst/dst_len (dst_len 0: any) */
	unsigned dst_len;
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
};

struct fw_entry {
	struct ipt_entry *e;   /* malloc'd, next_offset bytes */
	const char *target;    /* target name as libiptc reports it */
	const char *chain;     /* the chain it goes into */
};

static bool nat_target(const char *t)
{
	return !strcmp(t, "MASQUERADE") || !strcmp(t, "DNAT");
}

static void jump_rule(const char *builtin, const char *chain, struct rule *r)
{
	memset(r, 0, sizeof(*r));
	r->chain = builtin;
	r->target = chain;
	snprintf(r->comment, sizeof(r->comment), "%s", FW_COMMENT);
}

/* One of the bridge's own rules (config already checked). */
static void rule_of(const struct fw_config *c, enum fw_rule_id id, struct rule *r)
{
	switch (id) {
	case FW_JUMP_FORWARD: jump_rule("FORWARD", FW_CHAIN_FILTER, r); return;
	case FW_JUMP_POSTROUTING: jump_rule("POSTROUTING", FW_CHAIN_NAT, r); return;
	default: break;
	}
	memset(r, 0, sizeof(*r));
	snprintf(r->comment, sizeof(r->comment), "%s %s", FW_COMMENT, c->bridge);
	r->target = IPTC_LABEL_ACCEPT;
	r->chain = FW_CHAIN_FILTER;
	switch (id) {
	case FW_ACCEPT_OUT:
		r->in = c->bridge;
		break;
	case FW_ACCEPT_BACK:
		r->out = c->bridge;
		r->ctstate = XT_CONNTRACK_STATE_BIT(IP_CT_RELATED) |
			     XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED);
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

/* The three rules of a port forward: DNAT of what arrives for a local address (from the LAN),
 * DNAT of what the host itself sends to one of its addresses (loopback left alone: a source of
 * 127.0.0.1 cannot leave through the bridge), and the accept of the DNAT'ed connection. */
enum fwd_kind { FWD_PREROUTING, FWD_OUTPUT, FWD_ACCEPT };

static void rule_of_forward(const struct fw_config *c, const struct fw_forward *f,
			    enum fwd_kind k, struct rule *r)
{
	memset(r, 0, sizeof(*r));
	if (f->guest[0])
		snprintf(r->comment, sizeof(r->comment), "%s %s %s", FW_COMMENT, c->bridge, f->guest);
	else
		snprintf(r->comment, sizeof(r->comment), "%s %s", FW_COMMENT, c->bridge);
	r->proto = (uint8_t)f->proto;
	r->fwd = true;
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
	r->dport = f->host_port;
	r->local_dst = true;
	r->target = "DNAT";
	r->to_ip = f->guest_ip;
	r->to_port = f->guest_port;
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

static void put_match(unsigned char **p, const char *name, unsigned rev, const void *data, size_t len)
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

/* Build the entry of one rule (aborts when out of memory). */
static void build_entry(const struct rule *r, struct fw_entry *out)
{
	struct xt_comment_info com;
	struct xt_conntrack_mtinfo3 ct;
	struct xt_tcp tcp;
	struct xt_udp udp;
	struct xt_addrtype_info_v1 at;
	struct nf_nat_ipv4_multi_range_compat masq;
	struct nf_nat_range2 dnat;
	bool is_dnat = !strcmp(r->target, "DNAT");
	size_t size = sizeof(struct ipt_entry);

	if (r->dport)
		size += match_len(r->proto == IPPROTO_UDP ? sizeof(udp) : sizeof(tcp));
	if (r->local_dst)
		size += match_len(sizeof(at));
	if (r->ctstate)
		size += match_len(sizeof(ct));
	size += match_len(sizeof(com));
	size_t toff = size;
	if (nat_target(r->target))
		size += target_len(is_dnat ? sizeof(dnat) : sizeof(masq));
	else
		size += XT_ALIGN(sizeof(struct xt_standard_target));
	struct ipt_entry *e = calloc(1, size);
	if (!e)
		abort();
	e->target_offset = (uint16_t)toff;
	e->next_offset = (uint16_t)size;
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

	unsigned char *p = e->elems;
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

	out->chain = r->chain;
	out->target = r->target;
	if (is_dnat) {
		memset(&dnat, 0, sizeof(dnat));
		dnat.flags = NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED;
		dnat.min_addr.ip = dnat.max_addr.ip = htonl(r->to_ip);
		dnat.min_proto.all = dnat.max_proto.all = htons(r->to_port);
		put_target(p, r->target, &dnat, sizeof(dnat));
		((struct xt_entry_target *)p)->u.user.revision = DNAT_REV;
	} else if (nat_target(r->target)) {
		memset(&masq, 0, sizeof(masq));
		masq.rangesize = 1;
		put_target(p, r->target, &masq, sizeof(masq));
	} else {
		/* standard target: libiptc maps the name (ACCEPT or a chain) to the verdict */
		struct xt_standard_target *st = (struct xt_standard_target *)p;
		st->target.u.user.target_size = (uint16_t)XT_ALIGN(sizeof(*st));
		snprintf(st->target.u.user.name, sizeof(st->target.u.user.name), "%s", r->target);
	}
	out->e = e;
}

/* Is the entry x (from the table) the same rule as want? Counters and verdict offsets ignored. */
static bool same_rule(struct xtc_handle *h, const struct ipt_entry *x, const struct fw_entry *want)
{
	const struct ipt_entry *w = want->e;
	if (memcmp(&x->ip, &w->ip, sizeof(x->ip)) || x->target_offset != w->target_offset ||
	    x->next_offset != w->next_offset)
		return false;
	/* match by match: the kernel copies names only up to their NUL, so the bytes after it are
	 * whatever libiptc's buffer held; compare names as strings, then revision and data */
	for (size_t off = sizeof(*w); off < w->target_offset;) {
		const struct xt_entry_match *a = (const void *)((const char *)x + off);
		const struct xt_entry_match *b = (const void *)((const char *)w + off);
		if (a->u.match_size != b->u.match_size || a->u.match_size < sizeof(*b) ||
		    strncmp(a->u.user.name, b->u.user.name, sizeof(b->u.user.name)) ||
		    a->u.user.revision != b->u.user.revision ||
		    memcmp(a->data, b->data, b->u.match_size - sizeof(*b)))
			return false;
		off += b->u.match_size;
	}
	const char *t = iptc_get_target(x, h);
	if (!t || strcmp(t, want->target))
		return false;
	if (nat_target(want->target)) {
		const struct xt_entry_target *a = (const void *)((const char *)x + x->target_offset);
		const struct xt_entry_target *b = (const void *)((const char *)w + w->target_offset);
		if (a->u.target_size != b->u.target_size || a->u.user.revision != b->u.user.revision ||
		    memcmp(a->data, b->data, b->u.target_size - sizeof(*b)))
			return false;
	}
	return true;
}

/* Does a rule in a vmm chain belong to this bridge: -i BR or -o BR (exact), or its comment is
 * "vmm BR" or "vmm BR ..." (the port forwards' DNAT rules name no interface)? */
static bool bridge_rule(const struct ipt_entry *x, const char *bridge)
{
	char in[IFNAMSIZ + 1] = "", out[IFNAMSIZ + 1] = "";
	memcpy(in, x->ip.iniface, IFNAMSIZ);
	memcpy(out, x->ip.outiface, IFNAMSIZ);
	if (!strcmp(in, bridge) || !strcmp(out, bridge))
		return true;
	char own[IFNAMSIZ + 8];
	int ol = snprintf(own, sizeof(own), "%s %s", FW_COMMENT, bridge);
	for (size_t off = sizeof(*x); off + sizeof(struct xt_entry_match) <= x->target_offset;) {
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

struct chain_spec {
	const char *builtin;    /* FORWARD, POSTROUTING, PREROUTING, OUTPUT */
	const char *chain;      /* vmm's chain */
	struct rule *want;      /* malloc'd; the rules of this bridge wanted there, in order */
	size_t n_want;          /* 0: remove this bridge's */
};

struct table_spec {
	const char *table;      /* "filter" / "nat" */
	struct chain_spec chains[3];
	size_t n_chains;
	bool wanted;            /* some rule wanted: the table may be instantiated for it */
};

static struct rule *rules_alloc(size_t n)
{
	struct rule *v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		abort();
	return v;
}

/* The tables as c wants them (remove: as fw_remove wants them, every bridge rule gone). */
static void table_specs(const struct fw_config *c, bool remove, struct table_spec t[2])
{
	size_t nf = remove ? 0 : c->n_forwards;
	memset(t, 0, 2 * sizeof(*t));
	t[0].table = "filter";
	t[0].n_chains = 1;
	struct chain_spec *fwd = &t[0].chains[0];
	*fwd = (struct chain_spec){ "FORWARD", FW_CHAIN_FILTER, rules_alloc(2 + nf), 0 };
	if (!remove) {
		rule_of(c, FW_ACCEPT_OUT, &fwd->want[fwd->n_want++]);
		rule_of(c, FW_ACCEPT_BACK, &fwd->want[fwd->n_want++]);
	}
	for (size_t i = 0; i < nf; i++)
		rule_of_forward(c, &c->forwards[i], FWD_ACCEPT, &fwd->want[fwd->n_want++]);

	t[1].table = "nat";
	t[1].n_chains = 3;
	struct chain_spec *post = &t[1].chains[0], *pre = &t[1].chains[1], *outc = &t[1].chains[2];
	*post = (struct chain_spec){ "POSTROUTING", FW_CHAIN_NAT, rules_alloc(1), 0 };
	*pre = (struct chain_spec){ "PREROUTING", FW_CHAIN_PREROUTING, rules_alloc(nf), 0 };
	*outc = (struct chain_spec){ "OUTPUT", FW_CHAIN_OUTPUT, rules_alloc(nf), 0 };
	if (!remove && c->nat)
		rule_of(c, FW_MASQ, &post->want[post->n_want++]);
	for (size_t i = 0; i < nf; i++) {
		rule_of_forward(c, &c->forwards[i], FWD_PREROUTING, &pre->want[pre->n_want++]);
		rule_of_forward(c, &c->forwards[i], FWD_OUTPUT, &outc->want[outc->n_want++]);
	}
	t[0].wanted = !remove;
	t[1].wanted = post->n_want + pre->n_want > 0;
}

static void table_specs_free(struct table_spec t[2])
{
	for (int i = 0; i < 2; i++)
		for (size_t j = 0; j < t[i].n_chains; j++)
			free(t[i].chains[j].want);
}

/* Index of the first rule of `chain` for which pred() holds, or -1. */
static int find_rule(struct xtc_handle *h, const char *chain,
		     bool (*pred)(struct xtc_handle *, const struct ipt_entry *, const void *),
		     const void *arg, int *count)
{
	int idx = -1, i = 0;
	if (count)
		*count = 0;
	for (const struct ipt_entry *x = iptc_first_rule(chain, h); x; x = iptc_next_rule(x, h), i++) {
		if (pred(h, x, arg)) {
			if (idx < 0)
				idx = i;
			if (count)
				(*count)++;
		}
	}
	return idx;
}

static bool is_jump_to(struct xtc_handle *h, const struct ipt_entry *x, const void *chain)
{
	const char *t = iptc_get_target(x, h);
	return t && !strcmp(t, chain);
}

static bool is_same(struct xtc_handle *h, const struct ipt_entry *x, const void *want)
{
	return same_rule(h, x, want);
}

struct stale_arg {
	const char *bridge;
	const struct fw_entry *want;
	size_t n_want;
};

/* A rule of this bridge in vmm's chain that is not wanted. */
static bool is_stale(struct xtc_handle *h, const struct ipt_entry *x, const void *arg)
{
	const struct stale_arg *a = arg;
	if (!bridge_rule(x, a->bridge))
		return false;
	for (size_t i = 0; i < a->n_want; i++)
		if (same_rule(h, x, &a->want[i]))
			return false;
	return true;
}

static int del_num(struct xtc_handle *h, const char *table, const char *chain, int idx)
{
	if (!iptc_delete_num_entry(chain, (unsigned)idx, h)) {
		char what[64];
		snprintf(what, sizeof(what), "%s %s", table, chain);
		return fw_fail_errno(what, errno);
	}
	return 0;
}

static struct fw_entry *entries_build(const struct chain_spec *s)
{
	struct fw_entry *v = calloc(s->n_want ? s->n_want : 1, sizeof(*v));
	if (!v)
		abort();
	for (size_t i = 0; i < s->n_want; i++)
		build_entry(&s->want[i], &v[i]);
	return v;
}

static void entries_free(struct fw_entry *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].e);
	free(v);
}

/* Bring one of vmm's chains (in the table of handle h) to what s wants for bridge c->bridge.
 * *changed set when the handle was modified. *had_chain: vmm's chain existed before. */
static int chain_converge(struct xtc_handle *h, const struct fw_config *c, const char *table,
			  const struct chain_spec *s, bool *changed, bool *had_chain)
{
	struct fw_entry *want = entries_build(s), jump = { 0 };
	struct rule jr;
	char what[64];
	int rc = -1, idx, n;

	snprintf(what, sizeof(what), "%s %s", table, s->chain);
	*had_chain = iptc_is_chain(s->chain, h);
	jump_rule(s->builtin, s->chain, &jr);
	build_entry(&jr, &jump);

	if (!*had_chain) {
		if (!s->n_want) {
			rc = 0;
			goto out;
		}
		if (!iptc_create_chain(s->chain, h)) {
			fw_fail_errno(what, errno);
			goto out;
		}
		*changed = true;
	}
	/* this bridge's rules that are not wanted, and duplicates of wanted ones */
	struct stale_arg sa = { c->bridge, want, s->n_want };
	while ((idx = find_rule(h, s->chain, is_stale, &sa, NULL)) >= 0) {
		if (del_num(h, table, s->chain, idx) < 0)
			goto out;
		*changed = true;
	}
	for (size_t i = 0; i < s->n_want; i++) {
		idx = find_rule(h, s->chain, is_same, &want[i], &n);
		for (; n > 1; n--) { /* keep the first */
			int last = -1, j = 0;
			for (const struct ipt_entry *x = iptc_first_rule(s->chain, h); x;
			     x = iptc_next_rule(x, h), j++)
				if (same_rule(h, x, &want[i]))
					last = j;
			if (del_num(h, table, s->chain, last) < 0)
				goto out;
			*changed = true;
		}
		if (idx < 0) {
			if (!iptc_append_entry(s->chain, want[i].e, h)) {
				fw_fail_errno(what, errno);
				goto out;
			}
			*changed = true;
		}
	}
	/* the jump: exactly one, first, while the chain has rules; none (and no chain) otherwise */
	bool empty = iptc_first_rule(s->chain, h) == NULL;
	idx = find_rule(h, s->builtin, is_jump_to, s->chain, &n);
	if (!empty && n == 1 && idx == 0) {
		rc = 0;
		goto out;
	}
	if (!empty && !s->n_want && n >= 1) {
		rc = 0; /* removing, and the chain still serves another bridge: jumps stay as they are */
		goto out;
	}
	while ((idx = find_rule(h, s->builtin, is_jump_to, s->chain, NULL)) >= 0) {
		if (del_num(h, table, s->builtin, idx) < 0)
			goto out;
		*changed = true;
	}
	if (!empty) {
		if (!iptc_insert_entry(s->builtin, jump.e, 0, h)) {
			snprintf(what, sizeof(what), "%s %s", table, s->builtin);
			fw_fail_errno(what, errno);
			goto out;
		}
		*changed = true;
	} else {
		unsigned refs = 0;
		if (iptc_get_references(&refs, s->chain, h) && refs == 0) {
			if (!iptc_delete_chain(s->chain, h)) {
				fw_fail_errno(what, errno);
				goto out;
			}
			*changed = true;
		}
		/* still referenced by someone else's rule: the (empty) chain stays */
	}
	rc = 0;
out:
	entries_free(want, s->n_want);
	free(jump.e);
	return rc;
}

/* Every chain of one table. *had_chain: one of vmm's chains there existed before. */
static int table_converge(struct xtc_handle *h, const struct fw_config *c,
			  const struct table_spec *s, bool *changed, bool *had_chain)
{
	*changed = false;
	*had_chain = false;
	for (size_t i = 0; i < s->n_chains; i++) {
		bool had = false;
		if (chain_converge(h, c, s->table, &s->chains[i], changed, &had) < 0)
			return -1;
		*had_chain |= had;
	}
	return 0;
}

/* ---- locking, tables in use ---- */

static int xt_lock(void)
{
	int fd = open(XTABLES_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EACCES || errno == EPERM || errno == EROFS)
			return vmm_fail("firewall: %s: %s (needs root or CAP_NET_ADMIN)", XTABLES_LOCK,
					util_strerror(errno));
		return vmm_fail("firewall: %s: %s", XTABLES_LOCK, util_strerror(errno));
	}
	for (int waited = 0;; waited += 20) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int e = errno;
			close(fd);
			return vmm_fail("firewall: %s: %s", XTABLES_LOCK, util_strerror(e));
		}
		if (waited >= LOCK_WAIT_MS) {
			close(fd);
			return vmm_fail("firewall: %s: held by another program for %d s", XTABLES_LOCK,
					LOCK_WAIT_MS / 1000);
		}
		struct timespec ts = { 0, 20 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

/* Is the legacy table instantiated in this network namespace? 1 yes, 0 no, -1 cannot tell. */
static int table_in_use(const char *table)
{
	FILE *f = fopen("/proc/net/ip_tables_names", "re");
	char line[64];
	int found = 0;
	if (!f)
		return errno == ENOENT ? 0 : -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!strcmp(line, table))
			found = 1;
	}
	fclose(f);
	return found;
}

/* iptc_init with retries on EAGAIN (the table changed while being read). */
static struct xtc_handle *table_open(const char *table)
{
	for (int i = 0; i < COMMIT_TRIES; i++) {
		struct xtc_handle *h = iptc_init(table);
		if (h)
			return h;
		if (errno != EAGAIN)
			break;
	}
	char what[32];
	snprintf(what, sizeof(what), "table %s", table);
	fw_fail_errno(what, errno);
	return NULL;
}

/* Converge one table in one commit (retried on EAGAIN). *changed: a commit happened. */
static int table_apply(const struct fw_config *c, const struct table_spec *s, bool only_if_used,
		       bool *changed, bool *had_chain)
{
	*changed = false;
	*had_chain = false;
	if (only_if_used && table_in_use(s->table) == 0)
		return 0;
	for (int attempt = 0;; attempt++) {
		bool ch = false;
		struct xtc_handle *h = table_open(s->table);
		if (!h)
			return -1;
		if (table_converge(h, c, s, &ch, had_chain) < 0) {
			iptc_free(h);
			return -1;
		}
		if (!ch) {
			iptc_free(h);
			return 0;
		}
		n_commits++;
		int ok = iptc_commit(h);
		int e = errno;
		iptc_free(h);
		if (ok) {
			*changed = true;
			return 0;
		}
		if (e != EAGAIN || attempt + 1 >= COMMIT_TRIES) {
			char what[32];
			snprintf(what, sizeof(what), "table %s", s->table);
			return fw_fail_errno(what, e);
		}
	}
}

/* ---- API ---- */

/* Take back the filter part just added (best effort, keeping the error already set). */
static void filter_undo(const struct fw_config *c)
{
	char *msg = util_strdup(vmm_errmsg());
	struct table_spec undo[2];
	bool ch, hc;
	table_specs(c, true, undo);
	table_apply(c, &undo[0], true, &ch, &hc);
	table_specs_free(undo);
	vmm_fail("%s", msg);
	free(msg);
}

/* Put c's rules in place (or take them out: remove) in filter, then nat, under the xtables
 * lock. A table that is not wanted is only cleaned up, never instantiated for nothing; adding,
 * a failure in nat undoes a filter part that was not there before. */
static int tables_change(const struct fw_config *c, bool remove)
{
	struct table_spec s[2];
	bool changed[2] = { false, false }, had[2] = { false, false };
	int fd = -1, rc = -1;

	table_specs(c, remove, s);
	if ((fd = xt_lock()) < 0)
		goto out;
	for (int i = 0; i < 2; i++) {
		bool only_if_used = remove || !s[i].wanted;
		if (table_apply(c, &s[i], only_if_used, &changed[i], &had[i]) < 0) {
			if (i == 1 && !remove && changed[0] && !had[0])
				filter_undo(c);
			goto out;
		}
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	table_specs_free(s);
	return rc;
}

int fw_legacy_apply(const struct fw_config *c)
{
	if (fw_config_check(c) < 0)
		return -1;
	return tables_change(c, false);
}

int fw_legacy_remove(const struct fw_config *c)
{
	if (fw_config_check(c) < 0)
		return -1;
	if (table_in_use("filter") == 0 && table_in_use("nat") == 0)
		return 0; /* nothing can be there: no need for root or the lock */
	return tables_change(c, true);
}

/* Is /usr/sbin/iptables (or the one in PATH) the nf_tables variant? */
static bool iptables_nft(void)
{
	char *path = util_which("iptables");
	char real[PATH_MAX];
	bool nft = false;
	const char *p = access("/usr/sbin/iptables", X_OK) == 0 ? "/usr/sbin/iptables" : path;
	if (!p)
		goto out;
	if (realpath(p, real)) {
		const char *base = strrchr(real, '/');
		base = base ? base + 1 : real;
		if (strstr(base, "nft")) {
			nft = true;
			goto out;
		}
		if (strstr(base, "legacy"))
			goto out;
	}
	char *argv[] = { (char *)p, "-V", NULL };
	char *text = NULL;
	if (util_run(argv, &text, NULL) == 0 && text && strstr(text, "nf_tables"))
		nft = true;
	free(text);
out:
	free(path);
	return nft;
}

/* An nf_tables chain hooked at forward (ip or inet family) with policy drop? */
static bool nft_forward_drop(void)
{
	char *path = util_which("nft");
	char *text = NULL;
	bool drop = false;
	json_object *root = NULL, *arr = NULL;
	if (!path)
		return false;
	char *argv[] = { path, "-j", "list", "ruleset", NULL };
	if (util_run(argv, &text, NULL) != 0 || !text)
		goto out;
	if (!(root = json_tokener_parse(text)) || !json_object_object_get_ex(root, "nftables", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		goto out;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *item = json_object_array_get_idx(arr, i), *ch, *v;
		if (!json_object_object_get_ex(item, "chain", &ch))
			continue;
		const char *fam = json_object_object_get_ex(ch, "family", &v) ? json_object_get_string(v) : "";
		const char *hook = json_object_object_get_ex(ch, "hook", &v) ? json_object_get_string(v) : "";
		const char *pol = json_object_object_get_ex(ch, "policy", &v) ? json_object_get_string(v) : "";
		if (fam && hook && pol && (!strcmp(fam, "ip") || !strcmp(fam, "inet")) &&
		    !strcmp(hook, "forward") && !strcmp(pol, "drop"))
			drop = true;
	}
out:
	json_object_put(root);
	free(text);
	free(path);
	return drop;
}

/* The state of one table: the bridge's fixed rules and jumps in present[], and whether the port
 * forwards are exactly what c wants (*fwd_stale otherwise). */
static int table_status(const struct fw_config *c, const struct table_spec *s, struct fw_status *st,
			bool *chain, bool *fwd_stale)
{
	int used = table_in_use(s->table);
	*chain = false;
	if (used == 0) {
		/* nothing there: stale when forwards are wanted in it */
		for (size_t i = 0; i < s->n_chains; i++)
			for (size_t j = 0; j < s->chains[i].n_want; j++)
				*fwd_stale |= s->chains[i].want[j].fwd;
		return 0;
	}
	struct xtc_handle *h = table_open(s->table);
	if (!h)
		return -1;
	for (size_t i = 0; i < s->n_chains; i++) {
		const struct chain_spec *cs = &s->chains[i];
		bool here = iptc_is_chain(cs->chain, h), fwd_wanted = false;
		bool jump = here && find_rule(h, cs->builtin, is_jump_to, cs->chain, NULL) >= 0;
		if (!strcmp(cs->chain, FW_CHAIN_FILTER)) {
			*chain = here;
			st->present[FW_JUMP_FORWARD] = jump;
		} else if (!strcmp(cs->chain, FW_CHAIN_NAT)) {
			*chain = here || !c->nat;
			st->present[FW_JUMP_POSTROUTING] = jump;
		}
		struct fw_entry *want = entries_build(cs);
		for (size_t j = 0; j < cs->n_want; j++) {
			bool there = here && find_rule(h, cs->chain, is_same, &want[j], NULL) >= 0;
			fwd_wanted |= cs->want[j].fwd;
			if (cs->want[j].fwd)
				*fwd_stale |= !there;
			else if (!strcmp(cs->want[j].target, IPTC_LABEL_ACCEPT))
				st->present[cs->want[j].in ? FW_ACCEPT_OUT : FW_ACCEPT_BACK] = there;
			else
				st->present[FW_MASQ] = there;
		}
		if (here) {
			/* a rule of this bridge that c does not want: a forward since removed */
			struct stale_arg sa = { c->bridge, want, cs->n_want };
			*fwd_stale |= find_rule(h, cs->chain, is_stale, &sa, NULL) >= 0;
		}
		if (fwd_wanted && !jump)
			*fwd_stale = true;
		entries_free(want, cs->n_want);
	}
	if (!strcmp(s->table, "filter")) {
		struct xt_counters cnt;
		const char *pol = iptc_get_policy("FORWARD", &cnt, h);
		snprintf(st->forward_policy, sizeof(st->forward_policy), "%s", pol ? pol : "ACCEPT");
	}
	iptc_free(h);
	return 0;
}

int fw_legacy_status_rules(const struct fw_config *c, struct fw_status *st)
{
	struct table_spec s[2];
	bool chain[2], stale[2] = { false, false };
	int rc = -1;

	snprintf(st->forward_policy, sizeof(st->forward_policy), "ACCEPT");
	if (fw_config_check(c) < 0)
		return -1;
	table_specs(c, false, s);
	for (int i = 0; i < 2; i++)
		if (table_status(c, &s[i], st, &chain[i], &stale[i]) < 0)
			goto out;
	st->chains_present = chain[0] && (!c->nat || chain[1]);
	for (int i = 0; i <= FW_MASQ; i++)
		st->wanted[i] = c->nat || (i != FW_MASQ && i != FW_JUMP_POSTROUTING);
	/* the forwards' rules: filter's accepts, nat's DNAT (with their chains and jumps) */
	st->wanted[FW_ACCEPT_DNAT] = st->wanted[FW_DNAT] = c->n_forwards > 0;
	st->present[FW_ACCEPT_DNAT] = c->n_forwards > 0 && !stale[0];
	st->present[FW_DNAT] = c->n_forwards > 0 && !stale[1];
	st->forwards_stale = stale[0] || stale[1];
	rc = 0;
out:
	table_specs_free(s);
	return rc;
}

int fw_legacy_in_use(void)
{
	FILE *f = fopen("/proc/net/ip_tables_names", "re");
	char line[64];
	int used = 0;
	if (!f)
		return 0;
	while (!used && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		struct xtc_handle *h = iptc_init(line);
		if (!h)
			continue;
		for (const char *ch = iptc_first_chain(h); ch && !used; ch = iptc_next_chain(h)) {
			if (!iptc_builtin(ch, h) || iptc_first_rule(ch, h)) {
				used = 1;
				break;
			}
			struct xt_counters cnt;
			const char *pol = iptc_get_policy(ch, &cnt, h);
			if (pol && strcmp(pol, "ACCEPT"))
				used = 1;
		}
		iptc_free(h);
	}
	fclose(f);
	return used;
}

void fw_legacy_probes(struct fw_status *st)
{
	st->iptables_is_nft = iptables_nft();
	st->nft_forward_drop = nft_forward_drop();
	vmm_error_clear(); /* util_run may have left a note about a missing program */
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

/* The line iptables-legacy-save prints for r: fields in its order (addresses, interfaces,
 * protocol, then the matches as the entry holds them, then the target). */
static int rule_text(const struct rule *r, char *buf, size_t len)
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
	char q[2 * XT_MAX_COMMENT_LEN + 3], a[16];
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
		util_format_ipv4(r->src, a);
		PUT(" -s %s/%u", a, r->src_len);
	}
	if (r->dst_len) {
		util_format_ipv4(r->dst, a);
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
		util_format_ipv4(r->to_ip, a);
		PUT(" --to-destination %s:%u", a, (unsigned)r->to_port);
	}
#undef PUT
	return 0;
}

int fw_rule_line(const struct fw_config *c, enum fw_rule_id id, char *buf, size_t len)
{
	struct rule r;
	if (fw_config_check(c) < 0)
		return -1;
	if ((unsigned)id > FW_MASQ)
		return vmm_invalid("firewall: rule %d: no such rule", (int)id);
	rule_of(c, id, &r);
	return rule_text(&r, buf, len);
}

int fw_legacy_plan(const struct fw_config *c, char **text)
{
	struct table_spec s[2];
	char line[1024];
	char *out = NULL;
	size_t ol = 0;
	FILE *f = NULL;

	*text = NULL;
	if (fw_config_check(c) < 0)
		return -1;
	table_specs(c, false, s);
	if (!(f = open_memstream(&out, &ol)))
		abort();
	/* f now owns out until fclose */
	for (int t = 0; t < 2; t++) {
		if (!s[t].wanted)
			continue;
		fprintf(f, "*%s\n", s[t].table);
		for (size_t i = 0; i < s[t].n_chains; i++)
			if (s[t].chains[i].n_want)
				fprintf(f, ":%s - [0:0]\n", s[t].chains[i].chain);
		for (size_t i = 0; i < s[t].n_chains; i++) {
			const struct chain_spec *cs = &s[t].chains[i];
			struct rule jr;
			if (!cs->n_want)
				continue;
			jump_rule(cs->builtin, cs->chain, &jr);
			rule_text(&jr, line, sizeof(line));
			fprintf(f, "-I%s\n", line + 2); /* "-A X ..." -> "-I X ...": inserted first */
			for (size_t j = 0; j < cs->n_want; j++) {
				if (rule_text(&cs->want[j], line, sizeof(line)) < 0) {
					fclose(f);
					free(out);
					table_specs_free(s);
					return -1;
				}
				fprintf(f, "%s\n", line);
			}
		}
		fprintf(f, "COMMIT\n");
	}
	table_specs_free(s);
	if (fclose(f) != 0) {
		free(out);
		return vmm_fail("firewall: plan: %s", util_strerror(errno));
	}
	*text = out; /* caller owns it */
	return 0;
}

/* ---- the backend's face to firewall.c ---- */

static int legacy_apply(const struct fw_config *c, char ***notes, size_t *n_notes)
{
	(void)notes; /* nothing to announce: vmm's own chains only */
	(void)n_notes;
	return fw_legacy_apply(c);
}

static int legacy_status(const struct fw_config *c, struct fw_status *st, bool probes)
{
	if (fw_legacy_status_rules(c, st) < 0)
		return -1;
	if (probes)
		fw_legacy_probes(st);
	return 0;
}

static int legacy_in_use(const struct fw_config *c)
{
	(void)c;
	return fw_legacy_in_use();
}

const struct fw_ops fw_legacy_ops = {
	.id = FW_IPTABLES_LEGACY,
	.apply = legacy_apply,
	.remove = fw_legacy_remove,
	.status = legacy_status,
	.plan = fw_legacy_plan,
	.in_use = legacy_in_use,
	.commits = fw_legacy_commits,
};
