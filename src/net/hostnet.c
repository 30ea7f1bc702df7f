// SPDX-License-Identifier: MIT
/* hostnet.c: `vmm net up|down` and a guest's tap: the host changes, each journaled before it is made */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include "vmm/sys/error.h"
#include "vmm/config/dns.h"
#include "vmm/config/ipv6.h"
#include "vmm/net/dnsmasq.h"
#include "vmm/net/forward.h"
#include "vmm/net/hostnet.h"
#include "vmm/net/journal.h"
#include "vmm/net/link.h"
#include "vmm/net/tap.h"
#include "vmm/net/userns.h"
#include "vmm/sys/util.h"

/* ---- small helpers ---- */

bool hostnet_can_admin(void)
{
	char *text = util_read_file("/proc/self/status", NULL);
	bool ok = false;
	vmm_error_clear();
	if (!text)
		return geteuid() == 0;
	const char *p = strstr(text, "\nCapEff:");
	if (p) {
		unsigned long long caps = strtoull(p + 8, NULL, 16);
		ok = caps & (1ULL << 12); /* CAP_NET_ADMIN */
	}
	free(text);
	return ok;
}

void hostnet_fw_config(const struct vmm_netcfg *n, struct fw_config *fc)
{
	memset(fc, 0, sizeof(*fc));
	fc->bridge = n->bridge;
	fc->network = netcfg_network(n);
	fc->prefix = n->prefix;
	fc->nat = n->nat;
	fc->backend = !n->firewall || !strcmp(n->firewall, "auto") ? FW_AUTO
		      : !strcmp(n->firewall, "nftables")         ? FW_NFTABLES
								 : FW_IPTABLES_LEGACY;
	fc->foreign = n->foreign && !strcmp(n->foreign, "leave") ? FW_FOREIGN_LEAVE : FW_FOREIGN_OPEN;
	fc->mark = n->firewall_mark;
	fc->ipv6 = n->has_ipv6;
	memcpy(fc->prefix6, n->ipv6_prefix, sizeof(fc->prefix6));
	fc->nat6 = n->nat6;
	if (userns_inside()) {
		/* a namespace of the user's: no other tool's firewall, and nftables works there
		 * (iptables-legacy may not); pasta brings the host's loopback forwards */
		fc->backend = FW_NFTABLES;
		fc->local_forwards = true;
	}
}

static void fw_arg(const struct fw_config *fc, char *buf, size_t len)
{
	char net[16];
	util_format_ipv4(fc->network, net);
	char p6[IPV6_TEXT_MAX + 4] = "";
	if (fc->ipv6) /* the IPv6 side of the same rules */
		ipv6_format_prefix64(fc->prefix6, p6);
	snprintf(buf, len, "%s/%u %s%s%s%s", net, fc->prefix, fc->nat ? "nat" : "nonat",
		 fc->ipv6 ? " " : "", p6, !fc->ipv6 ? "" : fc->nat6 ? " nat6" : " nonat6");
}

/* Parse a firewall record back into a config (bridge points into r). */
static int fw_from_rec(const struct journal_rec *r, struct fw_config *fc)
{
	char net[20] = "", mode[8] = "", net6[IPV6_TEXT_MAX + 4] = "", mode6[8] = "";
	uint32_t a;
	unsigned p;
	memset(fc, 0, sizeof(*fc));
	int n = sscanf(r->arg, "%19s %7s %49s %7s", net, mode, net6, mode6);
	if ((n != 2 && n != 4) || util_parse_cidr("net.state firewall", net, &a, &p) < 0 ||
	    (n == 4 && ipv6_parse_prefix64("net.state firewall", net6, fc->prefix6) < 0))
		return vmm_fail("net.state: firewall record \"%s\" not understood", r->arg);
	fc->bridge = r->name;
	fc->network = a;
	fc->prefix = p;
	fc->nat = !strcmp(mode, "nat");
	fc->ipv6 = n == 4; /* the IPv6 side of the rules, in ip6tables too */
	fc->nat6 = !strcmp(mode6, "nat6");
	if (userns_inside())
		fc->backend = FW_NFTABLES; /* as hostnet_fw_config: the legacy tables are not ours */
	return 0;
}

