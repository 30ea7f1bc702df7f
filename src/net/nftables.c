// SPDX-License-Identifier: MIT
/* nftables.c: vmm's table inet vmm and its openings in other tables, through libnftables */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "vmm/sys/dl_nftables.h"
#include "vmm/sys/error.h"
#include "vmm/net/firewall.h"
#include "vmm/net/fw_backend.h"
#include "vmm/sys/util.h"

/*
 * How it works: read the whole ruleset as JSON (nft_run_cmd_from_buffer "list ruleset" with
 * JSON output into a buffer), reduce it to what vmm cares about (struct fw_nft_state), compute
 * the nft commands that turn that into what the config wants (fw_nft_diff, pure), and run them as
 * one buffer: libnftables sends one buffer as one netlink batch, which the kernel commits
 * atomically (all or nothing). An empty diff commits nothing.
 *
 * vmm's rules are recognised by their comment "vmm BR HASH", where HASH is FNV-1a of the chain
 * and the rule's text: a rule whose config changed has another hash, so the diff deletes the old
 * one (by handle) and adds the new one. Openings in other tables are recognised by the comment
 * "vmm" and the mark they match.
 */

enum { CH_FORWARD, CH_POSTROUTING, CH_PREROUTING, CH_OUTPUT, CH_N };
static const char *const ch_name[CH_N] = { "forward", "postrouting", "prerouting", "output" };
static const char *const ch_spec[CH_N] = {
	"type filter hook forward priority filter - 10; policy accept;",
	"type nat hook postrouting priority srcnat; policy accept;",
	"type nat hook prerouting priority dstnat; policy accept;",
	"type nat hook output priority -100; policy accept;",
};
static const char *const ch_hook[CH_N] = { "forward", "postrouting", "prerouting", "output" };

struct vrule { /* a rule in table inet vmm */
	char chain[16];
	char comment[128];
	unsigned long long handle;
};

struct opening { /* a rule commented "vmm" in another table */
	char family[8], table[64], chain[64];
	unsigned long long handle;
	unsigned long long mark; /* the mark it matches, 0 when not a mark match */
	bool owned;              /* its table is owned by another process: untouchable */
};

struct fw_nft_state {
	bool have_table;   /* table inet vmm */
	bool base[CH_N];   /* vmm's base chains, as vmm defines them */
	bool other_tables; /* any table but inet vmm */
	struct vrule *vr;
	size_t n_vr;
	struct opening *op;
	size_t n_op;
	struct fw_hook_chain chains[FW_MAX_CHAINS];
	size_t n_chains;
};

static unsigned n_commits;

unsigned fw_nft_commits(void)
{
	return n_commits;
}

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

static uint32_t mark_of(const struct fw_config *c)
{
	return c->mark ? c->mark : FW_MARK_DEFAULT;
}

/* ---- JSON helpers ---- */

static const char *jstr(json_object *o, const char *key)
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

static json_object *jget(json_object *o, const char *key)
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
		json_object *e = json_object_array_get_idx(expr, i), *m = jget(e, "match");
		if (jhas(e, "accept"))
			accept = true;
		if (!m)
			continue;
		json_object *left = jget(m, "left"), *right = jget(m, "right"), *and = jget(left, "&");
		if (!and || !json_object_is_type(and, json_type_array) ||
		    json_object_array_length(and) != 2 || !json_object_is_type(right, json_type_int))
			continue;
		json_object *meta = jget(json_object_array_get_idx(and, 0), "meta");
		json_object *bit = json_object_array_get_idx(and, 1);
		if (strcmp(jstr(meta, "key"), "mark") || !json_object_is_type(bit, json_type_int))
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
		json_object *j = jget(e, "jump") ? jget(e, "jump") : jget(e, "goto");
		if (j && !strcmp(jstr(j, "target"), target))
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
static bool plain_name(const char *s)
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
	json_object *fl = jget(t, "flags");
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
	const char *fam = jstr(ch, "family"), *tab = jstr(ch, "table"), *name = jstr(ch, "name");
	struct tinfo *x = tinfo_get(ti, n_ti, fam, tab);
	x->docker_user |= !strcmp(name, "DOCKER-USER");
	x->docker |= !strcmp(name, "DOCKER");
	x->ufw |= !strncmp(name, "ufw-", 4) || !strncmp(name, "ufw6-", 5);
	long long prio = 0;
	const char *hook = jstr(ch, "hook");
	if (is_vmm_table(fam, tab)) {
		for (int k = 0; k < CH_N; k++)
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
	h->policy_drop = !strcmp(jstr(ch, "policy"), "drop");
	h->vmm = is_vmm_table(fam, tab);
	snprintf(h->open_in, sizeof(h->open_in), "%s", name);
}

