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
#include <linux/netfilter/xt_conntrack.h>

#include <json-c/json.h>

#include "vmm/error.h"
#include "vmm/net/firewall.h"
#include "vmm/net/fw_backend.h"
#include "vmm/util.h"

#define XTABLES_LOCK "/run/xtables.lock"
#define LOCK_WAIT_MS 30000
#define COMMIT_TRIES 10
#define CONNTRACK_REV 3

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

/* ---- entries built by hand ---- */

struct fw_entry {
	struct ipt_entry *e;   /* malloc'd, next_offset bytes */
	const char *target;    /* target name as libiptc reports it */
	const char *chain;     /* the chain it goes into */
};

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

static void comment_of(const struct fw_config *c, enum fw_rule_id id, char *buf, size_t len)
{
	if (id == FW_JUMP_FORWARD || id == FW_JUMP_POSTROUTING)
		snprintf(buf, len, "%s", FW_COMMENT);
	else
		snprintf(buf, len, "%s %s", FW_COMMENT, c->bridge);
}

static const char *chain_of(enum fw_rule_id id)
{
	switch (id) {
	case FW_JUMP_FORWARD: return "FORWARD";
	case FW_JUMP_POSTROUTING: return "POSTROUTING";
	case FW_ACCEPT_OUT:
	case FW_ACCEPT_BACK: return FW_CHAIN_FILTER;
	default: return FW_CHAIN_NAT;
	}
}

static void set_iface(char *name, unsigned char *mask, const char *bridge)
{
	size_t l = strlen(bridge);
	memcpy(name, bridge, l);
	memset(mask, 0xff, l + 1); /* exact name, NUL included (what iptables does without '+') */
}

/* Build the entry of one rule (config already checked; aborts when out of memory). */
static void build_entry(const struct fw_config *c, enum fw_rule_id id, struct fw_entry *out)
{
	struct xt_comment_info com;
	struct xt_conntrack_mtinfo3 ct;
	struct nf_nat_ipv4_multi_range_compat masq;
	size_t size = sizeof(struct ipt_entry) + match_len(sizeof(com));

	memset(&com, 0, sizeof(com));
	comment_of(c, id, com.comment, sizeof(com.comment));
	if (id == FW_ACCEPT_BACK)
		size += match_len(sizeof(ct));
	size_t toff = size;
	switch (id) {
	case FW_MASQ: size += target_len(sizeof(masq)); break;
	default: size += XT_ALIGN(sizeof(struct xt_standard_target)); break;
	}
	struct ipt_entry *e = calloc(1, size);
	if (!e)
		abort();
	e->target_offset = (uint16_t)toff;
	e->next_offset = (uint16_t)size;
	unsigned char *p = e->elems;
	switch (id) {
	case FW_ACCEPT_OUT:
		set_iface(e->ip.iniface, e->ip.iniface_mask, c->bridge);
		break;
	case FW_ACCEPT_BACK:
		set_iface(e->ip.outiface, e->ip.outiface_mask, c->bridge);
		memset(&ct, 0, sizeof(ct));
		ct.match_flags = XT_CONNTRACK_STATE;
		ct.state_mask = XT_CONNTRACK_STATE_BIT(IP_CT_RELATED) |
				XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED);
		put_match(&p, "conntrack", CONNTRACK_REV, &ct, sizeof(ct));
		break;
	case FW_MASQ:
		e->ip.src.s_addr = htonl(c->network);
		e->ip.smsk.s_addr = htonl(util_prefix_mask(c->prefix));
		set_iface(e->ip.outiface, e->ip.outiface_mask, c->bridge);
		e->ip.invflags = IPT_INV_VIA_OUT;
		break;
	default:
		break;
	}
	put_match(&p, "comment", 0, &com, sizeof(com));
	out->chain = chain_of(id);
	switch (id) {
	case FW_JUMP_FORWARD: out->target = FW_CHAIN_FILTER; break;
	case FW_JUMP_POSTROUTING: out->target = FW_CHAIN_NAT; break;
	case FW_MASQ: out->target = "MASQUERADE"; break;
	default: out->target = IPTC_LABEL_ACCEPT; break;
	}
	if (id == FW_MASQ) {
		memset(&masq, 0, sizeof(masq));
		masq.rangesize = 1;
		put_target(p, out->target, &masq, sizeof(masq));
	} else {
		/* standard target: libiptc maps the name (ACCEPT or a chain) to the verdict */
		struct xt_standard_target *st = (struct xt_standard_target *)p;
		st->target.u.user.target_size = (uint16_t)XT_ALIGN(sizeof(*st));
		snprintf(st->target.u.user.name, sizeof(st->target.u.user.name), "%s", out->target);
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
	if (!strcmp(want->target, "MASQUERADE")) {
		const struct xt_entry_target *a = (const void *)((const char *)x + x->target_offset);
		const struct xt_entry_target *b = (const void *)((const char *)w + w->target_offset);
		if (a->u.target_size != b->u.target_size ||
		    memcmp(a->data, b->data, b->u.target_size - sizeof(*b)))
			return false;
	}
	return true;
}

