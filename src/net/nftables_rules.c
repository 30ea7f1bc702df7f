// SPDX-License-Identifier: MIT
/* nftables_rules.c: the nftables backend's pure part: the ruleset listing (`nft -j`) read into
 * what vmm needs, the rules a config wants, the transaction text from one to the other */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "vmm/sys/error.h"
#include "vmm/config/ipv6.h"
#include "vmm/net/fw_config.h"
#include "vmm/net/nftables_rules.h"
#include "vmm/sys/util.h"

static const char *const ch_name[NFTR_CH_N] = { "forward", "postrouting", "prerouting", "output" };
static const char *const ch_spec[NFTR_CH_N] = {
	"type filter hook forward priority filter - 10; policy accept;",
	"type nat hook postrouting priority srcnat; policy accept;",
	"type nat hook prerouting priority dstnat; policy accept;",
	"type nat hook output priority -100; policy accept;",
};
static const char *const ch_hook[NFTR_CH_N] = { "forward", "postrouting", "prerouting", "output" };

void fw_nft_state_free(struct fw_nft_state *s)
{
	if (!s)
		return;
	free(s->vr);
	free(s->op);
	free(s);
}

int fw_nft_foreign_tables(const struct fw_nft_state *s)
{
	return s && s->other_tables ? 1 : 0;
}

uint32_t nftr_mark(const struct fw_config *c)
{
	return c->mark ? c->mark : FW_MARK_DEFAULT;
}

/* ---- JSON helpers ---- */

const char *nftr_jstr(json_object *o, const char *key)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static bool jint(json_object *o, const char *key, long long *out)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return true;
}

json_object *nftr_jget(json_object *o, const char *key)
{
	json_object *v;
	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* The key is there, even with a null value (verdicts print as {"accept": null}). */
static bool jhas(json_object *o, const char *key)
{
	return o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, NULL);
}

/* The mark an opening matches: {"match": {"op": "==", "left": {"&": [{"meta": {"key": "mark"}},
 * M]}, "right": M}}, then an accept. 0 when the rule is not of that shape. */
static unsigned long long opening_mark(json_object *expr)
{
	unsigned long long mark = 0;
	bool accept = false;
	if (!json_object_is_type(expr, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(expr); i++) {
		json_object *e = json_object_array_get_idx(expr, i), *m = nftr_jget(e, "match");
		if (jhas(e, "accept"))
			accept = true;
		if (!m)
			continue;
		json_object *left = nftr_jget(m, "left"), *right = nftr_jget(m, "right");
		json_object *and = nftr_jget(left, "&");
		if (!and || !json_object_is_type(and, json_type_array) ||
		    json_object_array_length(and) != 2 || !json_object_is_type(right, json_type_int))
			continue;
		json_object *meta = nftr_jget(json_object_array_get_idx(and, 0), "meta");
		json_object *bit = json_object_array_get_idx(and, 1);
		if (strcmp(nftr_jstr(meta, "key"), "mark") || !json_object_is_type(bit, json_type_int))
			continue;
		if (json_object_get_int64(bit) == json_object_get_int64(right))
			mark = (unsigned long long)json_object_get_int64(right);
	}
	return accept ? mark : 0;
}

/* A rule's last statement is a drop or a reject. */
static bool ends_in_drop(json_object *expr)
{
	size_t n = json_object_is_type(expr, json_type_array) ? json_object_array_length(expr) : 0;
	if (!n)
		return false;
	json_object *last = json_object_array_get_idx(expr, n - 1);
	return jhas(last, "drop") || jhas(last, "reject");
}

static bool jumps_to(json_object *expr, const char *target)
{
	size_t n = json_object_is_type(expr, json_type_array) ? json_object_array_length(expr) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(expr, i);
		json_object *j = nftr_jget(e, "jump") ? nftr_jget(e, "jump") : nftr_jget(e, "goto");
		if (j && !strcmp(nftr_jstr(j, "target"), target))
			return true;
	}
	return false;
}

static bool is_vmm_table(const char *family, const char *table)
{
	return !strcmp(family, "inet") && !strcmp(table, FW_NFT_TABLE);
}