/* Pass 2, one rule: remember it as the last of its hook chain (last[k]), keep it when it is
 * in vmm's table, or as an opening when it carries vmm's comment elsewhere. */
static void parse_rule(struct fw_nft_state *s, struct tinfo **ti, size_t *n_ti, json_object **last,
		       json_object *r)
{
	const char *fam = jstr(r, "family"), *tab = jstr(r, "table"), *chain = jstr(r, "chain");
	const char *com = jstr(r, "comment");
	long long handle = 0;
	jint(r, "handle", &handle);
	json_object *expr = jget(r, "expr");
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
		struct vrule *v = &s->vr[s->n_vr++];
		snprintf(v->chain, sizeof(v->chain), "%s", chain);
		snprintf(v->comment, sizeof(v->comment), "%s", com);
		v->handle = (unsigned long long)handle;
	} else if (!strcmp(com, FW_COMMENT)) {
		if (!(s->op = realloc(s->op, (s->n_op + 1) * sizeof(*s->op))))
			abort();
		struct opening *o = &s->op[s->n_op++];
		snprintf(o->family, sizeof(o->family), "%s", fam);
		snprintf(o->table, sizeof(o->table), "%s", tab);
		snprintf(o->chain, sizeof(o->chain), "%s", chain);
		o->handle = (unsigned long long)handle;
		o->mark = opening_mark(expr);
		o->owned = tinfo_get(ti, n_ti, fam, tab)->owned || !plain_name(tab) ||
			   !plain_name(chain);
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
	h->odd_name = !h->vmm && (!plain_name(h->table) || !plain_name(h->open_in));
	snprintf(h->owner, sizeof(h->owner), "%s", chain_owner(h, x));
	if (strcmp(h->open_in, h->name) && !(x && x->docker_user))
		snprintf(h->open_in, sizeof(h->open_in), "%s", h->name);
	for (size_t j = 0; j < s->n_op; j++) {
		const struct opening *o = &s->op[j];
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
	if (!(root = json_tokener_parse(json)) || !(arr = jget(root, "nftables")) ||
	    !json_object_is_type(arr, json_type_array)) {
		vmm_fail("firewall: nftables: the ruleset listing is not the JSON nft prints");
		goto out;
	}
	size_t n = json_object_array_length(arr);
	/* pass 1: tables and chains */
	for (size_t i = 0; i < n; i++) {
		json_object *item = json_object_array_get_idx(arr, i), *t, *ch;
		if ((t = jget(item, "table"))) {
			if (is_vmm_table(jstr(t, "family"), jstr(t, "name")))
				s->have_table = true;
			else
				s->other_tables = true;
			tinfo_get(&ti, &n_ti, jstr(t, "family"), jstr(t, "name"))->owned = table_owned(t);
		} else if ((ch = jget(item, "chain"))) {
			parse_chain(s, &ti, &n_ti, ch);
		}
	}
	if (!(last = calloc(FW_MAX_CHAINS, sizeof(*last))))
		abort();
	/* pass 2: rules */
	for (size_t i = 0; i < n; i++) {
		json_object *r = jget(json_object_array_get_idx(arr, i), "rule");
		if (r)
			parse_rule(s, &ti, &n_ti, last, r);
	}
	/* pass 3: each hook chain: how it ends, who owns it, whether it is opened */
	uint32_t mark = mark_of(c);
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

static void wants(const struct fw_config *c, struct want **w, size_t *n)
{
	char net[16];
	uint32_t m = mark_of(c);
	util_format_ipv4(c->network, net);
	*w = NULL;
	*n = 0;
	want_add(w, n, c, CH_FORWARD, FW_ACCEPT_OUT, "iifname \"%s\" meta mark set meta mark | 0x%08x accept",
		 c->bridge, m);
	want_add(w, n, c, CH_FORWARD, FW_ACCEPT_BACK,
		 "oifname \"%s\" ct state established,related meta mark set meta mark | 0x%08x accept",
		 c->bridge, m);
	if (c->n_forwards)
		want_add(w, n, c, CH_FORWARD, FW_ACCEPT_DNAT,
			 "oifname \"%s\" ct status dnat meta mark set meta mark | 0x%08x accept",
			 c->bridge, m);
	if (c->nat)
		want_add(w, n, c, CH_POSTROUTING, FW_MASQ,
			 "ip saddr %s/%u oifname != \"%s\" masquerade", net, c->prefix, c->bridge);
	for (size_t i = 0; i < c->n_forwards; i++) {
		const struct fw_forward *f = &c->forwards[i];
		const char *p = f->proto == 17 ? "udp" : "tcp";
		char g[16];
		util_format_ipv4(f->guest_ip, g);
		want_add(w, n, c, CH_PREROUTING, FW_DNAT,
			 "meta nfproto ipv4 fib daddr type local %s dport %u dnat ip to %s:%u", p,
			 f->host_port, g, f->guest_port);
		want_add(w, n, c, CH_OUTPUT, FW_DNAT,
			 "meta nfproto ipv4 ip daddr != 127.0.0.0/8 fib daddr type local %s dport %u "
			 "dnat ip to %s:%u",
			 p, f->host_port, g, f->guest_port);
	}
}

/* The base chains c needs. */
static void chains_wanted(const struct fw_config *c, bool need[CH_N])
{
	need[CH_FORWARD] = true;
	need[CH_POSTROUTING] = c->nat;
	need[CH_PREROUTING] = need[CH_OUTPUT] = c->n_forwards > 0;
}

static bool bridge_comment(const char *comment, const char *bridge)
{
	size_t l = strlen(bridge);
	return !strncmp(comment, FW_COMMENT " ", 4) && !strncmp(comment + 4, bridge, l) &&
	       comment[4 + l] == ' ';
}

static const struct vrule *find_vrule(const struct fw_nft_state *s, const struct want *w)
{
	for (size_t i = 0; i < s->n_vr; i++)
		if (!strcmp(s->vr[i].chain, ch_name[w->chain]) && !strcmp(s->vr[i].comment, w->comment))
			return &s->vr[i];
	return NULL;
}

void fw_nft_fill_status(const struct fw_config *c, const struct fw_nft_state *s,
			struct fw_status *st)
{
	struct want *w = NULL;
	size_t n = 0;
	bool need[CH_N];
	chains_wanted(c, need);
	wants(c, &w, &n);
	memset(st->wanted, 0, sizeof(st->wanted));
	memset(st->present, 0, sizeof(st->present));
	st->wanted[FW_JUMP_FORWARD] = true;
	st->present[FW_JUMP_FORWARD] = s->base[CH_FORWARD];
	st->wanted[FW_JUMP_POSTROUTING] = c->nat;
	st->present[FW_JUMP_POSTROUTING] = s->base[CH_POSTROUTING];
	for (size_t i = 0; i < n; i++)
		st->wanted[w[i].id] = true;
	for (int id = FW_ACCEPT_OUT; id < FW_NRULES; id++)
		st->present[id] = st->wanted[id];
	for (size_t i = 0; i < n; i++)
		if (!find_vrule(s, &w[i]))
			st->present[w[i].id] = false;
	st->chains_present = s->have_table;
	for (int k = 0; k < CH_N; k++)
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
	for (size_t i = 0; i < s->n_op; i++)
		st->n_stale += s->op[i].mark && !s->op[i].owned &&
			       (s->op[i].mark != mark_of(c) || c->foreign == FW_FOREIGN_LEAVE);
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
 * more (and duplicates) out, the wanted ones (w, n) that are missing in. */
static void diff_table(FILE *f, const struct fw_config *c, const struct fw_nft_state *s,
		       const struct want *w, size_t n)
{
	bool need[CH_N];
	chains_wanted(c, need);
	if (!s->have_table)
		fprintf(f, "add table inet %s\n", FW_NFT_TABLE);
	for (int k = 0; k < CH_N; k++)
		if (need[k] && !s->base[k])
			fprintf(f, "add chain inet %s %s { %s }\n", FW_NFT_TABLE, ch_name[k], ch_spec[k]);
	for (size_t i = 0; i < s->n_vr; i++) {
		const struct vrule *v = &s->vr[i];
		if (!bridge_comment(v->comment, c->bridge))
			continue;
		bool keep = false;
		for (size_t j = 0; j < n && !keep; j++)
			keep = find_vrule(s, &w[j]) == v;
		if (!keep)
			fprintf(f, "delete rule inet %s %s handle %llu\n", FW_NFT_TABLE, v->chain,
				v->handle);
	}
	for (size_t j = 0; j < n; j++)
		if (!find_vrule(s, &w[j]))
			fprintf(f, "add rule inet %s %s %s comment \"%s\"\n", FW_NFT_TABLE,
				ch_name[w[j].chain], w[j].text, w[j].comment);
}

/* Openings in other tables' forward chains: stale ones (another mark, or foreign = leave) go,
 * missing ones come (foreign = open), each announced in notes; a chain vmm cannot open is a
 * note too. */
static void diff_openings(FILE *f, const struct fw_config *c, const struct fw_nft_state *s,
			  char ***notes, size_t *n_notes)
{
	uint32_t m = mark_of(c);
	for (size_t i = 0; i < s->n_op; i++) {
		const struct opening *o = &s->op[i];
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

/* ---- live ---- */

/* The process's libnftables context, its output and errors going to buffers. Making one reads
 * /etc/iproute2's name tables and sets libnftables up again, so one is made on first use and
 * kept until exit; each command sets the output flags it needs. NULL with the error slot set when
 * libnftables cannot be loaded (on first use) or the context not made. */
static struct nft_ctx *ctx_get(void)
{
	static struct nft_ctx *x;
	if (x) {
		/* what an earlier command left unread (a warning) must not pass for this one's */
		nft_ctx_get_output_buffer(x);
		nft_ctx_get_error_buffer(x);
		return x;
	}
	if (dynlib_load(&dl_nftables) < 0)
		return NULL;
	x = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!x) {
		vmm_fail("firewall: nftables: cannot make a libnftables context");
		return NULL;
	}
	nft_ctx_buffer_output(x);
	nft_ctx_buffer_error(x);
	return x;
}

/* The error slot from libnftables' error text: its first line, without "Error: ". */
static int nft_fail(const char *what, struct nft_ctx *x)
{
	const char *e = nft_ctx_get_error_buffer(x);
	char line[256];
	if (!e || !*e)
		e = "failed";
	if (!strncmp(e, "Error: ", 7))
		e += 7;
	snprintf(line, sizeof(line), "%s", e);
	line[strcspn(line, "\n")] = '\0';
	if (strstr(line, "Operation not permitted"))
		return vmm_fail("firewall: nftables: %s: permission denied (needs root or "
				"CAP_NET_ADMIN)", what);
	if (line[0] >= 'A' && line[0] <= 'Z' && !(line[1] >= 'A' && line[1] <= 'Z'))
		line[0] = (char)(line[0] - 'A' + 'a');
	return vmm_fail("firewall: nftables: %s: %s", what, line);
}

/* Run one listing command in x (JSON or text); *out gets the output (malloc'd). */
static int list_cmd(struct nft_ctx *x, bool json, const char *cmd, char **out)
{
	*out = NULL;
	nft_ctx_output_set_flags(x, json ? NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE : 0);
	if (nft_run_cmd_from_buffer(x, cmd) != 0)
		return nft_fail(cmd, x);
	*out = util_strdup(nft_ctx_get_output_buffer(x));
	return 0;
}

/* Append the items of a JSON listing (but its metainfo) to arr. */
static int append_items(json_object *arr, const char *json, const char *key)
{
	json_object *root = json_tokener_parse(json), *a = jget(root, "nftables");
	if (!a || !json_object_is_type(a, json_type_array)) {
		json_object_put(root);
		return vmm_fail("firewall: nftables: the ruleset listing is not the JSON nft prints");
	}
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *e = json_object_array_get_idx(a, i);
		if (jget(e, key))
			json_object_array_add(arr, json_object_get(e));
	}
	json_object_put(root);
	return 0;
}

/*
 * The ruleset as JSON without printing any table that has flags: nft 1.0.6 (Debian 12) frees a
 * table's only flag before printing it (use after free: garbage, invalid JSON or a crash of vmm
 * itself). The text listing shows the flags right; the tables come from it, the chains from
 * `list chains`, the rules from `list chain` each (none of which prints a table object).
 */
static int read_flagged(struct nft_ctx *x, const char *text, char **json)
{
	json_object *root = json_object_new_object(), *arr = json_object_new_array();
	char *chains = NULL, *one = NULL;
	int rc = -1;
	json_object_object_add(root, "nftables", arr);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char fam[16], name[128];
		if (sscanf(l, "table %15s %127[^ {\n]", fam, name) != 2)
			continue;
		json_object *t = json_object_new_object(), *w = json_object_new_object();
		json_object_object_add(t, "family", json_object_new_string(fam));
		json_object_object_add(t, "name", json_object_new_string(name));
		const char *next = strchr(l, '\n');
		if (next && !strncmp(next + 1, "\tflags ", 7)) {
			char fl[128] = "";
			sscanf(next + 8, "%127[^\n]", fl);
			json_object_object_add(t, "flags", json_object_new_string(fl));
		}
		json_object_object_add(w, "table", t);
		json_object_array_add(arr, w);
	}
	if (list_cmd(x, true, "list chains", &chains) < 0 || append_items(arr, chains, "chain") < 0)
		goto out;
	size_t n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++) {
		json_object *ch = jget(json_object_array_get_idx(arr, i), "chain");
		if (!ch)
			continue;
		const char *fam = jstr(ch, "family"), *tab = jstr(ch, "table"), *name = jstr(ch, "name");
		if (!plain_name(tab) || !plain_name(name))
			continue; /* cannot be named in a command; vmm never writes there */
		char *cmd = util_fmt("list chain %s %s %s", fam, tab, name);
		int r = list_cmd(x, true, cmd, &one);
		free(cmd);
		if (r < 0) { /* a name nft's parser refuses (a keyword): its rules stay unknown */
			vmm_error_clear();
			continue;
		}
		if (append_items(arr, one, "rule") < 0)
			goto out;
		free(one);
		one = NULL;
	}
	*json = util_strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
	rc = 0;
out:
	free(chains);
	free(one);
	json_object_put(root);
	return rc;
}

int fw_nft_read(const struct fw_config *c, struct fw_nft_state **out)
{
	char *text = NULL, *json = NULL;
	struct nft_ctx *x = ctx_get();
	int rc = -1;
	*out = NULL;
	if (!x)
		return -1;
	if (list_cmd(x, false, "list ruleset", &text) < 0)
		goto out;
	/* a table-level flags line is one tab deep */
	if (strstr(text, "\n\tflags "))
		rc = read_flagged(x, text, &json);
	else
		rc = list_cmd(x, true, "list ruleset", &json);
	if (rc == 0)
		rc = fw_nft_parse(json, c, out);
out:
	free(text);
	free(json);
	return rc;
}

/* Run one batch (one transaction). */
int fw_nft_run(const char *batch)
{
	struct nft_ctx *x = ctx_get();
	int rc = 0;
	if (!x)
		return -1;
	n_commits++;
	nft_ctx_output_set_flags(x, 0);
	if (nft_run_cmd_from_buffer(x, batch) != 0)
		rc = nft_fail("commit", x);
	return rc;
}

/* The chains an opening is about to go into whose names nft's parser will not take (a name that
 * is one of its keywords, e.g. "fwd"): each insert is tried alone in dry-run (parsed and
 * checked, nothing sent); a refused one marks its chain odd_name, so that one strange chain
 * cannot fail the whole transaction. */
static void check_names(const struct fw_config *c, struct fw_nft_state *s)
{
	uint32_t m = mark_of(c);
	for (size_t k = 0; k < s->n_chains; k++) {
		struct fw_hook_chain *h = &s->chains[k];
		if (!h->drops || h->early || h->owned || h->odd_name || h->opened)
			continue;
		struct nft_ctx *x = ctx_get();
		if (!x)
			return;
		char *line = util_fmt("insert rule %s %s %s meta mark & 0x%08x == 0x%08x counter accept\n",
				      h->family, h->table, h->open_in, m, m);
		nft_ctx_set_dry_run(x, true);
		h->odd_name = nft_run_cmd_from_buffer(x, line) != 0;
		nft_ctx_set_dry_run(x, false);
		free(line);
	}
}

/* Read, diff, commit; once more when the commit failed (the ruleset may have changed under us,
 * e.g. a handle went away): the second failure is the answer. */
static int converge(const struct fw_config *c, bool remove, char ***notes, size_t *n_notes)
{
	for (int attempt = 0;; attempt++) {
		struct fw_nft_state *s = NULL;
		char *batch = NULL;
		int rc = -1;
		if (notes) {
			for (size_t i = 0; i < *n_notes; i++)
				free((*notes)[i]);
			free(*notes);
			*notes = NULL;
			*n_notes = 0;
		}
		if (fw_nft_read(c, &s) < 0)
			return -1;
		if (remove && !s->have_table && s->n_op == 0) {
			fw_nft_state_free(s);
			return 0;
		}
		if (!remove && c->foreign == FW_FOREIGN_OPEN)
			check_names(c, s);
		if (fw_nft_diff(c, s, remove, &batch, notes, n_notes) == 0)
			rc = !*batch ? 0 : fw_nft_run(batch);
		fw_nft_state_free(s);
		free(batch);
		if (rc == 0 || attempt >= 1)
			return rc;
	}
}

int fw_nft_apply(const struct fw_config *c, char ***notes, size_t *n_notes)
{
	return converge(c, false, notes, n_notes);
}

int fw_nft_remove(const struct fw_config *c)
{
	return converge(c, true, NULL, NULL);
}

int fw_nft_status(const struct fw_config *c, struct fw_status *st)
{
	struct fw_nft_state *s = NULL;
	if (fw_nft_read(c, &s) < 0)
		return -1;
	if (c->foreign == FW_FOREIGN_OPEN)
		check_names(c, s);
	fw_nft_fill_status(c, s, st);
	fw_nft_state_free(s);
	return 0;
}

int fw_nft_plan(const struct fw_config *c, char **text)
{
	struct fw_nft_state *s = NULL;
	*text = NULL;
	if (fw_nft_read(c, &s) < 0) {
		/* not allowed to read (not root): plan against an empty ruleset */
		vmm_error_clear();
		if (fw_nft_parse("", c, &s) < 0)
			return -1;
	}
	int rc = fw_nft_diff(c, s, false, text, NULL, NULL);
	fw_nft_state_free(s);
	return rc;
}