/* Does a rule in a vmm chain belong to this bridge (-i BR or -o BR, exact)? */
static bool bridge_rule(const struct ipt_entry *x, const char *bridge)
{
	char in[IFNAMSIZ + 1] = "", out[IFNAMSIZ + 1] = "";
	memcpy(in, x->ip.iniface, IFNAMSIZ);
	memcpy(out, x->ip.outiface, IFNAMSIZ);
	return !strcmp(in, bridge) || !strcmp(out, bridge);
}

/* ---- per-table work ---- */

struct table_spec {
	const char *table;      /* "filter" / "nat" */
	const char *builtin;    /* FORWARD / POSTROUTING */
	const char *chain;      /* vmm's chain */
	enum fw_rule_id jump;
	enum fw_rule_id rules[2];
	size_t n_rules;         /* rules wanted (0: remove this bridge's) */
};

static void table_specs(const struct fw_config *c, struct table_spec t[2])
{
	t[0] = (struct table_spec){ "filter", "FORWARD", FW_CHAIN_FILTER, FW_JUMP_FORWARD,
				    { FW_ACCEPT_OUT, FW_ACCEPT_BACK }, 2 };
	t[1] = (struct table_spec){ "nat", "POSTROUTING", FW_CHAIN_NAT, FW_JUMP_POSTROUTING,
				    { FW_MASQ, FW_MASQ }, c->nat ? 1 : 0 };
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

/* Bring one table (handle h) to what spec wants for bridge c->bridge. *changed set when the
 * handle was modified. *had_chain: vmm's chain existed before. */
static int table_converge(struct xtc_handle *h, const struct fw_config *c,
			  const struct table_spec *s, bool *changed, bool *had_chain)
{
	struct fw_entry want[2] = { { 0 } }, jump = { 0 };
	char what[64];
	int rc = -1, idx, n;

	snprintf(what, sizeof(what), "%s %s", s->table, s->chain);
	*changed = false;
	*had_chain = iptc_is_chain(s->chain, h);
	for (size_t i = 0; i < s->n_rules; i++)
		build_entry(c, s->rules[i], &want[i]);
	build_entry(c, s->jump, &jump);

	if (!*had_chain) {
		if (!s->n_rules) {
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
	struct stale_arg sa = { c->bridge, want, s->n_rules };
	while ((idx = find_rule(h, s->chain, is_stale, &sa, NULL)) >= 0) {
		if (del_num(h, s->table, s->chain, idx) < 0)
			goto out;
		*changed = true;
	}
	for (size_t i = 0; i < s->n_rules; i++) {
		idx = find_rule(h, s->chain, is_same, &want[i], &n);
		for (; n > 1; n--) { /* keep the first */
			int last = -1, j = 0;
			for (const struct ipt_entry *x = iptc_first_rule(s->chain, h); x;
			     x = iptc_next_rule(x, h), j++)
				if (same_rule(h, x, &want[i]))
					last = j;
			if (del_num(h, s->table, s->chain, last) < 0)
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
	if (!empty && !s->n_rules && n >= 1) {
		rc = 0; /* removing, and the chain still serves another bridge: jumps stay as they are */
		goto out;
	}
	while ((idx = find_rule(h, s->builtin, is_jump_to, s->chain, NULL)) >= 0) {
		if (del_num(h, s->table, s->builtin, idx) < 0)
			goto out;
		*changed = true;
	}
	if (!empty) {
		if (!iptc_insert_entry(s->builtin, jump.e, 0, h)) {
			snprintf(what, sizeof(what), "%s %s", s->table, s->builtin);
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
	for (size_t i = 0; i < 2; i++)
		free(want[i].e);
	free(jump.e);
	return rc;
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

int fw_legacy_apply(const struct fw_config *c)
{
	struct table_spec s[2];
	bool changed[2] = { false, false }, had[2] = { false, false };
	int fd = -1, rc = -1;

	if (fw_config_check(c) < 0)
		return -1;
	table_specs(c, s);
	if ((fd = xt_lock()) < 0)
		return -1;
	if (table_apply(c, &s[0], false, &changed[0], &had[0]) < 0)
		goto out;
	/* nat: when not wanted, only clean up, never instantiate the table for nothing */
	if (table_apply(c, &s[1], !c->nat, &changed[1], &had[1]) < 0) {
		if (changed[0] && !had[0]) {
			/* undo the filter part we just added (best effort, keep the first error) */
			char *msg = util_strdup(vmm_errmsg());
			struct table_spec undo = s[0];
			bool ch, hc;
			undo.n_rules = 0;
			table_apply(c, &undo, true, &ch, &hc);
			vmm_fail("%s", msg);
			free(msg);
		}
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

int fw_legacy_remove(const struct fw_config *c)
{
	struct table_spec s[2];
	bool ch, had;
	int fd = -1, rc = -1;

	if (fw_config_check(c) < 0)
		return -1;
	table_specs(c, s);
	s[0].n_rules = s[1].n_rules = 0;
	if (table_in_use("filter") == 0 && table_in_use("nat") == 0)
		return 0; /* nothing can be there: no need for root or the lock */
	if ((fd = xt_lock()) < 0)
		return -1;
	for (int i = 0; i < 2; i++)
		if (table_apply(c, &s[i], true, &ch, &had) < 0)
			goto out;
	rc = 0;
out:
	close(fd);
	return rc;
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

static int table_status(const struct fw_config *c, const struct table_spec *s, struct fw_status *st,
			bool *chain)
{
	struct fw_entry e = { 0 };
	int used = table_in_use(s->table);
	*chain = false;
	if (used == 0)
		return 0;
	struct xtc_handle *h = table_open(s->table);
	if (!h)
		return -1;
	*chain = iptc_is_chain(s->chain, h);
	if (*chain)
		st->present[s->jump] = find_rule(h, s->builtin, is_jump_to, s->chain, NULL) >= 0;
	enum fw_rule_id ids[2] = { FW_ACCEPT_OUT, FW_ACCEPT_BACK };
	size_t n = 2;
	if (s->jump == FW_JUMP_POSTROUTING) {
		ids[0] = FW_MASQ;
		n = 1;
	}
	for (size_t i = 0; *chain && i < n; i++) {
		build_entry(c, ids[i], &e);
		st->present[ids[i]] = find_rule(h, s->chain, is_same, &e, NULL) >= 0;
		free(e.e);
		e.e = NULL;
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
	bool chain[2];

	snprintf(st->forward_policy, sizeof(st->forward_policy), "ACCEPT");
	if (fw_config_check(c) < 0)
		return -1;
	table_specs(c, s);
	for (int i = 0; i < 2; i++)
		if (table_status(c, &s[i], st, &chain[i]) < 0)
			return -1;
	st->chains_present = chain[0] && (!c->nat || chain[1]);
	for (int i = 0; i < FW_NRULES; i++)
		st->wanted[i] = i <= FW_MASQ && (c->nat || (i != FW_MASQ && i != FW_JUMP_POSTROUTING));
	return 0;
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

int fw_rule_line(const struct fw_config *c, enum fw_rule_id id, char *buf, size_t len)
{
	char com[XT_MAX_COMMENT_LEN], q[2 * XT_MAX_COMMENT_LEN + 3], net[16];
	if (fw_config_check(c) < 0)
		return -1;
	if ((unsigned)id > FW_MASQ)
		return vmm_invalid("firewall: rule %d: no such rule", (int)id);
	comment_of(c, id, com, sizeof(com));
	quote_comment(com, q, sizeof(q));
	util_format_ipv4(c->network, net);
	int n = 0;
	switch (id) {
	case FW_JUMP_FORWARD:
	case FW_JUMP_POSTROUTING:
		n = snprintf(buf, len, "-A %s -m comment --comment %s -j %s", chain_of(id), q,
			     id == FW_JUMP_FORWARD ? FW_CHAIN_FILTER : FW_CHAIN_NAT);
		break;
	case FW_ACCEPT_OUT:
		n = snprintf(buf, len, "-A %s -i %s -m comment --comment %s -j ACCEPT", chain_of(id),
			     c->bridge, q);
		break;
	case FW_ACCEPT_BACK:
		n = snprintf(buf, len,
			     "-A %s -o %s -m conntrack --ctstate RELATED,ESTABLISHED -m comment "
			     "--comment %s -j ACCEPT",
			     chain_of(id), c->bridge, q);
		break;
	default:
		n = snprintf(buf, len, "-A %s -s %s/%u ! -o %s -m comment --comment %s -j MASQUERADE",
			     chain_of(id), net, c->prefix, c->bridge, q);
		break;
	}
	if (n < 0 || (size_t)n >= len)
		return vmm_fail("firewall: rule text longer than %zu bytes", len);
	return 0;
}

int fw_legacy_plan(const struct fw_config *c, char **text)
{
	char line[1024];
	char *s = NULL;
	size_t sl = 0;
	FILE *f = NULL;

	*text = NULL;
	if (fw_config_check(c) < 0)
		return -1;
	if (!(f = open_memstream(&s, &sl)))
		abort();
	/* f now owns s until fclose */
	fprintf(f, "*filter\n:%s - [0:0]\n", FW_CHAIN_FILTER);
	fw_rule_line(c, FW_JUMP_FORWARD, line, sizeof(line));
	fprintf(f, "-I%s\n", line + 2); /* "-A FORWARD ..." -> "-I FORWARD ...": inserted first */
	fw_rule_line(c, FW_ACCEPT_OUT, line, sizeof(line));
	fprintf(f, "%s\n", line);
	fw_rule_line(c, FW_ACCEPT_BACK, line, sizeof(line));
	fprintf(f, "%s\nCOMMIT\n", line);
	if (c->nat) {
		fprintf(f, "*nat\n:%s - [0:0]\n", FW_CHAIN_NAT);
		fw_rule_line(c, FW_JUMP_POSTROUTING, line, sizeof(line));
		fprintf(f, "-I%s\n", line + 2);
		fw_rule_line(c, FW_MASQ, line, sizeof(line));
		fprintf(f, "%s\nCOMMIT\n", line);
	}
	if (fclose(f) != 0) {
		free(s);
		return vmm_fail("firewall: plan: %s", util_strerror(errno));
	}
	*text = s; /* caller owns it */
	return 0;
}
