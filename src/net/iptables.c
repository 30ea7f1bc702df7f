// SPDX-License-Identifier: MIT
// iptables.c: vmm's chains, jumps and rules in the legacy iptables tables, through libiptc (live)
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
#include <libiptc/libip6tc.h>
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
#include "vmm/net/iptables_rules.h"
#include "vmm/sys/util.h"

#define XTABLES_LOCK "/run/xtables.lock"
#define LOCK_WAIT_MS 30000
#define COMMIT_TRIES 10

static unsigned n_commits;

unsigned fw_legacy_commits(void)
{
	return n_commits;
}

/* ---- the two families: libiptc (ip) and libip6tc (ip6) behind one table ---- */

/* What differs between libiptc and libip6tc: the functions that take or give an entry (struct
 * ipt_entry / ip6t_entry, here void) and the ones of the same shape under another name. */
struct xt_family {
	bool v6;
	const char *names;   /* the kernel's list of the family's tables in use */
	const char *prefix;  /* in messages: "" or "ip6 " */
	struct xtc_handle *(*init)(const char *table);
	void (*free)(struct xtc_handle *h);
	int (*commit)(struct xtc_handle *h);
	int (*is_chain)(const char *chain, struct xtc_handle *const h);
	int (*builtin)(const char *chain, struct xtc_handle *const h);
	int (*create_chain)(const xt_chainlabel chain, struct xtc_handle *h);
	int (*delete_chain)(const xt_chainlabel chain, struct xtc_handle *h);
	int (*delete_num)(const xt_chainlabel chain, unsigned int n, struct xtc_handle *h);
	int (*references)(unsigned int *ref, const xt_chainlabel chain, struct xtc_handle *h);
	const char *(*first_chain)(struct xtc_handle *h);
	const char *(*next_chain)(struct xtc_handle *h);
	const char *(*policy)(const char *chain, struct xt_counters *c, struct xtc_handle *h);
	const char *(*strerror)(int err);
	const void *(*first_rule)(const char *chain, struct xtc_handle *h);
	const void *(*next_rule)(const void *prev, struct xtc_handle *h);
	const char *(*target)(const void *e, struct xtc_handle *h);
	int (*insert)(const char *chain, const void *e, unsigned n, struct xtc_handle *h);
	int (*append)(const char *chain, const void *e, struct xtc_handle *h);
};

static const void *ip4_first_rule(const char *chain, struct xtc_handle *h)
{
	return iptc_first_rule(chain, h);
}

static const void *ip4_next_rule(const void *prev, struct xtc_handle *h)
{
	return iptc_next_rule(prev, h);
}

static const char *ip4_target(const void *e, struct xtc_handle *h)
{
	return iptc_get_target(e, h);
}

static int ip4_insert(const char *chain, const void *e, unsigned n, struct xtc_handle *h)
{
	return iptc_insert_entry(chain, e, n, h);
}

static int ip4_append(const char *chain, const void *e, struct xtc_handle *h)
{
	return iptc_append_entry(chain, e, h);
}

static const void *ip6_first_rule(const char *chain, struct xtc_handle *h)
{
	return ip6tc_first_rule(chain, h);
}

static const void *ip6_next_rule(const void *prev, struct xtc_handle *h)
{
	return ip6tc_next_rule(prev, h);
}

static const char *ip6_target(const void *e, struct xtc_handle *h)
{
	return ip6tc_get_target(e, h);
}

static int ip6_insert(const char *chain, const void *e, unsigned n, struct xtc_handle *h)
{
	return ip6tc_insert_entry(chain, e, n, h);
}

static int ip6_append(const char *chain, const void *e, struct xtc_handle *h)
{
	return ip6tc_append_entry(chain, e, h);
}

static const struct xt_family fam4 = {
	.v6 = false, .names = "/proc/net/ip_tables_names", .prefix = "",
	.init = iptc_init, .free = iptc_free, .commit = iptc_commit,
	.is_chain = iptc_is_chain, .builtin = iptc_builtin,
	.create_chain = iptc_create_chain, .delete_chain = iptc_delete_chain,
	.delete_num = iptc_delete_num_entry, .references = iptc_get_references,
	.first_chain = iptc_first_chain, .next_chain = iptc_next_chain,
	.policy = iptc_get_policy, .strerror = iptc_strerror,
	.first_rule = ip4_first_rule, .next_rule = ip4_next_rule, .target = ip4_target,
	.insert = ip4_insert, .append = ip4_append,
};