int hostnet_probe(struct nl_sock *sk, const struct vmm_netcfg *n, struct hostnet_probe *pb)
{
	struct rtnl_link *link = NULL;
	struct nl_cache *addrs = NULL;
	int err, rc = -1;

	memset(pb, 0, sizeof(*pb));
	if (link_get(sk, n->bridge, &link) < 0)
		return -1;
	if (link) {
		const char *kind = rtnl_link_get_type(link);
		pb->bridge_exists = true;
		snprintf(pb->kind, sizeof(pb->kind), "%s", kind ? kind : "device");
		pb->is_bridge = kind && !strcmp(kind, "bridge");
		pb->up = rtnl_link_get_flags(link) & IFF_UP;
		pb->ifindex = rtnl_link_get_ifindex(link);
	}
	if ((err = rtnl_addr_alloc_cache(sk, &addrs)) < 0) {
		vmm_fail("addresses: %s", nl_geterror(err));
		goto out;
	}
	uint32_t net = netcfg_network(n);
	for (struct nl_object *o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		if (rtnl_addr_get_family(a) != AF_INET)
			continue;
		struct nl_addr *local = rtnl_addr_get_local(a);
		uint32_t ip = link_ipv4(local);
		unsigned plen = (unsigned)nl_addr_get_prefixlen(local);
		int idx = rtnl_addr_get_ifindex(a);
		if (idx == pb->ifindex && pb->ifindex > 0) {
			if (ip == n->addr)
				pb->addr_on_bridge = true;
			continue;
		}
		char ifname[IFNAMSIZ] = "?";
		if (!if_indextoname((unsigned)idx, ifname))
			snprintf(ifname, sizeof(ifname), "#%d", idx);
		if (ip == n->addr && !*pb->addr_elsewhere)
			snprintf(pb->addr_elsewhere, sizeof(pb->addr_elsewhere), "%s", ifname);
		unsigned m = plen < n->prefix ? plen : n->prefix;
		if ((ip & util_prefix_mask(m)) == (net & util_prefix_mask(m)) && !*pb->overlap) {
			char s[16];
			util_format_ipv4(ip, s);
			snprintf(pb->overlap, sizeof(pb->overlap), "%s (%s/%u)", ifname, s, plen);
		}
	}
	rc = 0;
out:
	if (addrs)
		nl_cache_free(addrs);
	if (link)
		rtnl_link_put(link);
	return rc;
}

/* Checks that make `net up` refuse before changing anything. */
static int preflight(const struct vmm_netcfg *n, const struct hostnet_probe *pb,
		     const struct vmm_profile *guests, size_t n_guests)
{
	char a[16];
	util_format_ipv4(n->addr, a);
	if (pb->bridge_exists && !pb->is_bridge)
		return vmm_invalid("bridge %s: an interface of that name exists and is not a bridge "
				   "(it is a %s)", n->bridge, pb->kind);
	if (*pb->addr_elsewhere)
		return vmm_invalid("bridge %s: address %s is already on %s", n->bridge, a,
				   pb->addr_elsewhere);
	for (size_t i = 0; i < n_guests; i++)
		if (!strcmp(guests[i].tap, n->bridge))
			return vmm_invalid("%s: tap %s: same name as the bridge", guests[i].name,
					   guests[i].tap);
	return 0;
}

static int fw_all_present(const struct fw_config *fc, const struct fw_status *fs)
{
	/* (forwards_stale: a forward the config no longer has, legacy backend) */
	return fw_status_complete(fc, fs) && !fs->forwards_stale ? 1 : 0;
}

/* ---- undo ---- */

const char *hostnet_dnsmasq_pub(void)
{
	return geteuid() == 0 ? HOSTNET_DNSMASQ_PUB : NULL;
}

/* The home's run folder: the journal's own (run/net.state). */
static char *journal_run(const struct journal *j)
{
	char *run = util_strdup(j->path ? j->path : ".");
	char *slash = strrchr(run, '/');
	if (slash)
		*slash = '\0';
	return run;
}

/* Put an IPv6 sysctl back: arg "KEY OLD"; an interface that is gone has nothing to restore. */
static int undo_sysctl6(const struct journal_rec *r)
{
	char key[24] = "", old[16] = "";
	if (sscanf(r->arg, "%23s %15s", key, old) != 2 || strchr(key, '/') || strchr(r->name, '/'))
		return vmm_fail("net.state: sysctl6 record \"%s %s\" not understood", r->name,
				r->arg);
	char *path = util_fmt("%s/%s/%s", HOSTNET_IPV6_CONF, r->name, key);
	int rc = util_exists(path) ? util_write_str(path, old) : 0;
	free(path);
	return rc;
}

static int undo_dnsmasq(const struct journal *j, const struct journal_rec *r)
{
	struct dnsmasq_conf c;
	char *run = journal_run(j);
	dnsmasq_conf_at(&c, run, r->name, hostnet_dnsmasq_pub());
	int rc = dnsmasq_stop(&c);
	dnsmasq_conf_free(&c);
	free(run);
	return rc;
}

static int undo_one(struct nl_sock *sk, const struct journal *j, const struct journal_rec *r)
{
	struct fw_config fc;
	switch (r->kind) {
	case J_SYSCTL6:
		return undo_sysctl6(r);
	case J_DNSMASQ:
		return undo_dnsmasq(j, r);
	case J_FIREWALL:
		if (fw_from_rec(r, &fc) < 0)
			return -1;
		return fw_remove(&fc);
	case J_FORWARDING:
		return util_write_str(HOSTNET_IP_FORWARD, "0");
	case J_TAP: /* an interface of that name that is no tap was never ours */
		return tap_exists(r->name) ? tap_remove(r->name) : 0;
	case J_UP:
		return link_set_up(sk, r->name, false);
	case J_ADDRESS:
		return link_addr_change(sk, r->name, r->arg, false);
	case J_BRIDGE:
		return link_bridge_delete(sk, r->name);
	}
	return 0;
}

/* Is the interface deleted by a record in [from, upto) (so its address/up undo is moot)? */
static bool bridge_goes(const struct journal *j, size_t from, size_t upto, const char *name)
{
	for (size_t i = from; i < upto; i++)
		if (j->v[i].kind == J_BRIDGE && !strcmp(j->v[i].name, name))
			return true;
	return false;
}

static bool rec_is_link(const struct journal_rec *x)
{
	return x->kind == J_TAP || x->kind == J_BRIDGE;
}