/* A name vmm may write into a command: a letter or '_', then letters, digits, '_', '-', '.'
 * (every name Docker, ufw, firewalld and the usual nftables.conf use). Anything else (quotes,
 * spaces, newlines) is never spliced into the command text. */
bool nftr_plain_name(const char *s)
{
	if (!s || !*s || strlen(s) > 63 || !(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
			return false;
	return true;
}

/* A table's chain names, to tell who owns it. */
struct tinfo {
	char family[8], table[64];
	bool docker_user, docker, ufw;
	bool owned; /* flag owner: only the process that made it may change it (firewalld 2.x) */
};

/* The table's flags hold "owner" ("flags": "owner", ["owner", "persist"], or the text form
 * "owner,persist" that fw_nft_read gives for flagged tables). */
static bool table_owned(json_object *t)
{
	json_object *fl = nftr_jget(t, "flags");
	if (json_object_is_type(fl, json_type_string))
		return strstr(json_object_get_string(fl), "owner") != NULL;
	if (!json_object_is_type(fl, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(fl); i++) {
		json_object *e = json_object_array_get_idx(fl, i);
		if (json_object_is_type(e, json_type_string) &&
		    !strcmp(json_object_get_string(e), "owner"))
			return true;
	}
	return false;
}

static struct tinfo *tinfo_get(struct tinfo **ti, size_t *n, const char *fam, const char *tab)
{
	for (size_t k = 0; k < *n; k++)
		if (!strcmp((*ti)[k].family, fam) && !strcmp((*ti)[k].table, tab))
			return &(*ti)[k];
	if (!(*ti = realloc(*ti, (*n + 1) * sizeof(**ti))))
		abort();
	struct tinfo *x = &(*ti)[(*n)++];
	memset(x, 0, sizeof(*x));
	snprintf(x->family, sizeof(x->family), "%s", fam);
	snprintf(x->table, sizeof(x->table), "%s", tab);
	return x;
}

static int chain_cmp(const void *a, const void *b)
{
	const struct fw_hook_chain *x = a, *y = b;
	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	int r = strcmp(x->family, y->family);
	if (r)
		return r;
	r = strcmp(x->table, y->table);
	return r ? r : strcmp(x->name, y->name);
}

/* Pass 1, one chain: note who owns its table, whether it is one of vmm's base chains, and
 * keep it when it sits on the forward hook of ip, ip6 or inet. */
static void parse_chain(struct fw_nft_state *s, struct tinfo **ti, size_t *n_ti, json_object *ch)
{
	const char *fam = nftr_jstr(ch, "family"), *tab = nftr_jstr(ch, "table");
	const char *name = nftr_jstr(ch, "name");
	struct tinfo *x = tinfo_get(ti, n_ti, fam, tab);
	x->docker_user |= !strcmp(name, "DOCKER-USER");
	x->docker |= !strcmp(name, "DOCKER");
	x->ufw |= !strncmp(name, "ufw-", 4) || !strncmp(name, "ufw6-", 5);
	long long prio = 0;
	const char *hook = nftr_jstr(ch, "hook");
	if (is_vmm_table(fam, tab)) {
		for (int k = 0; k < NFTR_CH_N; k++)
			if (!strcmp(name, ch_name[k]) && !strcmp(hook, ch_hook[k]))
				s->base[k] = true;
	}
	if (strcmp(hook, "forward") || !jint(ch, "prio", &prio))
		return;
	if (strcmp(fam, "ip") && strcmp(fam, "ip6") && strcmp(fam, "inet"))
		return;
	if (s->n_chains >= FW_MAX_CHAINS)
		return;
	struct fw_hook_chain *h = &s->chains[s->n_chains++];
	memset(h, 0, sizeof(*h));
	snprintf(h->family, sizeof(h->family), "%s", fam);
	snprintf(h->table, sizeof(h->table), "%s", tab);
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->prio = (int)prio;
	h->policy_drop = !strcmp(nftr_jstr(ch, "policy"), "drop");
	h->vmm = is_vmm_table(fam, tab);
	snprintf(h->open_in, sizeof(h->open_in), "%s", name);
}

/* Pass 2, one rule: remember it as the last of its hook chain (last[k]), keep it when it is
 * in vmm's table, or as an opening when it carries vmm's comment elsewhere. */
static void parse_rule(struct fw_nft_state *s, struct tinfo **ti, size_t *n_ti, json_object **last,
		       json_object *r)
{
	const char *fam = nftr_jstr(r, "family"), *tab = nftr_jstr(r, "table");
	const char *chain = nftr_jstr(r, "chain");
	const char *com = nftr_jstr(r, "comment");
	long long handle = 0;
	jint(r, "handle", &handle);
	json_object *expr = nftr_jget(r, "expr");
	for (size_t k = 0; k < s->n_chains; k++) {
		struct fw_hook_chain *h = &s->chains[k];
		if (!strcmp(h->family, fam) && !strcmp(h->table, tab) && !strcmp(h->name, chain)) {
			last[k] = expr;
			/* Docker: the opening goes into DOCKER-USER when FORWARD jumps there */
			if (jumps_to(expr, "DOCKER-USER"))
				snprintf(h->open_in, sizeof(h->open_in), "DOCKER-USER");
		}
	}
	if (is_vmm_table(fam, tab)) {
		if (!(s->vr = realloc(s->vr, (s->n_vr + 1) * sizeof(*s->vr))))
			abort();
		struct nftr_rule *v = &s->vr[s->n_vr++];
		snprintf(v->chain, sizeof(v->chain), "%s", chain);
		snprintf(v->comment, sizeof(v->comment), "%s", com);
		v->handle = (unsigned long long)handle;
	} else if (!strcmp(com, FW_COMMENT)) {
		if (!(s->op = realloc(s->op, (s->n_op + 1) * sizeof(*s->op))))
			abort();
		struct nftr_opening *o = &s->op[s->n_op++];
		snprintf(o->family, sizeof(o->family), "%s", fam);
		snprintf(o->table, sizeof(o->table), "%s", tab);
		snprintf(o->chain, sizeof(o->chain), "%s", chain);
		o->handle = (unsigned long long)handle;
		o->mark = opening_mark(expr);
		o->owned = tinfo_get(ti, n_ti, fam, tab)->owned || !nftr_plain_name(tab) ||
			   !nftr_plain_name(chain);
	}
}

/* Who made a hook chain, from its table's name and chains (x: its table, NULL if unknown). */
static const char *chain_owner(const struct fw_hook_chain *h, const struct tinfo *x)
{
	if (h->vmm)
		return "vmm";
	if (!strcmp(h->family, "inet") && !strcmp(h->table, "firewalld"))
		return "firewalld";
	if (x && (x->docker_user || x->docker))
		return "Docker";
	if (x && x->ufw)
		return "ufw";
	if (strcmp(h->family, "inet") &&
	    (!strcmp(h->table, "filter") || !strcmp(h->table, "mangle")) &&
	    !strcmp(h->name, "FORWARD"))
		return "iptables-nft";
	return "nftables";
}

/* Pass 3, one hook chain: how it ends (last: its last rule's expr, or NULL), who owns it,
 * where vmm's opening goes and whether it is there for this mark. */
static void chain_finish(const struct fw_nft_state *s, struct fw_hook_chain *h,
			 const struct tinfo *ti, size_t n_ti, json_object *last, uint32_t mark)
{
	const struct tinfo *x = NULL;
	for (size_t j = 0; j < n_ti; j++)
		if (!strcmp(ti[j].family, h->family) && !strcmp(ti[j].table, h->table))
			x = &ti[j];
	h->ends_drop = last && ends_in_drop(last);
	h->drops = !h->vmm && strcmp(h->family, "ip6") && (h->policy_drop || h->ends_drop);
	h->early = !h->vmm && h->prio <= FW_NFT_PRIO;
	h->owned = !h->vmm && x && x->owned;
	h->odd_name = !h->vmm && (!nftr_plain_name(h->table) || !nftr_plain_name(h->open_in));
	snprintf(h->owner, sizeof(h->owner), "%s", chain_owner(h, x));
	if (strcmp(h->open_in, h->name) && !(x && x->docker_user))
		snprintf(h->open_in, sizeof(h->open_in), "%s", h->name);
	for (size_t j = 0; j < s->n_op; j++) {
		const struct nftr_opening *o = &s->op[j];
		if (!strcmp(o->family, h->family) && !strcmp(o->table, h->table) &&
		    !strcmp(o->chain, h->open_in) && o->mark == mark)
			h->opened = true;
	}
}

int fw_nft_parse(const char *json, const struct fw_config *c, struct fw_nft_state **out)
{
	json_object *root = NULL, *arr = NULL;
	struct fw_nft_state *s = NULL;
	struct tinfo *ti = NULL;
	size_t n_ti = 0;
	int rc = -1;
	/* the last rule seen per hook chain (to know how each chain ends) */
	json_object **last = NULL;

	*out = NULL;
	if (!(s = calloc(1, sizeof(*s))))
		abort();
	if (!json || !*json) { /* an empty ruleset lists as nothing at all */
		*out = s;
		return 0;
	}
	if (!(root = json_tokener_parse(json)) || !(arr = nftr_jget(root, "nftables")) ||
	    !json_object_is_type(arr, json_type_array)) {
		vmm_fail("firewall: nftables: the ruleset listing is not the JSON nft prints");
		goto out;
	}
	size_t n = json_object_array_length(arr);
	/* pass 1: tables and chains */
	for (size_t i = 0; i < n; i++) {
		json_object *item = json_object_array_get_idx(arr, i), *t, *ch;
		if ((t = nftr_jget(item, "table"))) {
			if (is_vmm_table(nftr_jstr(t, "family"), nftr_jstr(t, "name")))
				s->have_table = true;
			else
				s->other_tables = true;
			tinfo_get(&ti, &n_ti, nftr_jstr(t, "family"), nftr_jstr(t, "name"))->owned = table_owned(t);
		} else if ((ch = nftr_jget(item, "chain"))) {
			parse_chain(s, &ti, &n_ti, ch);
		}
	}
	if (!(last = calloc(FW_MAX_CHAINS, sizeof(*last))))
		abort();
	/* pass 2: rules */
	for (size_t i = 0; i < n; i++) {
		json_object *r = nftr_jget(json_object_array_get_idx(arr, i), "rule");
		if (r)
			parse_rule(s, &ti, &n_ti, last, r);
	}
	/* pass 3: each hook chain: how it ends, who owns it, whether it is opened */
	uint32_t mark = nftr_mark(c);
	for (size_t k = 0; k < s->n_chains; k++)
		chain_finish(s, &s->chains[k], ti, n_ti, last[k], mark);
	qsort(s->chains, s->n_chains, sizeof(s->chains[0]), chain_cmp);
	*out = s;
	s = NULL;
	rc = 0;
out:
	free(last);
	free(ti);
	fw_nft_state_free(s);
	json_object_put(root);
	return rc;
}

/* ---- what the config wants ---- */

struct want {
	int chain; /* CH_* */
	enum fw_rule_id id;
	char text[256];
	char comment[64];
};

/* A rule's id in its comment: the chain's name, a NUL byte, the rule's text (FNV-1a). The
 * value must not change: rules already in place are found by it. */
static uint32_t rule_hash(const char *chain, const char *text)
{
	uint32_t h = util_hash(UTIL_HASH_INIT, chain);
	h = (h ^ 0u) * 16777619u; /* the NUL byte between the two */
	return util_hash(h, text);
}

static void want_add(struct want **w, size_t *n, const struct fw_config *c, int chain,
		     enum fw_rule_id id, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void want_add(struct want **w, size_t *n, const struct fw_config *c, int chain,
		     enum fw_rule_id id, const char *fmt, ...)
{
	if (!(*w = realloc(*w, (*n + 1) * sizeof(**w))))
		abort();
	struct want *x = &(*w)[(*n)++];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->text, sizeof(x->text), fmt, ap);
	va_end(ap);
	x->chain = chain;
	x->id = id;
	snprintf(x->comment, sizeof(x->comment), "%s %s %08x", FW_COMMENT, c->bridge,
		 rule_hash(ch_name[chain], x->text));
}

/* A forward over IPv6: to the guest's SLAAC address (its MAC in the /64). */
static void wants_forward6(struct want **w, size_t *n, const struct fw_config *c,
			   const struct fw_forward *f)
{
	const char *p = f->proto == 17 ? "udp" : "tcp";
	char g6[IPV6_TEXT_MAX];
	ipv6_eui64(c->prefix6, f->mac, g6);
	want_add(w, n, c, NFTR_CH_PREROUTING, FW_DNAT,
		 "meta nfproto ipv6 fib daddr type local %s dport %u dnat ip6 to [%s]:%u", p,
		 f->host_port, g6, f->guest_port);
	want_add(w, n, c, NFTR_CH_OUTPUT, FW_DNAT,
		 "meta nfproto ipv6 ip6 daddr != ::1 fib daddr type local %s dport %u "
		 "dnat ip6 to [%s]:%u",
		 p, f->host_port, g6, f->guest_port);
}

static void wants(const struct fw_config *c, struct want **w, size_t *n)
{
	char net[16];
	uint32_t m = nftr_mark(c);
	util_format_ipv4(c->network, net);
	*w = NULL;
	*n = 0;
	/* chain forward, in this order (like libvirt's NAT network): what is bridged, what the
	 * subnet sends, replies, DNATed connections; then nothing else from or to the bridge */
	want_add(w, n, c, NFTR_CH_FORWARD, FW_ACCEPT_BRIDGED,
		 "iifname \"%s\" oifname \"%s\" meta mark set meta mark | 0x%08x accept",
		 c->bridge, c->bridge, m);
	want_add(w, n, c, NFTR_CH_FORWARD, FW_ACCEPT_OUT,
		 "iifname \"%s\" ip saddr %s/%u meta mark set meta mark | 0x%08x accept",
		 c->bridge, net, c->prefix, m);
	char p6[IPV6_TEXT_MAX + 4];
	if (c->ipv6) { /* and the /64's own sources, the IPv6 side of the same rule */
		ipv6_format_prefix64(c->prefix6, p6);
		want_add(w, n, c, NFTR_CH_FORWARD, FW_ACCEPT_OUT,
			 "iifname \"%s\" ip6 saddr %s meta mark set meta mark | 0x%08x accept",
			 c->bridge, p6, m);
	}
	want_add(w, n, c, NFTR_CH_FORWARD, FW_ACCEPT_BACK,
		 "oifname \"%s\" ct state established,related meta mark set meta mark | 0x%08x accept",
		 c->bridge, m);
	if (c->n_forwards)
		want_add(w, n, c, NFTR_CH_FORWARD, FW_ACCEPT_DNAT,
			 "oifname \"%s\" ct status dnat meta mark set meta mark | 0x%08x accept",
			 c->bridge, m);
	want_add(w, n, c, NFTR_CH_FORWARD, FW_DROP_OUT, "iifname \"%s\" drop", c->bridge);
	want_add(w, n, c, NFTR_CH_FORWARD, FW_DROP_IN, "oifname \"%s\" drop", c->bridge);
	if (c->nat)
		want_add(w, n, c, NFTR_CH_POSTROUTING, FW_MASQ,
			 "ip saddr %s/%u oifname != \"%s\" masquerade", net, c->prefix, c->bridge);
	if (c->ipv6 && c->nat6) /* NAT66: the ULA /64 leaves as the uplink's address */
		want_add(w, n, c, NFTR_CH_POSTROUTING, FW_MASQ,
			 "ip6 saddr %s oifname != \"%s\" masquerade", p6, c->bridge);
	for (size_t i = 0; i < c->n_forwards; i++) {
		const struct fw_forward *f = &c->forwards[i];
		const char *p = f->proto == 17 ? "udp" : "tcp";
		char g[16], a[16], dst[48] = "";
		util_format_ipv4(f->guest_ip, g);
		if (f->host_ip) { /* bound to one address (never loopback: fw_config_check) */
			util_format_ipv4(f->host_ip, a);
			snprintf(dst, sizeof(dst), "ip daddr %s ", a);
		}
		want_add(w, n, c, NFTR_CH_PREROUTING, FW_DNAT,
			 "meta nfproto ipv4 %sfib daddr type local %s dport %u dnat ip to %s:%u", dst,
			 p, f->host_port, g, f->guest_port);
		/* output: the host's own connections, loopback aside (it is not routed), unless
		 * loopback is a way in (a namespace of the user's, where pasta delivers it) */
		want_add(w, n, c, NFTR_CH_OUTPUT, FW_DNAT,
			 "meta nfproto ipv4 %sfib daddr type local %s dport %u dnat ip to %s:%u",
			 *dst || c->local_forwards ? dst : "ip daddr != 127.0.0.0/8 ", p,
			 f->host_port, g, f->guest_port);
		if (c->ipv6 && f->has_mac && !f->host_ip) /* bound to an IPv4 address: IPv4 only */
			wants_forward6(w, n, c, f);
	}
	if (c->local_forwards && c->n_forwards)
		want_add(w, n, c, NFTR_CH_POSTROUTING, FW_DNAT,
			 "ip saddr 127.0.0.0/8 oifname \"%s\" masquerade", c->bridge);
}

/* The base chains c needs. */
static void chains_wanted(const struct fw_config *c, bool need[NFTR_CH_N])
{
	need[NFTR_CH_FORWARD] = true;
	need[NFTR_CH_POSTROUTING] = c->nat || (c->ipv6 && c->nat6) ||
				    (c->local_forwards && c->n_forwards);
	need[NFTR_CH_PREROUTING] = need[NFTR_CH_OUTPUT] = c->n_forwards > 0;
}

static bool bridge_comment(const char *comment, const char *bridge)
{
	size_t l = strlen(bridge);
	return !strncmp(comment, FW_COMMENT " ", 4) && !strncmp(comment + 4, bridge, l) &&
	       comment[4 + l] == ' ';
}

static const struct nftr_rule *find_vrule(const struct fw_nft_state *s, const struct want *w)
{
	for (size_t i = 0; i < s->n_vr; i++)
		if (!strcmp(s->vr[i].chain, ch_name[w->chain]) && !strcmp(s->vr[i].comment, w->comment))
			return &s->vr[i];
	return NULL;
}

/* Which wanted rule v is (its index in w), or -1. */
static int want_of(const struct fw_nft_state *s, const struct want *w, size_t n,
		   const struct nftr_rule *v)
{
	for (size_t j = 0; j < n; j++)
		if (find_vrule(s, &w[j]) == v)
			return (int)j;
	return -1;
}

/* Chain k's wanted rules in place: the number that stand after a rule wanted later (out of
 * order; rules are listed in chain order); *redo: the chain's rules of this bridge must be put
 * back in order (some are out of order, or a missing one comes before a present one). */
static size_t chain_order(const struct fw_nft_state *s, const struct want *w, size_t n, int k,
			  bool *redo)
{
	size_t mis = 0;
	int last = -1;
	for (size_t i = 0; i < s->n_vr; i++) {
		int j = strcmp(s->vr[i].chain, ch_name[k]) ? -1 : want_of(s, w, n, &s->vr[i]);
		if (j < 0)
			continue;
		if (j < last)
			mis++;
		else
			last = j;
	}
	*redo = mis > 0;
	for (size_t j = 0; j < n && !*redo; j++)
		*redo = w[j].chain == k && (int)j < last && !find_vrule(s, &w[j]);
	return mis;
}

void fw_nft_fill_status(const struct fw_config *c, const struct fw_nft_state *s,
			struct fw_status *st)
{
	struct want *w = NULL;
	size_t n = 0;
	bool need[NFTR_CH_N];
	chains_wanted(c, need);
	wants(c, &w, &n);
	memset(st->wanted, 0, sizeof(st->wanted));
	memset(st->present, 0, sizeof(st->present));
	st->wanted[FW_JUMP_FORWARD] = true;
	st->present[FW_JUMP_FORWARD] = s->base[NFTR_CH_FORWARD];
	st->wanted[FW_JUMP_POSTROUTING] = need[NFTR_CH_POSTROUTING];
	st->present[FW_JUMP_POSTROUTING] = s->base[NFTR_CH_POSTROUTING];
	for (size_t i = 0; i < n; i++)
		st->wanted[w[i].id] = true;
	for (int id = FW_ACCEPT_OUT; id < FW_NRULES; id++)
		st->present[id] = st->wanted[id];
	for (size_t i = 0; i < n; i++)
		if (!find_vrule(s, &w[i]))
			st->present[w[i].id] = false;
	st->chains_present = s->have_table;
	for (int k = 0; k < NFTR_CH_N; k++)
		if (need[k] && !s->base[k])
			st->chains_present = false;
	memcpy(st->chains, s->chains, sizeof(st->chains));
	st->n_chains = s->n_chains;
	st->n_stale = 0;
	for (size_t i = 0; i < s->n_vr; i++) {
		bool keep = !bridge_comment(s->vr[i].comment, c->bridge);
		for (size_t j = 0; j < n && !keep; j++)
			keep = find_vrule(s, &w[j]) == &s->vr[i];
		st->n_stale += !keep;
	}
	for (int k = 0; k < NFTR_CH_N; k++) {
		bool redo;
		st->n_stale += chain_order(s, w, n, k, &redo);
	}
	for (size_t i = 0; i < s->n_op; i++)
		st->n_stale += s->op[i].mark && !s->op[i].owned &&
			       (s->op[i].mark != nftr_mark(c) || c->foreign == FW_FOREIGN_LEAVE);
	st->n_missing_openings = 0;
	for (size_t k = 0; k < s->n_chains; k++)
		if (s->chains[k].drops && !s->chains[k].early && !s->chains[k].owned &&
		    !s->chains[k].odd_name && !s->chains[k].opened)
			st->n_missing_openings++;
	free(w);
}

/* ---- the transaction ---- */

static void note_add(char ***notes, size_t *n, char *s /* owned */)
{
	if (!notes) {
		free(s);
		return;
	}
	if (!(*notes = realloc(*notes, (*n + 1) * sizeof(**notes))))
		abort();
	(*notes)[(*n)++] = s;
}

/* Removing c's bridge: its rules go; with the last bridge, the table and every opening go. */
static void diff_remove(FILE *f, const struct fw_config *c, const struct fw_nft_state *s)
{
	size_t others = 0;
	for (size_t i = 0; i < s->n_vr; i++)
		if (!bridge_comment(s->vr[i].comment, c->bridge))
			others++;
	if (others == 0) {
		if (s->have_table)
			fprintf(f, "delete table inet %s\n", FW_NFT_TABLE);
		for (size_t i = 0; i < s->n_op; i++)
			if (s->op[i].mark && !s->op[i].owned)
				fprintf(f, "delete rule %s %s %s handle %llu\n", s->op[i].family,
					s->op[i].table, s->op[i].chain, s->op[i].handle);
		return;
	}
	for (size_t i = 0; i < s->n_vr; i++)
		if (bridge_comment(s->vr[i].comment, c->bridge))
			fprintf(f, "delete rule inet %s %s handle %llu\n", FW_NFT_TABLE,
				s->vr[i].chain, s->vr[i].handle);
}

/* vmm's own table: the table and base chains c needs, this bridge's rules nobody wants any
 * more (and duplicates) out, the wanted ones (w, n) that are missing in; a chain whose rules
 * are out of order gets all of this bridge's out and back in order. */
static void diff_table(FILE *f, const struct fw_config *c, const struct fw_nft_state *s,
		       const struct want *w, size_t n)
{
	bool need[NFTR_CH_N], redo[NFTR_CH_N];
	chains_wanted(c, need);
	for (int k = 0; k < NFTR_CH_N; k++)
		chain_order(s, w, n, k, &redo[k]);
	if (!s->have_table)
		fprintf(f, "add table inet %s\n", FW_NFT_TABLE);
	for (int k = 0; k < NFTR_CH_N; k++)
		if (need[k] && !s->base[k])
			fprintf(f, "add chain inet %s %s { %s }\n", FW_NFT_TABLE, ch_name[k], ch_spec[k]);
	for (size_t i = 0; i < s->n_vr; i++) {
		const struct nftr_rule *v = &s->vr[i];
		if (!bridge_comment(v->comment, c->bridge))
			continue;
		int j = want_of(s, w, n, v);
		if (j < 0 || redo[w[j].chain])
			fprintf(f, "delete rule inet %s %s handle %llu\n", FW_NFT_TABLE, v->chain,
				v->handle);
	}
	for (size_t j = 0; j < n; j++)
		if (!find_vrule(s, &w[j]) || redo[w[j].chain])
			fprintf(f, "add rule inet %s %s %s comment \"%s\"\n", FW_NFT_TABLE,
				ch_name[w[j].chain], w[j].text, w[j].comment);
}

/* Openings in other tables' forward chains: stale ones (another mark, or foreign = leave) go,
 * missing ones come (foreign = open), each announced in notes; a chain vmm cannot open is a
 * note too. */
static void diff_openings(FILE *f, const struct fw_config *c, const struct fw_nft_state *s,
			  char ***notes, size_t *n_notes)
{
	uint32_t m = nftr_mark(c);
	for (size_t i = 0; i < s->n_op; i++) {
		const struct nftr_opening *o = &s->op[i];
		if (o->mark && !o->owned && (o->mark != m || c->foreign == FW_FOREIGN_LEAVE))
			fprintf(f, "delete rule %s %s %s handle %llu\n", o->family, o->table, o->chain,
				o->handle);
	}
	for (size_t k = 0; c->foreign == FW_FOREIGN_OPEN && k < s->n_chains; k++) {
		const struct fw_hook_chain *h = &s->chains[k];
		bool dup = false;
		if (h->drops && h->owned && !h->early && !h->opened)
			note_add(notes, n_notes,
				 util_fmt("%s %s %s (%s) drops %s's traffic and its table is owned by "
					  "another process: vmm cannot open it (see `vmm net status`)",
					  h->family, h->table, h->name, h->owner, c->bridge));
		if (h->drops && h->odd_name && !h->owned && !h->early && !h->opened)
			note_add(notes, n_notes,
				 util_fmt("%s %s %s (%s) drops %s's traffic and its name cannot be "
					  "written in nft's syntax: vmm cannot open it",
					  h->family, h->table, h->name, h->owner, c->bridge));
		if (!h->drops || h->early || h->owned || h->odd_name || h->opened)
			continue;
		for (size_t j = 0; j < k; j++) /* two base chains opened in one place: once */
			dup |= s->chains[j].drops && !strcmp(s->chains[j].family, h->family) &&
			       !strcmp(s->chains[j].table, h->table) &&
			       !strcmp(s->chains[j].open_in, h->open_in);
		if (dup)
			continue;
		fprintf(f, "insert rule %s %s %s meta mark & 0x%08x == 0x%08x counter accept comment \"%s\"\n",
			h->family, h->table, h->open_in, m, m, FW_COMMENT);
		note_add(notes, n_notes,
			 util_fmt("accepted %s in %s %s %s (%s)", c->bridge, h->family, h->table,
				  h->open_in, h->owner));
	}
}

int fw_nft_diff(const struct fw_config *c, const struct fw_nft_state *s, bool remove, char **batch,
		char ***notes, size_t *n_notes)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	*batch = NULL;
	if (fw_config_check(c) < 0)
		return -1;
	if (!(f = open_memstream(&text, &len)))
		abort();
	/* f owns text until fclose */
	if (remove) {
		diff_remove(f, c, s);
	} else {
		struct want *w = NULL;
		size_t n = 0;
		wants(c, &w, &n);
		diff_table(f, c, s, w, n);
		diff_openings(f, c, s, notes, n_notes);
		free(w);
	}
	if (fclose(f) != 0) {
		free(text);
		return vmm_fail("firewall: nftables: %s", util_strerror(errno));
	}
	*batch = text; /* caller owns it */
	return 0;
}
