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
static bool same_rule(struct xtc_handle *h, const struct ipt_entry *x,
		      const struct iptr_entry *want)
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
	if (iptr_nat_target(want->target)) {
		const struct xt_entry_target *a = (const void *)((const char *)x + x->target_offset);
		const struct xt_entry_target *b = (const void *)((const char *)w + w->target_offset);
		if (a->u.target_size != b->u.target_size || a->u.user.revision != b->u.user.revision ||
		    memcmp(a->data, b->data, b->u.target_size - sizeof(*b)))
			return false;
	}
	return true;
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
	const struct iptr_entry *want;
	size_t n_want;
};

/* A rule of this bridge in vmm's chain that is not wanted. */
static bool is_stale(struct xtc_handle *h, const struct ipt_entry *x, const void *arg)
{
	const struct stale_arg *a = arg;
	if (!iptr_bridge_rule(x, a->bridge))
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

/* Wanted rules found more than once: the first stays. */
static int dedupe(struct xtc_handle *h, const char *table, const struct iptr_chain *s,
		  const struct iptr_entry *want, bool *changed)
{
	for (size_t i = 0; i < s->n_want; i++) {
		int n;
		find_rule(h, s->chain, is_same, &want[i], &n);
		for (; n > 1; n--) {
			int last = -1, j = 0;
			for (const struct ipt_entry *x = iptc_first_rule(s->chain, h); x;
			     x = iptc_next_rule(x, h), j++)
				if (same_rule(h, x, &want[i]))
					last = j;
			if (del_num(h, table, s->chain, last) < 0)
				return -1;
			*changed = true;
		}
	}
	return 0;
}

/* Which of the n wanted entries x is (the first it equals), or -1. */
static int wanted_index(struct xtc_handle *h, const struct ipt_entry *x,
			const struct iptr_entry *want, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (same_rule(h, x, &want[i]))
			return (int)i;
	return -1;
}

/* The wanted rules present in the chain that stand after a rule wanted later (out of order);
 * *last gets the highest wanted index present (-1: none). */
static size_t misplaced(struct xtc_handle *h, const struct iptr_chain *s,
			const struct iptr_entry *want, int *last)
{
	size_t n = 0;
	*last = -1;
	for (const struct ipt_entry *x = iptc_first_rule(s->chain, h); x; x = iptc_next_rule(x, h)) {
		int i = wanted_index(h, x, want, s->n_want);
		if (i < 0)
			continue;
		if (i < *last)
			n++;
		else
			*last = i;
	}
	return n;
}

static bool is_wanted(struct xtc_handle *h, const struct ipt_entry *x, const void *arg)
{
	const struct iptr_chain *s = ((const void *const *)arg)[0];
	const struct iptr_entry *want = ((const void *const *)arg)[1];
	return wanted_index(h, x, want, s->n_want) >= 0;
}

/* The wanted rules (stale ones and duplicates gone already) into the chain in want's order:
 * the missing ones appended when they all come after the present ones; otherwise this bridge's
 * rules of the chain taken out and put back in order (one commit either way). */
static int put_in_order(struct xtc_handle *h, const char *table, const struct iptr_chain *s,
			const struct iptr_entry *want, bool *changed)
{
	const void *arg[2] = { s, want };
	int last, idx;
	bool redo = misplaced(h, s, want, &last) > 0;
	for (size_t i = 0; i < s->n_want && !redo; i++)
		redo = (int)i < last && find_rule(h, s->chain, is_same, &want[i], NULL) < 0;
	while (redo && (idx = find_rule(h, s->chain, is_wanted, arg, NULL)) >= 0) {
		if (del_num(h, table, s->chain, idx) < 0)
			return -1;
		*changed = true;
	}
	for (size_t i = 0; i < s->n_want; i++) {
		if (find_rule(h, s->chain, is_same, &want[i], NULL) >= 0)
			continue;
		if (!iptc_append_entry(s->chain, want[i].e, h)) {
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
static int chain_converge(struct xtc_handle *h, const struct fw_config *c, const char *table,
			  const struct iptr_chain *s, bool *changed, bool *had_chain)
{
	struct iptr_entry *want = iptr_entries_build(s), jump = { 0 };
	struct iptr_rule jr;
	char what[64];
	int rc = -1, idx, n;

	snprintf(what, sizeof(what), "%s %s", table, s->chain);
	*had_chain = iptc_is_chain(s->chain, h);
	iptr_jump_rule(s->builtin, s->chain, &jr);
	iptr_build_entry(&jr, &jump);

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
	if (dedupe(h, table, s, want, changed) < 0 || put_in_order(h, table, s, want, changed) < 0)
		goto out;
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
	iptr_entries_free(want, s->n_want);
	free(jump.e);
	return rc;
}

/* Every chain of one table. *had_chain: one of vmm's chains there existed before. */
static int table_converge(struct xtc_handle *h, const struct fw_config *c,
			  const struct iptr_table *s, bool *changed, bool *had_chain)
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
static int table_apply(const struct fw_config *c, const struct iptr_table *s, bool only_if_used,
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
	struct iptr_table undo[2];
	bool ch, hc;
	iptr_table_specs(c, true, undo);
	table_apply(c, &undo[0], true, &ch, &hc);
	iptr_table_specs_free(undo);
	vmm_fail("%s", msg);
	free(msg);
}

/* Put c's rules in place (or take them out: remove) in filter, then nat, under the xtables
 * lock. A table that is not wanted is only cleaned up, never instantiated for nothing; adding,
 * a failure in nat undoes a filter part that was not there before. */
static int tables_change(const struct fw_config *c, bool remove)
{
	struct iptr_table s[2];
	bool changed[2] = { false, false }, had[2] = { false, false };
	int fd = -1, rc = -1;

	iptr_table_specs(c, remove, s);
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
static int table_status(const struct fw_config *c, const struct iptr_table *s, struct fw_status *st,
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
		const struct iptr_chain *cs = &s->chains[i];
		bool here = iptc_is_chain(cs->chain, h), fwd_wanted = false;
		bool jump = here && find_rule(h, cs->builtin, is_jump_to, cs->chain, NULL) >= 0;
		if (!strcmp(cs->chain, FW_CHAIN_FILTER)) {
			*chain = here;
			st->present[FW_JUMP_FORWARD] = jump;
		} else if (!strcmp(cs->chain, FW_CHAIN_NAT)) {
			*chain = here || !c->nat;
			st->present[FW_JUMP_POSTROUTING] = jump;
		}
		struct iptr_entry *want = iptr_entries_build(cs);
		for (size_t j = 0; j < cs->n_want; j++) {
			bool there = here && find_rule(h, cs->chain, is_same, &want[j], NULL) >= 0;
			fwd_wanted |= cs->want[j].fwd;
			if (cs->want[j].fwd)
				*fwd_stale |= !there;
			else
				st->present[cs->want[j].id] = there;
		}
		if (here) {
			/* a rule of this bridge that c does not want: a forward since removed */
			struct stale_arg sa = { c->bridge, want, cs->n_want };
			int last;
			*fwd_stale |= find_rule(h, cs->chain, is_stale, &sa, NULL) >= 0;
			/* out of order (e.g. an accept after the drops): apply puts them back */
			st->n_stale += misplaced(h, cs, want, &last);
		}
		if (fwd_wanted && !jump)
			*fwd_stale = true;
		iptr_entries_free(want, cs->n_want);
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
	struct iptr_table s[2];
	bool chain[2], stale[2] = { false, false };
	int rc = -1;

	snprintf(st->forward_policy, sizeof(st->forward_policy), "ACCEPT");
	if (fw_config_check(c) < 0)
		return -1;
	iptr_table_specs(c, false, s);
	for (int i = 0; i < 2; i++)
		if (table_status(c, &s[i], st, &chain[i], &stale[i]) < 0)
			goto out;
	st->chains_present = chain[0] && (!c->nat || chain[1]);
	for (int i = 0; i <= FW_MASQ; i++)
		st->wanted[i] = c->nat || (i != FW_MASQ && i != FW_JUMP_POSTROUTING);
	st->wanted[FW_ACCEPT_BRIDGED] = st->wanted[FW_DROP_OUT] = st->wanted[FW_DROP_IN] = true;
	/* the forwards' rules: filter's accepts, nat's DNAT (with their chains and jumps) */
	st->wanted[FW_ACCEPT_DNAT] = st->wanted[FW_DNAT] = c->n_forwards > 0;
	st->present[FW_ACCEPT_DNAT] = c->n_forwards > 0 && !stale[0];
	st->present[FW_DNAT] = c->n_forwards > 0 && !stale[1];
	st->forwards_stale = stale[0] || stale[1];
	rc = 0;
out:
	iptr_table_specs_free(s);
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

int fw_legacy_plan(const struct fw_config *c, char **text)
{
	struct iptr_table s[2];
	char line[1024];
	char *out = NULL;
	size_t ol = 0;
	FILE *f = NULL;

	*text = NULL;
	if (fw_config_check(c) < 0)
		return -1;
	iptr_table_specs(c, false, s);
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
			const struct iptr_chain *cs = &s[t].chains[i];
			struct iptr_rule jr;
			if (!cs->n_want)
				continue;
			iptr_jump_rule(cs->builtin, cs->chain, &jr);
			iptr_rule_text(&jr, line, sizeof(line));
			fprintf(f, "-I%s\n", line + 2); /* "-A X ..." -> "-I X ...": inserted first */
			for (size_t j = 0; j < cs->n_want; j++) {
				if (iptr_rule_text(&cs->want[j], line, sizeof(line)) < 0) {
					fclose(f);
					free(out);
					iptr_table_specs_free(s);
					return -1;
				}
				fprintf(f, "%s\n", line);
			}
		}
		fprintf(f, "COMMIT\n");
	}
	iptr_table_specs_free(s);
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