/* Delete the link records of [from, n) in one batch when their group holds nothing else;
 * done[i - from] is set for the ones that are gone. */
static void delete_group(struct nl_sock *sk, const struct journal *j, size_t from, bool *done)
{
	uint32_t group = 0;
	const char **names = calloc(j->n - from + 1, sizeof(*names));
	size_t nn = 0;
	if (!names)
		abort();
	for (size_t i = from; i < j->n; i++) {
		if (j->v[i].kind == J_BRIDGE && !group)
			group = link_group_of(j->v[i].name);
		if (rec_is_link(&j->v[i]))
			names[nn++] = j->v[i].name;
	}
	if (group && link_delete_group(sk, group, names, nn) == 1)
		for (size_t i = from; i < j->n; i++)
			if (rec_is_link(&j->v[i]) && if_nametoindex(j->v[i].name) == 0)
				done[i - from] = true;
	free(names);
}

/*
 * Undo the records [from, n) in reverse, links last and in one batch where possible; the records
 * undone leave the journal (not written: the caller syncs). Returns 0, or -1 with the first error
 * (the records that failed stay).
 */
static int undo_from(struct nl_sock *sk, struct journal *j, size_t from)
{
	struct vmm_saved_error first = { 0 };
	int rc = 0;
	size_t n = j->n;
	bool *done = calloc(n - from + 1, sizeof(*done));
	if (!done)
		abort();
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			delete_group(sk, j, from, done);
		for (size_t i = n; i-- > from;) {
			const struct journal_rec *x = &j->v[i];
			bool moot = (x->kind == J_ADDRESS || x->kind == J_UP) &&
				    bridge_goes(j, from, pass ? i : n, x->name);
			if (done[i - from] || moot || (pass == 0 && rec_is_link(x))) {
				done[i - from] |= moot && pass == 1;
				continue;
			}
			done[i - from] = true;
			if (undo_one(sk, j, x) < 0) {
				if (rc == 0)
					vmm_error_save(&first);
				rc = -1;
				done[i - from] = false;
			}
		}
	}
	for (size_t i = n; i-- > from;)
		if (done[i - from])
			journal_drop(j, i);
	free(done);
	return rc < 0 ? vmm_error_restore(&first) : 0;
}

/* ---- the lock, the journal and recovery ---- */

struct admin {
	const struct vmm_home *h;
	int lock;
	struct journal j;
	struct nl_sock *sk;
};

/*
 * A journal left by a vmm that was killed: an interrupted up or start is rolled back (its
 * records undone), an interrupted down is completed. Announced in one line.
 */
static int recover(struct admin *a)
{
	struct journal *j = &a->j;
	if (!*j->op)
		return 0;
	char op[16];
	snprintf(op, sizeof(op), "%s", j->op);
	bool down = !strcmp(op, "down");
	long pid = j->pid; /* the killed process's; journal_end clears it */
	size_t before = j->n;
	int rc = undo_from(a->sk, j, down ? 0 : j->open_at);
	/* a tap a running guest holds stays; it goes away with the guest */
	for (size_t i = j->n; rc < 0 && i-- > 0;)
		if (j->v[i].kind == J_TAP && tap_in_use(j->v[i].name) == 1)
			journal_drop(j, i);
	vmm_error_clear();
	if (journal_end(j) < 0)
		return -1;
	vmm_notice("net: %s an interrupted `%s` (pid %ld): %zu change%s undone", down ? "completed" :
		   "rolled back", !strcmp(op, "start") ? "vmm start" : down ? "net down" : "net up",
		   pid, before - j->n, before - j->n == 1 ? "" : "s");
	return 0;
}

/* Root, the network lock, the journal (recovered when a vmm was killed) and a netlink socket.
 * admin_end releases whatever was got, also after a failure. */
static int admin_begin(const struct vmm_home *h, const char *what, struct admin *a)
{
	memset(a, 0, sizeof(*a));
	a->h = h;
	a->lock = -1;
	if (!hostnet_can_admin())
		return vmm_fail("%s: needs root (CAP_NET_ADMIN)", what);
	char *path = util_fmt("%s/net.lock", h->run);
	a->lock = util_lock(path);
	free(path);
	if (a->lock < 0 || journal_load(h, &a->j) < 0)
		return -1;
	if (!(a->sk = link_nl_open(NULL)))
		return -1;
	return recover(a);
}

static void admin_end(struct admin *a)
{
	if (a->sk)
		nl_socket_free(a->sk);
	if (a->lock >= 0)
		close(a->lock);
	journal_free(&a->j);
}

/* Record a change before making it; the first one of an operation opens it in the journal. */
static int intend(struct journal *j, const char *op, enum journal_kind kind, const char *name,
		  const char *arg)
{
	journal_begin(j, op);
	return journal_intend(j, kind, name, arg);
}

/* End an operation: drop the begin line (when one was written). */
static int finish(struct journal *j)
{
	return *j->op ? journal_end(j) : 0;
}

/* Roll back what the open operation recorded and end it; the error in the slot is kept. */
static void roll_back(struct admin *a)
{
	struct vmm_saved_error e;
	vmm_error_save(&e);
	if (*a->j.op && undo_from(a->sk, &a->j, a->j.open_at) < 0) {
		char also[512];
		snprintf(also, sizeof(also), "%s", vmm_errmsg());
		vmm_error_restore(&e);
		vmm_fail("%s (and undoing failed: %s)", e.msg, also);
		vmm_error_save(&e);
	}
	finish(&a->j);
	vmm_error_restore(&e);
}