static const struct xt_family fam6 = {
	.v6 = true, .names = "/proc/net/ip6_tables_names", .prefix = "ip6 ",
	.init = ip6tc_init, .free = ip6tc_free, .commit = ip6tc_commit,
	.is_chain = ip6tc_is_chain, .builtin = ip6tc_builtin,
	.create_chain = ip6tc_create_chain, .delete_chain = ip6tc_delete_chain,
	.delete_num = ip6tc_delete_num_entry, .references = ip6tc_get_references,
	.first_chain = ip6tc_first_chain, .next_chain = ip6tc_next_chain,
	.policy = ip6tc_get_policy, .strerror = ip6tc_strerror,
	.first_rule = ip6_first_rule, .next_rule = ip6_next_rule, .target = ip6_target,
	.insert = ip6_insert, .append = ip6_append,
};

/* A table handle and the family it belongs to. */
struct xt {
	const struct xt_family *f;
	struct xtc_handle *h;
};

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

/* Is the entry x (from the table) the same rule as want? Counters and verdict offsets ignored. */
static bool same_rule(const struct xt *t, const void *x, const struct iptr_entry *want)
{
	struct iptr_head hx, hw;
	const char *w = want->e;
	iptr_entry_head(x, t->f->v6, &hx);
	iptr_entry_head(w, t->f->v6, &hw);
	if (memcmp(hx.ip, hw.ip, hw.ip_len) || hx.target_offset != hw.target_offset ||
	    hx.next_offset != hw.next_offset)
		return false;
	/* match by match: the kernel copies names only up to their NUL, so the bytes after it are
	 * whatever libiptc's buffer held; compare names as strings, then revision and data */
	for (size_t off = hw.matches; off < hw.target_offset;) {
		const struct xt_entry_match *a = (const void *)((const char *)x + off);
		const struct xt_entry_match *b = (const void *)(w + off);
		if (a->u.match_size != b->u.match_size || a->u.match_size < sizeof(*b) ||
		    strncmp(a->u.user.name, b->u.user.name, sizeof(b->u.user.name)) ||
		    a->u.user.revision != b->u.user.revision ||
		    memcmp(a->data, b->data, b->u.match_size - sizeof(*b)))
			return false;
		off += b->u.match_size;
	}
	const char *tg = t->f->target(x, t->h);
	if (!tg || strcmp(tg, want->target))
		return false;
	if (iptr_nat_target(want->target)) {
		const struct xt_entry_target *a = (const void *)((const char *)x + hx.target_offset);
		const struct xt_entry_target *b = (const void *)(w + hw.target_offset);
		if (a->u.target_size != b->u.target_size || a->u.user.revision != b->u.user.revision ||
		    memcmp(a->data, b->data, b->u.target_size - sizeof(*b)))
			return false;
	}
	return true;
}

/* Index of the first rule of `chain` for which pred() holds, or -1. */
static int find_rule(const struct xt *t, const char *chain,
		     bool (*pred)(const struct xt *, const void *, const void *),
		     const void *arg, int *count)
{
	int idx = -1, i = 0;
	if (count)
		*count = 0;
	for (const void *x = t->f->first_rule(chain, t->h); x; x = t->f->next_rule(x, t->h), i++) {
		if (pred(t, x, arg)) {
			if (idx < 0)
				idx = i;
			if (count)
				(*count)++;
		}
	}
	return idx;
}

static bool is_jump_to(const struct xt *t, const void *x, const void *chain)
{
	const char *tg = t->f->target(x, t->h);
	return tg && !strcmp(tg, chain);
}

static bool is_same(const struct xt *t, const void *x, const void *want)
{
	return same_rule(t, x, want);
}

struct stale_arg {
	const char *bridge;
	const struct iptr_entry *want;
	size_t n_want;
};