/* End the operation by its outcome rc: finished when it worked, else rolled back (-1). */
static int conclude(struct admin *a, int rc)
{
	if (rc < 0) {
		roll_back(a);
		return -1;
	}
	return finish(&a->j);
}

/* ---- net up ---- */

/*
 * net up in two halves. The plan reads what is there (links, taps, forwarding, the firewall's
 * rules, the IPv6 sysctls) and records every change it will make in one journal write, before
 * the first of them; the act makes them, in that order, and writes nothing more until the end.
 * A crash or a failure in between undoes all the records, and every undo tolerates a change that
 * never happened.
 */
struct up_work {
	const struct vmm_netcfg *n;
	const struct vmm_profile *guests;
	size_t n_guests;
	struct hostnet_probe pb;
	char cidr[24];
	bool forwarding;           /* ip_forward to be set */
	struct fw_config fc;       /* the rules, with every guest's forwards */
	struct fw_forward *fwd;
	bool fw_apply;             /* some rule missing: load them (one transaction) */
	char cidr6[IPV6_TEXT_MAX + 4], uplink[IF_NAMESIZE];
	int accept_ra, forwarding6; /* the old values to change (-1: leave alone) */
};

/* Record a change of the open "up" in memory (record_up writes them all). */
static void record_add(struct admin *a, enum journal_kind kind, const char *name, const char *arg)
{
	journal_begin(&a->j, "up");
	journal_add(&a->j, kind, name, arg);
}

/* IPv6 sysctl KEY of IFACE: recorded with its old value when it is not want; *old gets that
 * value, or -1 when nothing is to change. */
static int record_sysctl6(struct admin *a, const char *iface, const char *key, int want, int *old)
{
	char *path = util_fmt("%s/%s/%s", HOSTNET_IPV6_CONF, iface, key), arg[48];
	int v = util_read_int(path), rc = 0;
	*old = -1;
	if (v < 0) {
		rc = vmm_fail("%s: %s", path, util_strerror(errno ? errno : EIO));
	} else if (v != want) {
		snprintf(arg, sizeof(arg), "%s %d", key, v);
		record_add(a, J_SYSCTL6, iface, arg);
		*old = v;
	}
	free(path);
	return rc;
}

/* The uplink: net.cfg's, or the default route's interface ("" when none). */
static void uplink_of(struct admin *a, const struct vmm_netcfg *n, char *out)
{
	if (n->uplink && strcmp(n->uplink, "auto"))
		snprintf(out, IF_NAMESIZE, "%s", n->uplink);
	else
		link_default_uplink(a->sk, out);
}

/*
 * IPv6: the bridge's P::1/64, then forwarding. With forwarding on the kernel ignores router
 * advertisements on an interface whose accept_ra is 1: an uplink configured by SLAAC would lose
 * its address and default route when they expire, so such an uplink gets accept_ra = 2 first.
 * Every old value is journaled: net down puts each back.
 */
static int record_ipv6(struct admin *a, struct up_work *u)
{
	char ip[IPV6_TEXT_MAX];
	u->accept_ra = u->forwarding6 = -1;
	if (!u->n->has_ipv6)
		return 0;
	ipv6_host(u->n->ipv6_prefix, 1, ip);
	snprintf(u->cidr6, sizeof(u->cidr6), "%s/64", ip);
	record_add(a, J_ADDRESS, u->n->bridge, u->cidr6);
	uplink_of(a, u->n, u->uplink);
	char *ra = util_fmt("%s/%s/accept_ra", HOSTNET_IPV6_CONF, u->uplink);
	int rc = 0;
	if (*u->uplink && util_read_int(ra) == 1)
		rc = record_sysctl6(a, u->uplink, "accept_ra", 2, &u->accept_ra);
	vmm_error_clear();
	free(ra);
	return rc < 0 ? -1 : record_sysctl6(a, "all", "forwarding", 1, &u->forwarding6);
}

/* The firewall: the rules with every guest's forwards, loaded when any is missing. A repair (an
 * opening another tool dropped, a rule deleted by hand) of rules an earlier net up made is not
 * recorded: a failure changes nothing (one transaction), so nothing is to be undone. */
static void record_firewall(struct admin *a, struct up_work *u)
{
	struct fw_status fs;
	char arg[64];
	hostnet_fw_config(u->n, &u->fc);
	forward_list(u->guests, u->n_guests, true, &u->fwd, &u->fc.n_forwards);
	u->fc.forwards = u->fwd;
	memset(&fs, 0, sizeof(fs));
	u->fw_apply = !(fw_status_rules(&u->fc, &fs) == 0 && fw_all_present(&u->fc, &fs));
	bool some = fs.chains_present;
	for (int i = 0; i < FW_NRULES; i++)
		some |= fs.present[i];
	vmm_error_clear();
	if (u->fw_apply && !some) {
		fw_arg(&u->fc, arg, sizeof(arg));
		record_add(a, J_FIREWALL, u->n->bridge, arg);
	}
}

/* What net up will change, recorded (one journal write when anything is). */
static int record_up(struct admin *a, struct up_work *u)
{
	const struct vmm_netcfg *n = u->n;
	char ip[16];
	if (hostnet_probe(a->sk, n, &u->pb) < 0 || preflight(n, &u->pb, u->guests, u->n_guests) < 0)
		return -1;
	util_format_ipv4(n->addr, ip);
	snprintf(u->cidr, sizeof(u->cidr), "%s/%u", ip, n->prefix);
	if (!u->pb.bridge_exists)
		record_add(a, J_BRIDGE, n->bridge, NULL);
	if (!u->pb.addr_on_bridge)
		record_add(a, J_ADDRESS, n->bridge, u->cidr);
	if (u->pb.bridge_exists && !u->pb.up)
		record_add(a, J_UP, n->bridge, NULL);
	for (size_t i = 0; i < u->n_guests; i++)
		if (u->guests[i].tap[0] && !tap_exists(u->guests[i].tap))
			record_add(a, J_TAP, u->guests[i].tap, NULL);
	int fwd = util_read_int(HOSTNET_IP_FORWARD);
	if (fwd < 0)
		return vmm_fail("%s: %s", HOSTNET_IP_FORWARD, strerror(errno ? errno : EIO));
	u->forwarding = fwd != 1;
	if (u->forwarding)
		record_add(a, J_FORWARDING, NULL, NULL);
	record_firewall(a, u);
	if (record_ipv6(a, u) < 0)
		return -1;
	if (n->dhcp)
		record_add(a, J_DNSMASQ, n->bridge, NULL);
	return *a->j.op ? journal_sync(&a->j) : 0;
}

static int up_links(struct admin *a, const struct up_work *u)
{
	const struct vmm_netcfg *n = u->n;
	if (!u->pb.bridge_exists &&
	    link_bridge_create(a->sk, n->bridge, link_group_of(n->bridge)) < 0)
		return -1;
	if (journal_test_fail("bridge") < 0)
		return -1;
	if (!u->pb.addr_on_bridge && link_addr_change(a->sk, n->bridge, u->cidr, true) < 0)
		return -1;
	if (journal_test_fail("address") < 0)
		return -1;
	if (u->pb.bridge_exists && !u->pb.up && link_set_up(a->sk, n->bridge, true) < 0)
		return -1;
	return journal_test_fail("up");
}

/* The guests' taps (the new ones recorded by the plan). */
static int up_taps(struct admin *a, const struct up_work *u)
{
	for (size_t i = 0; i < u->n_guests; i++) {
		const struct vmm_profile *g = &u->guests[i];
		if (!g->tap[0])
			continue;
		if (tap_ensure_sk(a->sk, g->tap, u->n->bridge, geteuid(),
				  link_group_of(u->n->bridge), NULL) < 0)
			return vmm_error_prefix("%s", g->name);
		if (journal_test_fail("tap") < 0)
			return -1;
	}
	return 0;
}

/* Write an IPv6 sysctl the plan found to change. */
static int sysctl6_write(const char *iface, const char *key, int want)
{
	char *path = util_fmt("%s/%s/%s", HOSTNET_IPV6_CONF, iface, key), val[16];
	snprintf(val, sizeof(val), "%d", want);
	int rc = util_write_str(path, val);
	free(path);
	return rc;
}

static int up_ipv6(struct admin *a, const struct up_work *u)
{
	if (!u->n->has_ipv6)
		return 0;
	if (link_addr_change(a->sk, u->n->bridge, u->cidr6, true) < 0 ||
	    (u->accept_ra >= 0 && sysctl6_write(u->uplink, "accept_ra", 2) < 0) ||
	    (u->forwarding6 >= 0 && sysctl6_write("all", "forwarding", 1) < 0))
		return -1;
	return journal_test_fail("ipv6");
}

void hostnet_dnsmasq_conf(const struct vmm_home *h, const struct vmm_netcfg *n,
			  struct dnsmasq_conf *c)
{
	dnsmasq_conf_init(c, n, h, hostnet_dnsmasq_pub());
	if (dns_servers(n, &c->upstream, &c->n_upstream) < 0) {
		vmm_error_clear(); /* no upstream: the guests' own names still resolve */
		c->upstream = NULL;
		c->n_upstream = 0;
	}
	c->user = geteuid() == 0 ? HOSTNET_DNSMASQ_USER : NULL;
}

void hostnet_dnsmasq_conf_free(struct dnsmasq_conf *c)
{
	dns_free(c->upstream, c->n_upstream);
	dnsmasq_conf_free(c);
}

/* dnsmasq on the bridge (dhcp = true): started, or told the profiles again; restarted when it
 * died. dhcp = false: one left running from before is stopped. */
static int up_services(struct admin *a, const struct vmm_netcfg *n,
		       const struct vmm_profile *guests, size_t n_guests)
{
	struct dnsmasq_conf c;
	bool started = false;
	int rc = 0;
	hostnet_dnsmasq_conf(a->h, n, &c);
	if (!n->dhcp) {
		rc = dnsmasq_running(&c) > 0 ? dnsmasq_stop(&c) : 0;
	} else if (dnsmasq_ensure(&c, guests, n_guests, &started) < 0) {
		rc = -1;
	} else if (started) {
		vmm_notice("net: dnsmasq on %s (pid %d): DHCP, names .%s%s", n->bridge,
			   (int)dnsmasq_running(&c), c.domain, c.has_ipv6 ? ", router adverts" : "");
	}
	hostnet_dnsmasq_conf_free(&c);
	return rc < 0 ? -1 : journal_test_fail("dnsmasq");
}