/* A rule of this bridge in vmm's chain that is not wanted. */
static bool is_stale(const struct xt *t, const void *x, const void *arg)
{
	const struct stale_arg *a = arg;
	if (!iptr_bridge_rule(x, t->f->v6, a->bridge))
		return false;
	for (size_t i = 0; i < a->n_want; i++)
		if (same_rule(t, x, &a->want[i]))
			return false;
	return true;
}

static int del_num(const struct xt *t, const char *table, const char *chain, int idx)
{
	if (!t->f->delete_num(chain, (unsigned)idx, t->h)) {
		char what[64];
		snprintf(what, sizeof(what), "%s %s", table, chain);
		return fw_fail_errno(what, errno);
	}
	return 0;
}

/* Wanted rules found more than once: the first stays. */
static int dedupe(const struct xt *t, const char *table, const struct iptr_chain *s,
		  const struct iptr_entry *want, bool *changed)
{
	for (size_t i = 0; i < s->n_want; i++) {
		int n;
		find_rule(t, s->chain, is_same, &want[i], &n);
		for (; n > 1; n--) {
			int last = -1, j = 0;
			for (const void *x = t->f->first_rule(s->chain, t->h); x;
			     x = t->f->next_rule(x, t->h), j++)
				if (same_rule(t, x, &want[i]))
					last = j;
			if (del_num(t, table, s->chain, last) < 0)
				return -1;
			*changed = true;
		}
	}
	return 0;
}

/* Which of the n wanted entries x is (the first it equals), or -1. */
static int wanted_index(const struct xt *t, const void *x,
			const struct iptr_entry *want, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (same_rule(t, x, &want[i]))
			return (int)i;
	return -1;
}

/* The wanted rules present in the chain that stand after a rule wanted later (out of order);
 * *last gets the highest wanted index present (-1: none). */
static size_t misplaced(const struct xt *t, const struct iptr_chain *s,
			const struct iptr_entry *want, int *last)
{
	size_t n = 0;
	*last = -1;
	for (const void *x = t->f->first_rule(s->chain, t->h); x; x = t->f->next_rule(x, t->h)) {
		int i = wanted_index(t, x, want, s->n_want);
		if (i < 0)
			continue;
		if (i < *last)
			n++;
		else
			*last = i;
	}
	return n;
}

static bool is_wanted(const struct xt *t, const void *x, const void *arg)
{
	const struct iptr_chain *s = ((const void *const *)arg)[0];
	const struct iptr_entry *want = ((const void *const *)arg)[1];
	return wanted_index(t, x, want, s->n_want) >= 0;
}

/* The wanted rules (stale ones and duplicates gone already) into the chain in want's order:
 * the missing ones appended when they all come after the present ones; otherwise this bridge's
 * rules of the chain taken out and put back in order (one commit either way). */
static int put_in_order(const struct xt *t, const char *table, const struct iptr_chain *s,
			const struct iptr_entry *want, bool *changed)
{
	const void *arg[2] = { s, want };
	int last, idx;
	bool redo = misplaced(t, s, want, &last) > 0;
	for (size_t i = 0; i < s->n_want && !redo; i++)
		redo = (int)i < last && find_rule(t, s->chain, is_same, &want[i], NULL) < 0;
	while (redo && (idx = find_rule(t, s->chain, is_wanted, arg, NULL)) >= 0) {
		if (del_num(t, table, s->chain, idx) < 0)
			return -1;
		*changed = true;
	}
	for (size_t i = 0; i < s->n_want; i++) {
		if (find_rule(t, s->chain, is_same, &want[i], NULL) >= 0)
			continue;
		if (!t->f->append(s->chain, want[i].e, t->h)) {
			char what[64];
			snprintf(what, sizeof(what), "%s %s", table, s->chain);
			return fw_fail_errno(what, errno);
		}
		*changed = true;
	}
	return 0;
}

/* Bring one of vmm's chains (in the table of handle h) to what s wants for bridge c->bridge.
 * *changed set when the handle was modified. *had_chain: vmm's chain existed before. */