static int do_up(struct admin *a, struct up_work *u)
{
	if (record_up(a, u) < 0 || up_links(a, u) < 0 || up_taps(a, u) < 0)
		return -1;
	if (u->forwarding && util_write_str(HOSTNET_IP_FORWARD, "1") < 0)
		return -1;
	if (journal_test_fail("forwarding") < 0 || (u->fw_apply && fw_apply(&u->fc) < 0))
		return -1;
	if (journal_test_fail("firewall") < 0 || up_ipv6(a, u) < 0)
		return -1;
	return up_services(a, u->n, u->guests, u->n_guests);
}

int hostnet_up(const struct vmm_home *h, const struct vmm_netcfg *n,
	       const struct vmm_profile *guests, size_t n_guests)
{
	struct admin a;
	struct up_work u = { .n = n, .guests = guests, .n_guests = n_guests };
	int rc = -1;
	if (admin_begin(h, "net up", &a) == 0)
		rc = conclude(&a, do_up(&a, &u));
	admin_end(&a);
	free(u.fwd);
	return rc;
}

/* ---- port forwards while the network is up ---- */

/* Did vmm bring the network up in this home (a journal with records)? 1, 0 or -1. */
static int net_recorded(const struct vmm_home *h)
{
	struct journal j;
	if (journal_load(h, &j) < 0)
		return -1;
	int up = j.n > 0;
	journal_free(&j);
	return up;
}

int hostnet_forwards_check(const struct vmm_home *h)
{
	int up = net_recorded(h);
	if (up < 0)
		return -1;
	if (up && !hostnet_can_admin())
		return vmm_fail("forwards: the network is up: changing them needs root (CAP_NET_ADMIN)");
	return 0;
}

int hostnet_forwards_update(const struct vmm_home *h, const struct vmm_netcfg *n,
			    const struct vmm_profile *guests, size_t n_guests)
{
	struct admin a;
	struct fw_config fc;
	struct fw_forward *fwd = NULL;
	int rc = hostnet_forwards_check(h), up = net_recorded(h);
	if (rc < 0 || up <= 0)
		return up < 0 ? -1 : rc; /* not up: net up installs them later */
	rc = -1;
	if (admin_begin(h, "forwards", &a) < 0)
		goto out;
	hostnet_fw_config(n, &fc);
	forward_list(guests, n_guests, false, &fwd, &fc.n_forwards);
	fc.forwards = fwd;
	/* the test build can make this update fail (VMM_TEST_NET_FAIL_AFTER=forwards) */
	rc = journal_test_fail("forwards") < 0 ? -1 : fw_apply(&fc);
out:
	admin_end(&a);
	free(fwd);
	return rc;
}

bool hostnet_services_alive(const struct vmm_home *h, const struct vmm_netcfg *n)
{
	struct dnsmasq_conf c;
	if (!n->dhcp)
		return true;
	dnsmasq_conf_init(&c, n, h, hostnet_dnsmasq_pub());
	bool alive = dnsmasq_running(&c) > 0;
	dnsmasq_conf_free(&c);
	return alive;
}

int hostnet_services_update(const struct vmm_home *h, const struct vmm_netcfg *n,
			    const struct vmm_profile *guests, size_t n_guests)
{
	struct dnsmasq_conf c;
	if (!n->dhcp)
		return 0;
	dnsmasq_conf_init(&c, n, h, hostnet_dnsmasq_pub());
	int rc = dnsmasq_reload(&c, guests, n_guests);
	dnsmasq_conf_free(&c);
	return rc;
}

/* ---- net down ---- */

/* Add to the journal what else is vmm's: its firewall rules when no record says so (journal
 * lost), the existing taps of defined guests. Guests running are listed in running. */
static void down_collect(struct journal *j, const struct vmm_home *h, const struct vmm_netcfg *n,
			 const struct vmm_profile *guests, size_t n_guests, char *running,
			 size_t len)
{
	bool fw_recorded = false;
	for (size_t i = 0; i < j->n; i++)
		fw_recorded |= j->v[i].kind == J_FIREWALL;
	if (!fw_recorded) {
		struct fw_config fc;
		struct fw_status fs;
		memset(&fs, 0, sizeof(fs));
		hostnet_fw_config(n, &fc);
		if (fw_status_rules(&fc, &fs) == 0) {
			bool any = fs.chains_present;
			for (int i = 0; i < FW_NRULES; i++)
				any |= fs.present[i];
			if (any) {
				char arg[64];
				fw_arg(&fc, arg, sizeof(arg));
				journal_add(j, J_FIREWALL, n->bridge, arg);
			}
		}
	}
	struct dnsmasq_conf dc;
	dnsmasq_conf_init(&dc, n, h, hostnet_dnsmasq_pub());
	if (dnsmasq_running(&dc) > 0)
		journal_add(j, J_DNSMASQ, n->bridge, NULL);
	dnsmasq_conf_free(&dc);
	for (size_t i = 0; i < n_guests; i++) {
		if (store_state(h, guests[i].name, NULL) == VMM_RUNNING) {
			size_t l = strlen(running);
			snprintf(running + l, len - l, "%s%s", l ? ", " : "", guests[i].name);
		}
		if (guests[i].tap[0] && tap_exists(guests[i].tap))
			journal_add(j, J_TAP, guests[i].tap, NULL);
	}
	/* a tap held open by a running guest stays: it goes away with the guest */
	for (size_t i = j->n; i-- > 0;)
		if (j->v[i].kind == J_TAP && tap_in_use(j->v[i].name) == 1)
			journal_drop(j, i);
	vmm_error_clear();
}

int hostnet_down_ex(const struct vmm_home *h, const struct vmm_netcfg *n,
		    const struct vmm_profile *guests, size_t n_guests, bool force, bool *nothing)
{
	struct admin a;
	char running[256] = "";
	int rc = -1;

	if (nothing)
		*nothing = false;
	if (admin_begin(h, "net down", &a) < 0)
		goto out;
	struct journal *j = &a.j;
	size_t recorded = j->n;
	down_collect(j, h, n, guests, n_guests, running, sizeof(running));
	if (j->n == 0) {
		if (nothing)
			*nothing = true;
		rc = journal_sync(j);
		goto out;
	}
	if (*running && !force) {
		rc = vmm_fail("net down: guests running: %s (stop them first, or --force)", running);
		if (j->n < recorded) /* taps of running guests left the journal: theirs now */
			journal_sync(j);
		goto out;
	}
	journal_begin(j, "down");
	j->open_at = 0; /* the whole journal is being undone */
	if (journal_sync(j) < 0)
		goto out;
	rc = undo_from(a.sk, j, 0);
	struct vmm_saved_error e;
	vmm_error_save(&e);
	if (journal_end(j) < 0)
		rc = -1;
	else if (rc < 0)
		vmm_error_restore(&e);
out:
	admin_end(&a);
	return rc;
}

/* ---- a guest's tap ---- */

static int tap_attach(struct admin *a, const struct vmm_netcfg *n, const struct vmm_profile *p,
		      uid_t owner, bool *created)
{
	if (!tap_exists(p->tap)) {
		if (intend(&a->j, "start", J_TAP, p->tap, NULL) < 0)
			return -1;
		*created = true;
	}
	if (tap_ensure_sk(a->sk, p->tap, n->bridge, owner, link_group_of(n->bridge), NULL) < 0)
		return vmm_error_prefix("%s", p->name);
	return 0;
}

int hostnet_tap_attach(const struct vmm_home *h, const struct vmm_netcfg *n,
		       const struct vmm_profile *p, uid_t owner, bool *created)
{
	struct admin a;
	int rc = -1;
	*created = false;
	if (admin_begin(h, "start", &a) == 0) {
		int r = tap_attach(&a, n, p, owner, created);
		if (r < 0)
			*created = false; /* rolled back */
		rc = conclude(&a, r);
	}
	admin_end(&a);
	return rc;
}

int hostnet_tap_release(const struct vmm_home *h, const char *tap)
{
	struct admin a;
	int rc = -1;
	if (admin_begin(h, "stop", &a) < 0)
		goto out;
	if (tap_exists(tap) && tap_remove(tap) < 0)
		goto out;
	for (size_t i = a.j.n; i-- > 0;)
		if (a.j.v[i].kind == J_TAP && !strcmp(a.j.v[i].name, tap))
			journal_drop(&a.j, i);
	rc = journal_sync(&a.j);
out:
	admin_end(&a);
	return rc;
}

/* ---- is up / plan ---- */

int hostnet_is_up(const struct vmm_netcfg *n)
{
	struct nl_sock *sk = link_nl_open(NULL);
	struct hostnet_probe pb;
	struct fw_config fc;
	struct fw_status fs;
	int rc = -1;
	if (!sk)
		return -1;
	if (hostnet_probe(sk, n, &pb) < 0)
		goto out;
	rc = 0;
	if (!pb.is_bridge || !pb.addr_on_bridge || !pb.up)
		goto out;
	hostnet_fw_config(n, &fc);
	memset(&fs, 0, sizeof(fs));
	if (fw_status_rules(&fc, &fs) < 0) {
		rc = -1;
		goto out;
	}
	/* the guests' forwards are not known here: base rules only (the forwards' rules, which
	 * nftables would count as stale for a config without them, do not make it "down") */
	fs.forwards_stale = false;
	fs.n_stale = 0;
	rc = fw_all_present(&fc, &fs);
out:
	nl_socket_free(sk);
	return rc;
}

/* "set /proc/sys/net/ipv6/conf/all/forwarding = 0" from "forwarding 0". */
static void plan_sysctl6(FILE *t, const struct journal_rec *x)
{
	char key[24] = "", old[16] = "";
	if (sscanf(x->arg, "%23s %15s", key, old) == 2)
		fprintf(t, "set %s/%s/%s = %s\n", HOSTNET_IPV6_CONF, x->name, key, old);
}