static int chain_converge(const struct xt *t, const struct fw_config *c, const char *table,
			  const struct iptr_chain *s, bool *changed, bool *had_chain)
{
	struct iptr_entry *want = iptr_entries_build(s), jump = { 0 };
	struct iptr_rule jr;
	char what[64];
	int rc = -1, idx, n;

	snprintf(what, sizeof(what), "%s %s", table, s->chain);
	*had_chain = t->f->is_chain(s->chain, t->h);
	iptr_jump_rule(s->builtin, s->chain, &jr);
	jr.v6 = t->f->v6;
	iptr_build_entry(&jr, &jump);

	if (!*had_chain) {
		if (!s->n_want) {
			rc = 0;
			goto out;
		}
		if (!t->f->create_chain(s->chain, t->h)) {
			fw_fail_errno(what, errno);
			goto out;
		}
		*changed = true;
	}
	/* this bridge's rules that are not wanted, and duplicates of wanted ones */
	struct stale_arg sa = { c->bridge, want, s->n_want };
	while ((idx = find_rule(t, s->chain, is_stale, &sa, NULL)) >= 0) {
		if (del_num(t, table, s->chain, idx) < 0)
			goto out;
		*changed = true;
	}
	if (dedupe(t, table, s, want, changed) < 0 || put_in_order(t, table, s, want, changed) < 0)
		goto out;
	/* the jump: exactly one, first, while the chain has rules; none (and no chain) otherwise */
	bool empty = t->f->first_rule(s->chain, t->h) == NULL;
	idx = find_rule(t, s->builtin, is_jump_to, s->chain, &n);
	if (!empty && n == 1 && idx == 0) {
		rc = 0;
		goto out;
	}
	if (!empty && !s->n_want && n >= 1) {
		rc = 0; /* removing, and the chain still serves another bridge: jumps stay as they are */
		goto out;
	}
	while ((idx = find_rule(t, s->builtin, is_jump_to, s->chain, NULL)) >= 0) {
		if (del_num(t, table, s->builtin, idx) < 0)
			goto out;
		*changed = true;
	}
	if (!empty) {
		if (!t->f->insert(s->builtin, jump.e, 0, t->h)) {
			snprintf(what, sizeof(what), "%s %s", table, s->builtin);
			fw_fail_errno(what, errno);
			goto out;
		}
		*changed = true;
	} else {
		unsigned refs = 0;
		if (t->f->references(&refs, s->chain, t->h) && refs == 0) {
			if (!t->f->delete_chain(s->chain, t->h)) {
				fw_fail_errno(what, errno);
				goto out;
			}
			*changed = true;
		}
		/* still referenced by someone else's rule: the (empty) chain stays */
	}
	rc = 0;
out:
	iptr_entries_free(want, s->n_want);
	free(jump.e);
	return rc;
}

/* Every chain of one table. *had_chain: one of vmm's chains there existed before. */
static int table_converge(const struct xt *t, const struct fw_config *c,
			  const struct iptr_table *s, bool *changed, bool *had_chain)
{
	*changed = false;
	*had_chain = false;
	for (size_t i = 0; i < s->n_chains; i++) {
		bool had = false;
		if (chain_converge(t, c, s->table, &s->chains[i], changed, &had) < 0)
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

/* Is the table of family f instantiated in this network namespace? 1 yes, 0 no, -1 cannot
 * tell. */
static int table_in_use(const struct xt_family *f, const char *table)
{
	FILE *fp = fopen(f->names, "re");
	char line[64];
	int found = 0;
	if (!fp)
		return errno == ENOENT ? 0 : -1;
	while (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\n")] = 0;
		if (!strcmp(line, table))
			found = 1;
	}
	fclose(fp);
	return found;
}

static const struct xt_family *family_of(const struct iptr_table *s)
{
	return s->v6 ? &fam6 : &fam4;
}

/* init with retries on EAGAIN (the table changed while being read): 0, or -1 with the error
 * slot set. */
static int table_open(const struct xt_family *f, const char *table, struct xt *t)
{
	t->f = f;
	for (int i = 0; i < COMMIT_TRIES; i++) {
		if ((t->h = f->init(table)))
			return 0;
		if (errno != EAGAIN)
			break;
	}
	char what[32];
	snprintf(what, sizeof(what), "%stable %s", f->prefix, table);
	return fw_fail_errno(what, errno);
}

/* Converge one table in one commit (retried on EAGAIN). *changed: a commit happened. */
static int table_apply(const struct fw_config *c, const struct iptr_table *s, bool only_if_used,
		       bool *changed, bool *had_chain)
{
	const struct xt_family *f = family_of(s);
	*changed = false;
	*had_chain = false;
	if (only_if_used && table_in_use(f, s->table) == 0)
		return 0;
	for (int attempt = 0;; attempt++) {
		bool ch = false;
		struct xt t;
		if (table_open(f, s->table, &t) < 0)
			return -1;
		if (table_converge(&t, c, s, &ch, had_chain) < 0) {
			f->free(t.h);
			return -1;
		}
		if (!ch) {
			f->free(t.h);
			return 0;
		}
		n_commits++;
		int ok = f->commit(t.h);
		int e = errno;
		f->free(t.h);
		if (ok) {
			*changed = true;
			return 0;
		}
		if (e != EAGAIN || attempt + 1 >= COMMIT_TRIES) {
			char what[32];
			snprintf(what, sizeof(what), "%stable %s", f->prefix, s->table);
			return fw_fail_errno(what, e);
		}
	}
}

/* ---- API ---- */

/* Take back the part of the tables before `failed` that this apply added where vmm had no chain
 * before (best effort, keeping the error already set). */
static void tables_undo(const struct fw_config *c, int failed, const bool *changed,
			const bool *had)
{
	char *msg = util_strdup(vmm_errmsg());
	struct iptr_table undo[IPTR_NTABLES];
	bool ch, hc;
	iptr_table_specs(c, true, undo);
	for (int i = failed - 1; i >= 0; i--)
		if (changed[i] && !had[i])
			table_apply(c, &undo[i], true, &ch, &hc);
	iptr_table_specs_free(undo);
	vmm_fail("%s", msg);
	free(msg);
}

/* Put c's rules in place (or take them out: remove) in ip filter, ip nat, ip6 filter, ip6 nat,
 * each in one commit, under the xtables lock. A table that is not wanted is only cleaned up,
 * never instantiated for nothing; adding, a failure in one table undoes the earlier tables' part
 * where vmm had no chain before. */
static int tables_change(const struct fw_config *c, bool remove)
{
	struct iptr_table s[IPTR_NTABLES];
	bool changed[IPTR_NTABLES] = { false }, had[IPTR_NTABLES] = { false };
	int fd = -1, rc = -1;

	iptr_table_specs(c, remove, s);
	if ((fd = xt_lock()) < 0)
		goto out;
	for (int i = 0; i < IPTR_NTABLES; i++) {
		bool only_if_used = remove || !s[i].wanted;
		if (table_apply(c, &s[i], only_if_used, &changed[i], &had[i]) < 0) {
			if (!remove)
				tables_undo(c, i, changed, had);
			goto out;
		}
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	iptr_table_specs_free(s);
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
	if (table_in_use(&fam4, "filter") == 0 && table_in_use(&fam4, "nat") == 0 &&
	    table_in_use(&fam6, "filter") == 0 && table_in_use(&fam6, "nat") == 0)
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

/* One rule (or jump) id's presence across the tables: all of its wanted instances there. */
static void mark(struct fw_status *st, bool *seen, enum fw_rule_id id, bool there)
{
	st->present[id] = seen[id] ? st->present[id] && there : there;
	seen[id] = true;
}

/* One of vmm's chains of a table in use: its jump and fixed rules into present[], *fwd_stale
 * when the forwards' rules there are not exactly what c wants. */
static void chain_status(const struct xt *t, const struct fw_config *c,
			 const struct iptr_chain *cs, struct fw_status *st, bool *seen,
			 bool *chain, bool *fwd_stale)
{
	bool here = t->f->is_chain(cs->chain, t->h), fwd_wanted = false;
	bool jump = here && find_rule(t, cs->builtin, is_jump_to, cs->chain, NULL) >= 0;
	enum fw_rule_id jid = strcmp(cs->chain, FW_CHAIN_FILTER) ? FW_JUMP_POSTROUTING
								  : FW_JUMP_FORWARD;
	if (!strcmp(cs->chain, FW_CHAIN_FILTER) || !strcmp(cs->chain, FW_CHAIN_NAT)) {
		*chain = here || !cs->n_want;
		if (cs->n_want)
			mark(st, seen, jid, jump);
		else if (!seen[jid])
			st->present[jid] = jump; /* not wanted here: what there is */
	}
	struct iptr_entry *want = iptr_entries_build(cs);
	for (size_t j = 0; j < cs->n_want; j++) {
		bool there = here && find_rule(t, cs->chain, is_same, &want[j], NULL) >= 0;
		fwd_wanted |= cs->want[j].fwd;
		if (cs->want[j].fwd)
			*fwd_stale |= !there;
		else
			mark(st, seen, cs->want[j].id, there);
	}
	if (here) {
		/* a rule of this bridge that c does not want: a forward since removed */
		struct stale_arg sa = { c->bridge, want, cs->n_want };
		int last;
		*fwd_stale |= find_rule(t, cs->chain, is_stale, &sa, NULL) >= 0;
		/* out of order (e.g. an accept after the drops): apply puts them back */
		st->n_stale += misplaced(t, cs, want, &last);
	}
	if (fwd_wanted && !jump)
		*fwd_stale = true;
	iptr_entries_free(want, cs->n_want);
}

/* The state of one table: the bridge's fixed rules and jumps in present[] (seen: the ids an
 * earlier table had already), whether vmm's main chain is there as wanted (*chain), and
 * whether the port forwards are exactly what c wants (*fwd_stale otherwise). */
static int table_status(const struct fw_config *c, const struct iptr_table *s, struct fw_status *st,
			bool *seen, bool *chain, bool *fwd_stale)
{
	const struct xt_family *f = family_of(s);
	struct xt t;
	*chain = true;
	if (table_in_use(f, s->table) == 0) {
		/* nothing there: every wanted rule missing, forwards stale when wanted in it */
		for (size_t i = 0; i < s->n_chains; i++) {
			const struct iptr_chain *cs = &s->chains[i];
			if (cs->n_want && (!strcmp(cs->chain, FW_CHAIN_FILTER) ||
					   !strcmp(cs->chain, FW_CHAIN_NAT))) {
				*chain = false;
				mark(st, seen, strcmp(cs->chain, FW_CHAIN_FILTER) ?
					 FW_JUMP_POSTROUTING : FW_JUMP_FORWARD, false);
			}
			for (size_t j = 0; j < cs->n_want; j++) {
				*fwd_stale |= cs->want[j].fwd;
				if (!cs->want[j].fwd)
					mark(st, seen, cs->want[j].id, false);
			}
		}
		return 0;
	}
	if (table_open(f, s->table, &t) < 0)
		return -1;
	for (size_t i = 0; i < s->n_chains; i++) {
		bool ch = true;
		chain_status(&t, c, &s->chains[i], st, seen, &ch, fwd_stale);
		*chain &= ch;
	}
	if (!s->v6 && !strcmp(s->table, "filter")) {
		struct xt_counters cnt;
		const char *pol = f->policy("FORWARD", &cnt, t.h);
		snprintf(st->forward_policy, sizeof(st->forward_policy), "%s", pol ? pol : "ACCEPT");
	}
	f->free(t.h);
	return 0;
}

int fw_legacy_status_rules(const struct fw_config *c, struct fw_status *st)
{
	struct iptr_table s[IPTR_NTABLES];
	bool chain[IPTR_NTABLES], stale[IPTR_NTABLES] = { false }, seen[FW_NRULES] = { false };
	bool masq = c->nat || (c->ipv6 && c->nat6);
	int rc = -1;

	snprintf(st->forward_policy, sizeof(st->forward_policy), "ACCEPT");
	if (fw_config_check(c) < 0)
		return -1;
	iptr_table_specs(c, false, s);
	for (int i = 0; i < IPTR_NTABLES; i++)
		if (table_status(c, &s[i], st, seen, &chain[i], &stale[i]) < 0)
			goto out;
	st->chains_present = chain[0] && chain[1] && chain[2] && chain[3];
	for (int i = 0; i <= FW_MASQ; i++)
		st->wanted[i] = masq || (i != FW_MASQ && i != FW_JUMP_POSTROUTING);
	st->wanted[FW_ACCEPT_BRIDGED] = st->wanted[FW_DROP_OUT] = st->wanted[FW_DROP_IN] = true;
	/* the forwards' rules: filter's accepts, nat's DNAT (with their chains and jumps) */
	st->wanted[FW_ACCEPT_DNAT] = st->wanted[FW_DNAT] = c->n_forwards > 0;
	st->present[FW_ACCEPT_DNAT] = c->n_forwards > 0 && !stale[0] && !stale[2];
	st->present[FW_DNAT] = c->n_forwards > 0 && !stale[1] && !stale[3];
	st->forwards_stale = stale[0] || stale[1] || stale[2] || stale[3];
	rc = 0;
out:
	iptr_table_specs_free(s);
	return rc;
}

/* Does a legacy table of family f in this network namespace hold a rule, a user chain or a
 * policy other than ACCEPT? */
static int family_in_use(const struct xt_family *f)
{
	FILE *fp = fopen(f->names, "re");
	char line[64];
	int used = 0;
	if (!fp)
		return 0;
	while (!used && fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\n")] = 0;
		struct xtc_handle *h = f->init(line);
		if (!h)
			continue;
		for (const char *ch = f->first_chain(h); ch && !used; ch = f->next_chain(h)) {
			if (!f->builtin(ch, h) || f->first_rule(ch, h)) {
				used = 1;
				break;
			}
			struct xt_counters cnt;
			const char *pol = f->policy(ch, &cnt, h);
			if (pol && strcmp(pol, "ACCEPT"))
				used = 1;
		}
		f->free(h);
	}
	fclose(fp);
	return used;
}

int fw_legacy_in_use(void)
{
	return family_in_use(&fam4) || family_in_use(&fam6);
}

void fw_legacy_probes(struct fw_status *st)
{
	st->iptables_is_nft = iptables_nft();
	st->nft_forward_drop = nft_forward_drop();
	vmm_error_clear(); /* util_run may have left a note about a missing program */
}

/* One table of the plan into f: "*TABLE", the chains, the jumps, the rules, "COMMIT". */
static int plan_table(FILE *f, const struct iptr_table *s)
{
	char line[1024];
	fprintf(f, "*%s\n", s->table);
	for (size_t i = 0; i < s->n_chains; i++)
		if (s->chains[i].n_want)
			fprintf(f, ":%s - [0:0]\n", s->chains[i].chain);
	for (size_t i = 0; i < s->n_chains; i++) {
		const struct iptr_chain *cs = &s->chains[i];
		struct iptr_rule jr;
		if (!cs->n_want)
			continue;
		iptr_jump_rule(cs->builtin, cs->chain, &jr);
		jr.v6 = s->v6;
		iptr_rule_text(&jr, line, sizeof(line));
		fprintf(f, "-I%s\n", line + 2); /* "-A X ..." -> "-I X ...": inserted first */
		for (size_t j = 0; j < cs->n_want; j++) {
			if (iptr_rule_text(&cs->want[j], line, sizeof(line)) < 0)
				return -1;
			fprintf(f, "%s\n", line);
		}
	}
	fprintf(f, "COMMIT\n");
	return 0;
}

int fw_legacy_plan(const struct fw_config *c, char **text)
{
	struct iptr_table s[IPTR_NTABLES];
	char *out = NULL;
	size_t ol = 0;
	FILE *f = NULL;
	int rc = 0;

	*text = NULL;
	if (fw_config_check(c) < 0)
		return -1;
	iptr_table_specs(c, false, s);
	if (!(f = open_memstream(&out, &ol)))
		abort();
	/* f now owns out until fclose */
	for (int t = 0; t < IPTR_NTABLES && rc == 0; t++) {
		if (!s[t].wanted)
			continue;
		if (t == 2) /* the IPv6 part: another program reads it */
			fprintf(f, "# ip6tables-legacy-restore --noflush\n");
		rc = plan_table(f, &s[t]);
	}
	iptr_table_specs_free(s);
	if (fclose(f) != 0 && rc == 0)
		rc = vmm_fail("firewall: plan: %s", util_strerror(errno));
	if (rc < 0) {
		free(out);
		return -1;
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