static void plan_down(FILE *t, const struct vmm_home *h, const struct journal *j,
		      const struct vmm_profile *guests, size_t n_guests)
{
	for (size_t i = j->n; i-- > 0;) {
		const struct journal_rec *x = &j->v[i];
		switch (x->kind) {
		case J_FIREWALL: fprintf(t, "remove firewall rules for %s (%s)\n", x->name, x->arg); break;
		case J_FORWARDING: fprintf(t, "set %s = 0\n", HOSTNET_IP_FORWARD); break;
		case J_TAP: fprintf(t, "delete tap %s unless in use\n", x->name); break;
		case J_UP: fprintf(t, "set %s down\n", x->name); break;
		case J_ADDRESS:
			if (!bridge_goes(j, 0, j->n, x->name))
				fprintf(t, "delete address %s from %s\n", x->arg, x->name);
			break;
		case J_BRIDGE: fprintf(t, "delete bridge %s\n", x->name); break;
		case J_SYSCTL6: plan_sysctl6(t, x); break;
		case J_DNSMASQ: fprintf(t, "stop dnsmasq on %s\n", x->name); break;
		}
	}
	for (size_t i = 0; i < n_guests; i++) {
		bool recorded = false;
		for (size_t k = 0; k < j->n; k++)
			recorded |= j->v[k].kind == J_TAP && !strcmp(j->v[k].name, guests[i].tap);
		if (guests[i].tap[0] && !recorded && tap_exists(guests[i].tap))
			fprintf(t, "delete tap %s (guest %s) unless in use\n", guests[i].tap,
				guests[i].name);
	}
	if (!j->n)
		fprintf(t, "no record of net up in %s/%s\n", h->run, JOURNAL_FILE);
}

/* IPv6 and dnsmasq as net up would do them (after the firewall). */
static void plan_services(FILE *t, const struct vmm_netcfg *n)
{
	char ip[IPV6_TEXT_MAX];
	if (n->has_ipv6) {
		ipv6_host(n->ipv6_prefix, 1, ip);
		fprintf(t, "add address %s/64 to %s\n", ip, n->bridge);
		fprintf(t, "set %s/all/forwarding = 1 (accept_ra = 2 on an uplink that has 1)\n",
			HOSTNET_IPV6_CONF);
	}
	if (n->dhcp)
		fprintf(t, "dnsmasq on %s: DHCP for the profiles' MACs%s, names .%s%s\n", n->bridge,
			n->pool_lo ? " and the pool" : "", netcfg_domain(n),
			n->has_ipv6 ? ", router advertisements" : "");
}

static int plan_up(FILE *t, const struct vmm_netcfg *n, const struct hostnet_probe *pb,
		   const struct vmm_profile *guests, size_t n_guests)
{
	struct fw_config fc;
	struct fw_status fs;
	struct fw_forward *fwd = NULL;
	char a[16];
	if (preflight(n, pb, guests, n_guests) < 0)
		return -1;
	util_format_ipv4(n->addr, a);
	fprintf(t, pb->bridge_exists ? "bridge %s exists\n" : "create bridge %s (up)\n", n->bridge);
	if (!pb->addr_on_bridge)
		fprintf(t, "add address %s/%u to %s\n", a, n->prefix, n->bridge);
	if (pb->bridge_exists && !pb->up)
		fprintf(t, "set %s up\n", n->bridge);
	for (size_t i = 0; i < n_guests; i++)
		if (guests[i].tap[0])
			fprintf(t, "%s tap %s for %s (owner uid %u), enslave to %s, set up\n",
				tap_exists(guests[i].tap) ? "keep" : "create", guests[i].tap,
				guests[i].name, (unsigned)geteuid(), n->bridge);
	if (util_read_int(HOSTNET_IP_FORWARD) != 1)
		fprintf(t, "set %s = 1\n", HOSTNET_IP_FORWARD);
	plan_services(t, n);
	hostnet_fw_config(n, &fc);
	forward_list(guests, n_guests, true, &fwd, &fc.n_forwards);
	fc.forwards = fwd;
	memset(&fs, 0, sizeof(fs));
	bool fw_ok = fw_status_rules(&fc, &fs) == 0;
	vmm_error_clear();
	if (fw_ok && fw_all_present(&fc, &fs)) {
		fprintf(t, "firewall rules present\n");
		free(fwd);
		return 0;
	}
	char *fwtext = NULL;
	int prc = fw_plan(&fc, &fwtext);
	free(fwd);
	if (prc < 0)
		return -1;
	fprintf(t, "firewall:\n%s", fwtext ? fwtext : "");
	if (fwtext && *fwtext && fwtext[strlen(fwtext) - 1] != '\n')
		fputc('\n', t);
	free(fwtext);
	return 0;
}

int hostnet_plan(const struct vmm_home *h, const struct vmm_netcfg *n,
		 const struct vmm_profile *guests, size_t n_guests, bool down, char **text)
{
	struct nl_sock *sk = NULL;
	struct hostnet_probe pb;
	struct journal j = { 0 };
	size_t len = 0;
	int rc = -1;
	FILE *t = open_memstream(text, &len);
	if (!t)
		abort();
	if (!(sk = link_nl_open(NULL)) || hostnet_probe(sk, n, &pb) < 0)
		goto out;
	if (down)
		rc = journal_load(h, &j) < 0 ? -1 : (plan_down(t, h, &j, guests, n_guests), 0);
	else
		rc = plan_up(t, n, &pb, guests, n_guests);
out:
	fclose(t);
	if (rc < 0) {
		free(*text);
		*text = NULL;
	}
	if (sk)
		nl_socket_free(sk);
	journal_free(&j);
	return rc;
}
