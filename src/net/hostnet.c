// SPDX-License-Identifier: MIT
/* hostnet.c: `vmm net up|down|status` in-process: libnl-route-3, /dev/net/tun, /proc/sys, libiptc */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/route.h>

#include "vmm/net/dns.h"
#include "vmm/net/forward.h"
#include "vmm/error.h"
#include "vmm/net/hostnet.h"
#include "vmm/net/tap.h"
#include "vmm/util.h"

#define IP_FORWARD "/proc/sys/net/ipv4/ip_forward"
#define BR_NF_CALL "/proc/sys/net/bridge/bridge-nf-call-iptables"

/* ---- the record of changes: each line of run/net.state is one {undo} of a {do} ---- */

enum rec_kind { R_BRIDGE, R_ADDRESS, R_UP, R_TAP, R_FORWARDING, R_FIREWALL };

static const char *const rec_words[] = {
	[R_BRIDGE] = "bridge", [R_ADDRESS] = "address", [R_UP] = "up",
	[R_TAP] = "tap", [R_FORWARDING] = "forwarding", [R_FIREWALL] = "firewall",
};

struct rec {
	enum rec_kind kind;
	char name[IFNAMSIZ];  /* interface (bridge, tap); bridge for the firewall */
	char arg[40];         /* address "a.b.c.d/N"; firewall "network/prefix nat|nonat" */
};

struct recs {
	struct rec *v;
	size_t n;
};

static void recs_free(struct recs *r)
{
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

static bool rec_eq(const struct rec *a, const struct rec *b)
{
	return a->kind == b->kind && !strcmp(a->name, b->name) && !strcmp(a->arg, b->arg);
}

static void recs_add(struct recs *r, enum rec_kind kind, const char *name, const char *arg)
{
	struct rec x;
	memset(&x, 0, sizeof(x));
	x.kind = kind;
	snprintf(x.name, sizeof(x.name), "%s", name ? name : "");
	snprintf(x.arg, sizeof(x.arg), "%s", arg ? arg : "");
	for (size_t i = 0; i < r->n; i++)
		if (rec_eq(&r->v[i], &x))
			return;
	struct rec *grown = realloc(r->v, (r->n + 1) * sizeof(*grown));
	if (!grown)
		abort(); /* like util_fmt: out of memory is not recoverable here */
	r->v = grown;
	r->v[r->n++] = x;
}

static char *state_path(const struct vmm_home *h)
{
	return util_fmt("%s/%s", h->run, HOSTNET_STATE_FILE);
}

static int state_load(const struct vmm_home *h, struct recs *r)
{
	char *path = state_path(h);
	char *text = NULL;
	int rc = 0, line = 0;

	r->v = NULL;
	r->n = 0;
	if (!util_exists(path))
		goto out;
	if (!(text = util_read_file(path, NULL))) {
		rc = -1;
		goto out;
	}
	char *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char w[16] = "", name[IFNAMSIZ] = "", arg[40] = "", arg2[8] = "";
		line++;
		if (*l == '#' || !*l)
			continue;
		int got = sscanf(l, "%15s %15s %39s %7s", w, name, arg, arg2);
		size_t k;
		for (k = 0; k < sizeof(rec_words) / sizeof(rec_words[0]); k++)
			if (!strcmp(w, rec_words[k]))
				break;
		if (got < 1 || k == sizeof(rec_words) / sizeof(rec_words[0])) {
			rc = vmm_fail("%s:%d: not understood", path, line);
			goto out;
		}
		if (k == R_FIREWALL && got == 4) {
			size_t len = strlen(arg);
			snprintf(arg + len, sizeof(arg) - len, " %s", arg2);
		}
		recs_add(r, (enum rec_kind)k, name, arg);
	}
out:
	if (rc < 0)
		recs_free(r);
	free(text);
	free(path);
	return rc;
}

static int state_save(const struct vmm_home *h, const struct recs *r)
{
	char *path = state_path(h);
	int rc;
	if (r->n == 0) {
		rc = (unlink(path) < 0 && errno != ENOENT)
			     ? vmm_fail("%s: %s", path, strerror(errno)) : 0;
		free(path);
		return rc;
	}
	size_t cap = r->n * 96 + 64, len = 0;
	char *buf = malloc(cap);
	if (!buf)
		abort();
	len += (size_t)snprintf(buf, cap, "# what `vmm net up` changed; `vmm net down` undoes it\n");
	for (size_t i = 0; i < r->n; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%s%s%s%s\n",
					rec_words[r->v[i].kind], *r->v[i].name ? " " : "",
					r->v[i].name, *r->v[i].arg ? " " : "", r->v[i].arg);
	rc = util_write_file(path, buf, len, 0644);
	free(buf);
	free(path);
	return rc;
}

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
}

static void fw_arg(const struct fw_config *fc, char *buf, size_t len)
{
	char net[16];
	util_format_ipv4(fc->network, net);
	snprintf(buf, len, "%s/%u %s", net, fc->prefix, fc->nat ? "nat" : "nonat");
}

/* Parse a firewall record back into a config (bridge points into r). */
static int fw_from_rec(const struct rec *r, struct fw_config *fc)
{
	char net[20] = "", mode[8] = "";
	uint32_t a;
	unsigned p;
	memset(fc, 0, sizeof(*fc));
	if (sscanf(r->arg, "%19s %7s", net, mode) != 2 ||
	    util_parse_cidr("net.state firewall", net, &a, &p) < 0)
		return vmm_fail("net.state: firewall record \"%s\" not understood", r->arg);
	fc->bridge = r->name;
	fc->network = a;
	fc->prefix = p;
	fc->nat = !strcmp(mode, "nat");
	return 0;
}

static int read_int_file(const char *path)
{
	char buf[32];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -1;
	buf[len] = '\0';
	return atoi(buf);
}

static int write_sysctl(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return vmm_fail("%s: %s", path, strerror(errno));
	ssize_t len = write(fd, val, strlen(val));
	int e = errno;
	close(fd);
	if (len != (ssize_t)strlen(val))
		return vmm_fail("%s: %s", path, strerror(len < 0 ? e : EIO));
	return 0;
}

static uint32_t nl_ipv4(struct nl_addr *a)
{
	uint32_t be = 0;
	if (a && nl_addr_get_family(a) == AF_INET && nl_addr_get_len(a) == 4)
		memcpy(&be, nl_addr_get_binary_addr(a), 4);
	return ntohl(be);
}

/*
 * The links net up creates (bridge, taps) join a link group of their own, derived from the
 * bridge name, so that taking them down is one RTM_DELLINK for the group: the kernel then
 * unregisters them in one batch and waits for RCU once instead of once per link (tens of ms
 * each).
 */
static uint32_t link_group(const char *bridge)
{
	uint32_t hash = 2166136261u;
	for (const char *c = bridge; *c; c++)
		hash = (hash ^ (uint8_t)*c) * 16777619u;
	return 0x766d0000u | (hash & 0xffffu); /* "vm" + 16 bits */
}

/* ---- what is there now ---- */

struct probe {
	bool bridge_exists, is_bridge, up;
	char kind[32];
	int ifindex;
	bool addr_on_bridge;
	char addr_elsewhere[IFNAMSIZ]; /* the bridge address on another interface */
	char overlap[160];             /* "dummy0 (192.168.166.7/24)" */
};

static int probe(struct nl_sock *sk, const struct vmm_netcfg *n, struct probe *pb)
{
	struct rtnl_link *link = NULL;
	struct nl_cache *addrs = NULL;
	int err, rc = -1;

	memset(pb, 0, sizeof(*pb));
	if (tap_get_link(sk, n->bridge, &link) < 0)
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
		uint32_t ip = nl_ipv4(local);
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
static int preflight(const struct vmm_netcfg *n, const struct probe *pb,
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
	for (int i = 0; i < FW_NRULES; i++) {
		if (!fc->nat && (i == FW_MASQ || i == FW_JUMP_POSTROUTING))
			continue;
		if (!fs->present[i])
			return 0;
	}
	return fs->chains_present && !fs->forwards_stale ? 1 : 0;
}

/* A test hook: VMM_TEST_NET_FAIL_AFTER=<step> makes `net up` fail right after that step
 * ("bridge", "address", "up", "tap", "forwarding", "firewall"), to prove the rollback. */
static int injected(const char *step)
{
	const char *v = getenv("VMM_TEST_NET_FAIL_AFTER");
	if (v && !strcmp(v, step))
		return vmm_fail("net up: injected failure after the %s step", step);
	return 0;
}

/* ---- undo ---- */

static int link_set_up(struct nl_sock *sk, const char *name, bool up)
{
	struct rtnl_link *link = NULL, *chg = NULL;
	int err, rc = -1;
	if (tap_get_link(sk, name, &link) < 0)
		return -1;
	if (!link)
		return 0;
	if (!(chg = rtnl_link_alloc()))
		goto out;
	if (up)
		rtnl_link_set_flags(chg, IFF_UP);
	else
		rtnl_link_unset_flags(chg, IFF_UP);
	if ((err = rtnl_link_change(sk, link, chg, 0)) < 0) {
		vmm_fail("interface %s: set %s: %s", name, up ? "up" : "down", nl_geterror(err));
		goto out;
	}
	rc = 0;
out:
	if (chg)
		rtnl_link_put(chg);
	rtnl_link_put(link);
	return rc;
}

static int addr_change(struct nl_sock *sk, const char *dev, const char *cidr, bool add)
{
	struct rtnl_addr *a = NULL;
	struct nl_addr *local = NULL, *bcast = NULL;
	uint32_t ip;
	unsigned plen;
	int err, rc = -1;
	int idx = (int)if_nametoindex(dev);

	if (idx == 0)
		return add ? vmm_fail("interface %s: %s", dev, strerror(errno)) : 0;
	if (util_parse_cidr("address", cidr, &ip, &plen) < 0)
		return -1;
	uint32_t be = htonl(ip), bbe = htonl(ip | ~util_prefix_mask(plen));
	if (!(a = rtnl_addr_alloc()) || !(local = nl_addr_build(AF_INET, &be, 4)) ||
	    !(bcast = nl_addr_build(AF_INET, &bbe, 4))) {
		vmm_fail("address %s: out of memory", cidr);
		goto out;
	}
	nl_addr_set_prefixlen(local, (int)plen);
	rtnl_addr_set_ifindex(a, idx);
	rtnl_addr_set_family(a, AF_INET);
	rtnl_addr_set_local(a, local);
	rtnl_addr_set_prefixlen(a, (int)plen);
	if (plen < 31)
		rtnl_addr_set_broadcast(a, bcast);
	err = add ? rtnl_addr_add(sk, a, 0) : rtnl_addr_delete(sk, a, 0);
	if (err == -NLE_EXIST && add)
		err = 0;
	if (!add && (err == -NLE_NOADDR || err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV))
		err = 0;
	if (err < 0) {
		vmm_fail("bridge %s: %s address %s: %s", dev, add ? "add" : "delete", cidr,
			 nl_geterror(err));
		goto out;
	}
	rc = 0;
out:
	if (local)
		nl_addr_put(local);
	if (bcast)
		nl_addr_put(bcast);
	if (a)
		rtnl_addr_put(a);
	return rc;
}

static int bridge_delete(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *link = NULL;
	int err;
	if (tap_get_link(sk, name, &link) < 0)
		return -1;
	if (!link)
		return 0;
	const char *kind = rtnl_link_get_type(link);
	if (!kind || strcmp(kind, "bridge") != 0) {
		rtnl_link_put(link);
		return vmm_fail("bridge %s: no longer a bridge, left alone", name);
	}
	err = rtnl_link_delete(sk, link);
	rtnl_link_put(link);
	if (err < 0 && err != -NLE_OBJ_NOTFOUND && err != -NLE_NODEV)
		return vmm_fail("bridge %s: delete: %s", name, nl_geterror(err));
	return 0;
}

static int undo_one(struct nl_sock *sk, const struct rec *r)
{
	struct fw_config fc;
	switch (r->kind) {
	case R_FIREWALL:
		if (fw_from_rec(r, &fc) < 0)
			return -1;
		return fw_remove(&fc);
	case R_FORWARDING:
		return write_sysctl(IP_FORWARD, "0");
	case R_TAP:
		return tap_remove(r->name);
	case R_UP:
		return link_set_up(sk, r->name, false);
	case R_ADDRESS:
		return addr_change(sk, r->name, r->arg, false);
	case R_BRIDGE:
		return bridge_delete(sk, r->name);
	}
	return 0;
}

/* Is the interface deleted by an earlier record (so its address/up undo is moot)? */
static bool bridge_goes(const struct recs *r, size_t upto, const char *name)
{
	for (size_t i = 0; i < upto; i++)
		if (r->v[i].kind == R_BRIDGE && !strcmp(r->v[i].name, name))
			return true;
	return false;
}

static bool rec_is_link(const struct rec *x)
{
	return x->kind == R_TAP || x->kind == R_BRIDGE;
}

/*
 * Delete, in one batch, the recorded links (taps, bridges) that carry vmm's link group; links of
 * the group that are not to go (a tap a guest still holds) leave the group first. done[i] is
 * set for the records this took care of. Any failure just leaves the rest to one-by-one undo.
 */
static void delete_group(struct nl_sock *sk, const struct recs *r, bool *done)
{
	struct nl_cache *links = NULL;
	struct nl_msg *msg = NULL;
	uint32_t group = 0;
	size_t n_del = 0;

	for (size_t i = 0; i < r->n && !group; i++)
		if (r->v[i].kind == R_BRIDGE)
			group = link_group(r->v[i].name);
	if (!group || rtnl_link_alloc_cache(sk, AF_UNSPEC, &links) < 0)
		return;
	for (struct nl_object *o = nl_cache_get_first(links); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		if (rtnl_link_get_group(l) != group)
			continue;
		const char *name = rtnl_link_get_name(l);
		size_t i;
		for (i = 0; i < r->n; i++)
			if (rec_is_link(&r->v[i]) && !strcmp(r->v[i].name, name))
				break;
		if (i < r->n) {
			n_del++;
			continue;
		}
		struct rtnl_link *chg = rtnl_link_alloc();
		int err = -NLE_NOMEM;
		if (chg) {
			rtnl_link_set_group(chg, 0);
			err = rtnl_link_change(sk, l, chg, 0);
			rtnl_link_put(chg);
		}
		if (err < 0)
			goto out; /* cannot spare it: no batch */
	}
	if (n_del == 0)
		goto out;
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	if (!(msg = nlmsg_alloc_simple(RTM_DELLINK, 0)) ||
	    nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(msg, IFLA_GROUP, group) < 0)
		goto out;
	if (nl_send_auto_complete(sk, msg) < 0 || nl_wait_for_ack(sk) < 0)
		goto out;
	/* Whatever of the group existed is gone; records of links already missing count too. */
	for (size_t i = 0; i < r->n; i++)
		if (rec_is_link(&r->v[i]) && if_nametoindex(r->v[i].name) == 0)
			done[i] = true;
out:
	if (msg)
		nlmsg_free(msg);
	nl_cache_free(links);
}

/* Undo every record in reverse; the ones that fail stay in *left. Returns 0 or -1 (first error). */
static int undo_all(struct nl_sock *sk, const struct recs *r, struct recs *left)
{
	char first[512] = "";
	int rc = 0;
	bool *done = calloc(r->n + 1, sizeof(*done));
	if (!done)
		abort();
	/* Links go last in reverse order: everything else first, then the links in one batch. */
	for (size_t i = r->n; i-- > 0;) {
		const struct rec *x = &r->v[i];
		if (rec_is_link(x) || ((x->kind == R_ADDRESS || x->kind == R_UP) &&
				       bridge_goes(r, r->n, x->name)))
			continue;
		done[i] = true;
		if (undo_one(sk, x) < 0) {
			if (!*first)
				snprintf(first, sizeof(first), "%s", vmm_errmsg());
			rc = -1;
			if (left)
				recs_add(left, x->kind, x->name, x->arg);
		}
	}
	delete_group(sk, r, done);
	for (size_t i = r->n; i-- > 0;) {
		const struct rec *x = &r->v[i];
		if (done[i] || ((x->kind == R_ADDRESS || x->kind == R_UP) && bridge_goes(r, i, x->name)))
			continue;
		if (undo_one(sk, x) < 0) {
			if (!*first)
				snprintf(first, sizeof(first), "%s", vmm_errmsg());
			rc = -1;
			if (left)
				recs_add(left, x->kind, x->name, x->arg);
		}
	}
	free(done);
	if (rc < 0)
		vmm_fail("%s", first);
	return rc;
}

/* ---- net up ---- */

static int home_lock(const struct vmm_home *h)
{
	char *path = util_fmt("%s/net.lock", h->run);
	int fd = util_lock(path);
	free(path);
	return fd;
}

/* What net up and down start with: root, the lock, the state records and a netlink socket.
 * On -1, what was got is in *lock, *st and *sk for admin_end (and recs_free) to release. */
static int admin_begin(const struct vmm_home *h, const char *what, int *lock, struct recs *st,
		       struct nl_sock **sk)
{
	if (!hostnet_can_admin())
		return vmm_fail("%s: needs root (CAP_NET_ADMIN)", what);
	if ((*lock = home_lock(h)) < 0)
		return -1;
	if (state_load(h, st) < 0)
		return -1;
	if (!(*sk = tap_nl_open(NULL)))
		return -1;
	return 0;
}

static void admin_end(struct nl_sock *sk, int lock)
{
	if (sk)
		nl_socket_free(sk);
	if (lock >= 0)
		close(lock);
}

static int bridge_create(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *l = rtnl_link_bridge_alloc();
	int err;
	if (!l)
		return vmm_fail("bridge %s: out of memory", name);
	/* A fixed MAC (locally administered, derived from the name) so the bridge keeps it while
	 * taps come and go: otherwise it takes the lowest port MAC and guests' ARP caches go stale. */
	uint8_t mac[6] = { 0x02, 0x76, 0x6d, 0x6d, 0, 0 };
	uint32_t hash = 2166136261u;
	for (const char *c = name; *c; c++)
		hash = (hash ^ (uint8_t)*c) * 16777619u;
	mac[4] = (uint8_t)(hash >> 8);
	mac[5] = (uint8_t)hash;
	struct nl_addr *lladdr = nl_addr_build(AF_LLC, mac, sizeof(mac));
	if (!lladdr) {
		rtnl_link_put(l);
		return vmm_fail("bridge %s: out of memory", name);
	}
	rtnl_link_set_name(l, name);
	rtnl_link_set_addr(l, lladdr);
	rtnl_link_set_group(l, link_group(name));
	rtnl_link_set_flags(l, IFF_UP); /* created up: one message */
	err = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
	nl_addr_put(lladdr);
	rtnl_link_put(l);
	if (err < 0)
		return vmm_fail("bridge %s: create: %s", name, nl_geterror(err));
	return 0;
}

static int do_up(struct nl_sock *sk, const struct vmm_netcfg *n, const struct vmm_profile *guests,
		 size_t n_guests, struct recs *done)
{
	struct probe pb;
	struct fw_config fc;
	struct fw_status fs;
	struct fw_forward *fwds = NULL;
	char cidr[24], a[16];

	if (probe(sk, n, &pb) < 0 || preflight(n, &pb, guests, n_guests) < 0)
		return -1;
	util_format_ipv4(n->addr, a);
	snprintf(cidr, sizeof(cidr), "%s/%u", a, n->prefix);

	if (!pb.bridge_exists) {
		if (bridge_create(sk, n->bridge) < 0)
			return -1;
		recs_add(done, R_BRIDGE, n->bridge, NULL);
		pb.up = true;
	}
	if (injected("bridge") < 0)
		return -1;
	if (!pb.addr_on_bridge) {
		if (addr_change(sk, n->bridge, cidr, true) < 0)
			return -1;
		recs_add(done, R_ADDRESS, n->bridge, cidr);
	}
	if (injected("address") < 0)
		return -1;
	if (!pb.up) {
		if (link_set_up(sk, n->bridge, true) < 0)
			return -1;
		recs_add(done, R_UP, n->bridge, NULL);
	}
	if (injected("up") < 0)
		return -1;
	for (size_t i = 0; i < n_guests; i++) {
		bool created = false;
		if (!guests[i].tap[0])
			continue;
		if (tap_ensure_sk(sk, guests[i].tap, n->bridge, geteuid(), link_group(n->bridge),
				  &created) < 0) {
			char msg[512];
			snprintf(msg, sizeof(msg), "%s", vmm_errmsg());
			return vmm_fail("%s: %s", guests[i].name, msg);
		}
		if (created)
			recs_add(done, R_TAP, guests[i].tap, NULL);
		if (injected("tap") < 0)
			return -1;
	}
	int fwd = read_int_file(IP_FORWARD);
	if (fwd < 0)
		return vmm_fail("%s: %s", IP_FORWARD, strerror(errno ? errno : EIO));
	if (fwd != 1) {
		if (write_sysctl(IP_FORWARD, "1") < 0)
			return -1;
		recs_add(done, R_FORWARDING, NULL, NULL);
	}
	if (injected("forwarding") < 0)
		return -1;
	hostnet_fw_config(n, &fc);
	forward_list(guests, n_guests, &fwds, &fc.n_forwards);
	fc.forwards = fwds;
	memset(&fs, 0, sizeof(fs));
	if (fw_status_rules(&fc, &fs) < 0 || !fw_all_present(&fc, &fs)) {
		char arg[40];
		bool none = !fs.chains_present;
		for (int i = 0; i < FW_NRULES; i++)
			none &= !fs.present[i];
		if (fw_apply(&fc) < 0) {
			if (none) { /* nothing of vmm's was there: leave nothing half-applied */
				char msg[512];
				snprintf(msg, sizeof(msg), "%s", vmm_errmsg());
				fw_remove(&fc);
				vmm_fail("%s", msg);
			}
			free(fwds);
			return -1;
		}
		fw_arg(&fc, arg, sizeof(arg));
		recs_add(done, R_FIREWALL, n->bridge, arg);
	}
	free(fwds);
	if (injected("firewall") < 0)
		return -1;
	return 0;
}

int hostnet_up(const struct vmm_home *h, const struct vmm_netcfg *n,
	       const struct vmm_profile *guests, size_t n_guests)
{
	struct nl_sock *sk = NULL;
	struct recs old = { 0 }, done = { 0 };
	int lock = -1, rc = -1;

	if (admin_begin(h, "net up", &lock, &old, &sk) < 0)
		goto out;
	if (do_up(sk, n, guests, n_guests, &done) < 0)
		goto undo;
	for (size_t i = 0; i < done.n; i++)
		recs_add(&old, done.v[i].kind, done.v[i].name, done.v[i].arg);
	if (state_save(h, &old) < 0)
		goto undo;
	rc = 0;
	goto out;
undo: {
		char msg[1024];
		int code = vmm_errcode();
		snprintf(msg, sizeof(msg), "%s", vmm_errmsg());
		if (undo_all(sk, &done, NULL) < 0) {
			char also[512];
			snprintf(also, sizeof(also), "%s", vmm_errmsg());
			vmm_fail("%s (and undoing failed: %s)", msg, also);
		} else if (code == VMM_EINVAL) {
			vmm_invalid("%s", msg);
		} else {
			vmm_fail("%s", msg);
		}
	}
out:
	admin_end(sk, lock);
	recs_free(&old);
	recs_free(&done);
	return rc;
}

/* ---- port forwards while the network is up ---- */

int hostnet_forwards_update(const struct vmm_home *h, const struct vmm_netcfg *n,
			    const struct vmm_profile *guests, size_t n_guests)
{
	struct recs st = { 0 };
	struct fw_config fc;
	struct fw_forward *fwd = NULL;
	int lock = -1, rc = -1;

	if (state_load(h, &st) < 0)
		return -1;
	if (!st.n) { /* vmm did not bring the network up here: net up installs them later */
		rc = 0;
		goto out;
	}
	if (!hostnet_can_admin()) {
		vmm_fail("forwards: the network is up: changing them needs root (CAP_NET_ADMIN)");
		goto out;
	}
	if ((lock = home_lock(h)) < 0)
		goto out;
	hostnet_fw_config(n, &fc);
	forward_list(guests, n_guests, &fwd, &fc.n_forwards);
	fc.forwards = fwd;
	rc = fw_apply(&fc);
out:
	if (lock >= 0)
		close(lock);
	free(fwd);
	recs_free(&st);
	return rc;
}

int hostnet_forwards_check(const struct vmm_home *h)
{
	struct recs st = { 0 };
	if (state_load(h, &st) < 0)
		return -1;
	bool up = st.n > 0;
	recs_free(&st);
	if (up && !hostnet_can_admin())
		return vmm_fail("forwards: the network is up: changing them needs root (CAP_NET_ADMIN)");
	return 0;
}

/* ---- net down ---- */

int hostnet_down_ex(const struct vmm_home *h, const struct vmm_netcfg *n,
		    const struct vmm_profile *guests, size_t n_guests, bool force, bool *nothing)
{
	struct nl_sock *sk = NULL;
	struct recs st = { 0 }, todo = { 0 }, left = { 0 };
	int lock = -1, rc = -1;
	char running[256] = "";

	if (nothing)
		*nothing = false;
	if (admin_begin(h, "net down", &lock, &st, &sk) < 0)
		goto out;

	/* Records of net up, then what else is vmm's: its firewall rules when no record says
	 * so (state lost), the taps of defined guests that nobody holds open. */
	for (size_t i = 0; i < st.n; i++)
		recs_add(&todo, st.v[i].kind, st.v[i].name, st.v[i].arg);
	bool fw_recorded = false;
	for (size_t i = 0; i < st.n; i++)
		fw_recorded |= st.v[i].kind == R_FIREWALL;
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
				char arg[40];
				fw_arg(&fc, arg, sizeof(arg));
				recs_add(&todo, R_FIREWALL, n->bridge, arg);
			}
		}
		vmm_error_clear();
	}
	for (size_t i = 0; i < n_guests; i++) {
		if (store_state(h, guests[i].name, NULL) == VMM_RUNNING) {
			size_t len = strlen(running);
			snprintf(running + len, sizeof(running) - len, "%s%s", len ? ", " : "",
				 guests[i].name);
		}
	}
	/* Taps: the guests' (when they exist and are free) and the recorded ones; a tap held
	 * open by a running guest is left (it goes away with the guest). */
	struct recs taps = { 0 };
	for (size_t i = 0; i < n_guests; i++)
		if (guests[i].tap[0] && tap_exists(guests[i].tap))
			recs_add(&taps, R_TAP, guests[i].tap, NULL);
	struct recs keep = { 0 };
	for (size_t i = 0; i < todo.n; i++) {
		const struct rec *x = &todo.v[i];
		if (x->kind == R_TAP && tap_in_use(x->name) == 1)
			continue;
		recs_add(&keep, x->kind, x->name, x->arg);
	}
	for (size_t i = 0; i < taps.n; i++)
		if (tap_in_use(taps.v[i].name) == 0)
			recs_add(&keep, R_TAP, taps.v[i].name, NULL);
	vmm_error_clear();
	recs_free(&taps);
	recs_free(&todo);
	todo = keep;

	if (todo.n == 0) {
		if (nothing)
			*nothing = true;
		rc = state_save(h, &todo);
		goto out;
	}
	if (*running && !force) {
		rc = vmm_fail("net down: guests running: %s (stop them first, or --force)", running);
		goto out;
	}
	rc = undo_all(sk, &todo, &left);
	if (state_save(h, &left) < 0)
		rc = -1;
out:
	admin_end(sk, lock);
	recs_free(&st);
	recs_free(&todo);
	recs_free(&left);
	return rc;
}

int hostnet_down(const struct vmm_home *h, const struct vmm_netcfg *n,
		 const struct vmm_profile *guests, size_t n_guests, bool force)
{
	return hostnet_down_ex(h, n, guests, n_guests, force, NULL);
}

/* ---- is up / plan / status ---- */

int hostnet_is_up(const struct vmm_netcfg *n)
{
	struct nl_sock *sk = tap_nl_open(NULL);
	struct probe pb;
	struct fw_config fc;
	struct fw_status fs;
	int rc = -1;
	if (!sk)
		return -1;
	if (probe(sk, n, &pb) < 0)
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
	fs.forwards_stale = false; /* the guests' forwards are not known here: base rules only */
	rc = fw_all_present(&fc, &fs);
out:
	nl_socket_free(sk);
	return rc;
}

struct text {
	char *s;
	size_t len, cap;
};

static void tput(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tput(struct text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *line = NULL;
	if (vasprintf(&line, fmt, ap) < 0)
		abort();
	va_end(ap);
	size_t l = strlen(line);
	if (t->len + l + 1 > t->cap) {
		t->cap = (t->len + l + 1) * 2;
		if (!(t->s = realloc(t->s, t->cap)))
			abort();
	}
	memcpy(t->s + t->len, line, l + 1);
	t->len += l;
	free(line);
}

int hostnet_plan(const struct vmm_home *h, const struct vmm_netcfg *n,
		 const struct vmm_profile *guests, size_t n_guests, bool down, char **text)
{
	struct nl_sock *sk = NULL;
	struct probe pb;
	struct text t = { 0 };
	struct recs st = { 0 };
	struct fw_config fc;
	struct fw_status fs;
	struct fw_forward *fwd = NULL;
	char a[16];
	int rc = -1;

	*text = NULL;
	tput(&t, "%s", "");
	if (!(sk = tap_nl_open(NULL)) || probe(sk, n, &pb) < 0)
		goto out;
	hostnet_fw_config(n, &fc);
	forward_list(guests, n_guests, &fwd, &fc.n_forwards);
	fc.forwards = fwd;
	memset(&fs, 0, sizeof(fs));
	bool fw_ok = fw_status_rules(&fc, &fs) == 0;
	vmm_error_clear();
	util_format_ipv4(n->addr, a);
	if (down) {
		if (state_load(h, &st) < 0)
			goto out;
		for (size_t i = st.n; i-- > 0;) {
			const struct rec *x = &st.v[i];
			switch (x->kind) {
			case R_FIREWALL: tput(&t, "remove firewall rules for %s (%s)\n", x->name, x->arg); break;
			case R_FORWARDING: tput(&t, "set %s = 0\n", IP_FORWARD); break;
			case R_TAP: tput(&t, "delete tap %s unless in use\n", x->name); break;
			case R_UP: tput(&t, "set %s down\n", x->name); break;
			case R_ADDRESS:
				if (!bridge_goes(&st, st.n, x->name))
					tput(&t, "delete address %s from %s\n", x->arg, x->name);
				break;
			case R_BRIDGE: tput(&t, "delete bridge %s\n", x->name); break;
			}
		}
		for (size_t i = 0; i < n_guests; i++) {
			bool recorded = false;
			for (size_t j = 0; j < st.n; j++)
				recorded |= st.v[j].kind == R_TAP && !strcmp(st.v[j].name, guests[i].tap);
			if (guests[i].tap[0] && !recorded && tap_exists(guests[i].tap))
				tput(&t, "delete tap %s (guest %s) unless in use\n", guests[i].tap,
				     guests[i].name);
		}
		if (!st.n)
			tput(&t, "no record of net up in %s/%s\n", h->run, HOSTNET_STATE_FILE);
		rc = 0;
		goto out;
	}
	if (preflight(n, &pb, guests, n_guests) < 0)
		goto out;
	if (!pb.bridge_exists)
		tput(&t, "create bridge %s (up)\n", n->bridge);
	else
		tput(&t, "bridge %s exists\n", n->bridge);
	if (!pb.addr_on_bridge)
		tput(&t, "add address %s/%u to %s\n", a, n->prefix, n->bridge);
	if (pb.bridge_exists && !pb.up)
		tput(&t, "set %s up\n", n->bridge);
	for (size_t i = 0; i < n_guests; i++) {
		if (!guests[i].tap[0])
			continue;
		bool ex = tap_exists(guests[i].tap);
		tput(&t, "%s tap %s for %s (owner uid %u), enslave to %s, set up\n",
		     ex ? "keep" : "create", guests[i].tap, guests[i].name, (unsigned)geteuid(),
		     n->bridge);
	}
	if (read_int_file(IP_FORWARD) != 1)
		tput(&t, "set %s = 1\n", IP_FORWARD);
	if (fw_ok && fw_all_present(&fc, &fs)) {
		tput(&t, "firewall rules present\n");
	} else {
		char *fwtext = NULL;
		if (fw_plan(&fc, &fwtext) < 0)
			goto out;
		tput(&t, "firewall:\n%s", fwtext ? fwtext : "");
		if (fwtext && *fwtext && fwtext[strlen(fwtext) - 1] != '\n')
			tput(&t, "\n");
		free(fwtext);
	}
	rc = 0;
out:
	if (sk)
		nl_socket_free(sk);
	recs_free(&st);
	free(fwd);
	if (rc == 0)
		*text = t.s; /* caller owns the text */
	else
		free(t.s);
	return rc;
}

static void push_str(char ***v, size_t *n, char *s /* owned */)
{
	char **g = realloc(*v, (*n + 1) * sizeof(**v));
	if (!g)
		abort();
	*v = g;
	g[(*n)++] = s;
}

/* The interface of the default IPv4 route with the lowest metric, "" when none. */
static void default_uplink(struct nl_sock *sk, char *out)
{
	struct nl_cache *routes = NULL;
	uint32_t best = UINT32_MAX;
	out[0] = '\0';
	if (rtnl_route_alloc_cache(sk, AF_INET, 0, &routes) < 0)
		return;
	for (struct nl_object *o = nl_cache_get_first(routes); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		struct nl_addr *dst = rtnl_route_get_dst(r);
		if (rtnl_route_get_table(r) != RT_TABLE_MAIN || (dst && nl_addr_get_prefixlen(dst)))
			continue;
		if (rtnl_route_get_type(r) != RTN_UNICAST || rtnl_route_get_nnexthops(r) < 1)
			continue;
		struct rtnl_nexthop *nh = rtnl_route_nexthop_n(r, 0);
		int idx = nh ? rtnl_route_nh_get_ifindex(nh) : 0;
		uint32_t prio = rtnl_route_get_priority(r);
		char name[IFNAMSIZ];
		if (idx > 0 && prio < best && if_indextoname((unsigned)idx, name)) {
			best = prio;
			snprintf(out, IFNAMSIZ, "%s", name);
		}
	}
	nl_cache_free(routes);
}

int hostnet_status(const struct vmm_home *h, const struct vmm_netcfg *n,
		   const struct vmm_profile *guests, size_t n_guests, struct hostnet_status *st)
{
	struct nl_sock *sk = NULL;
	struct probe pb;
	struct fw_config fc;
	struct fw_forward *fwd = NULL;
	struct recs recs = { 0 };
	char a[16];
	int rc = -1;

	memset(st, 0, sizeof(*st));
	if (!(sk = tap_nl_open(NULL)) || probe(sk, n, &pb) < 0)
		goto out;
	util_format_ipv4(n->addr, a);
	st->bridge_exists = pb.bridge_exists;
	st->bridge_is_bridge = pb.is_bridge;
	snprintf(st->bridge_kind, sizeof(st->bridge_kind), "%s", pb.kind);
	st->bridge_up = pb.up;
	st->address_present = pb.addr_on_bridge;
	st->forwarding = read_int_file(IP_FORWARD);
	if (state_load(h, &recs) == 0) {
		st->state_recorded = recs.n > 0;
		for (size_t i = 0; i < recs.n; i++)
			st->forwarding_by_vmm |= recs.v[i].kind == R_FORWARDING;
	}
	vmm_error_clear();

	/* Taps of the guests, then recorded taps no guest names any more. */
	for (size_t i = 0; i < n_guests + recs.n; i++) {
		const char *tap = i < n_guests ? guests[i].tap : recs.v[i - n_guests].name;
		if (i >= n_guests && recs.v[i - n_guests].kind != R_TAP)
			continue;
		if (!tap[0])
			continue;
		bool dup = false;
		for (size_t j = 0; j < st->n_taps; j++)
			dup |= !strcmp(st->taps[j].name, tap);
		if (dup)
			continue;
		struct hostnet_tap *g = realloc(st->taps, (st->n_taps + 1) * sizeof(*g));
		if (!g)
			abort();
		st->taps = g;
		struct hostnet_tap *t = &g[st->n_taps++];
		memset(t, 0, sizeof(*t));
		snprintf(t->name, sizeof(t->name), "%s", tap);
		if (i < n_guests)
			snprintf(t->guest, sizeof(t->guest), "%s", guests[i].name);
		struct rtnl_link *l = NULL;
		t->in_use = -1;
		if (tap_get_link(sk, tap, &l) == 0 && l) {
			const char *kind = rtnl_link_get_type(l);
			t->exists = kind && !strcmp(kind, "tun");
			t->up = rtnl_link_get_flags(l) & IFF_UP;
			t->enslaved = pb.ifindex > 0 && rtnl_link_get_master(l) == pb.ifindex;
			rtnl_link_put(l);
			if (t->exists)
				t->in_use = tap_in_use(tap);
		}
		vmm_error_clear();
	}

	if (n->uplink && strcmp(n->uplink, "auto") != 0) {
		snprintf(st->uplink, sizeof(st->uplink), "%s", n->uplink);
		st->uplink_exists = if_nametoindex(n->uplink) != 0;
	} else {
		default_uplink(sk, st->uplink);
		st->uplink_exists = st->uplink[0] != '\0';
	}

	hostnet_fw_config(n, &fc);
	forward_list(guests, n_guests, &fwd, &fc.n_forwards);
	fc.forwards = fwd;
	st->n_forwards = fc.n_forwards;
	for (int i = 0; i < FW_NRULES; i++)
		st->fw_relevant[i] = fc.nat || (i != FW_MASQ && i != FW_JUMP_POSTROUTING);
	if (fw_status(&fc, &st->fw) == 0) {
		st->fw_known = true;
	} else {
		snprintf(st->fw_error, sizeof(st->fw_error), "%s", vmm_errmsg());
		vmm_error_clear();
	}
	free(fwd);

	bool loopback_only = false;
	if (n->n_dns == 0 || (n->n_dns == 1 && !strcmp(n->dns[0], "auto"))) {
		if (dns_host_servers(&st->dns, &st->n_dns, &loopback_only) < 0)
			snprintf(st->dns_error, sizeof(st->dns_error), "%s", vmm_errmsg());
	} else if (dns_servers(n, &st->dns, &st->n_dns) < 0) {
		snprintf(st->dns_error, sizeof(st->dns_error), "%s", vmm_errmsg());
	}
	vmm_error_clear();

	/* Host problems. */
	if (pb.bridge_exists && !pb.is_bridge)
		push_str(&st->problems, &st->n_problems,
			 util_fmt("an interface named %s exists and is not a bridge (it is a %s)",
				  n->bridge, pb.kind));
	if (*pb.addr_elsewhere)
		push_str(&st->problems, &st->n_problems,
			 util_fmt("the bridge address %s is already on %s", a, pb.addr_elsewhere));
	else if (*pb.overlap) {
		char net[16];
		util_format_ipv4(netcfg_network(n), net);
		push_str(&st->problems, &st->n_problems,
			 util_fmt("the subnet %s/%u overlaps %s", net, n->prefix, pb.overlap));
	}
	if (st->fw_known) {
		bool accept = st->fw.present[FW_JUMP_FORWARD] && st->fw.present[FW_ACCEPT_OUT] &&
			      st->fw.present[FW_ACCEPT_BACK];
		if (!strcmp(st->fw.forward_policy, "DROP") || !strcmp(st->fw.forward_policy, "REJECT"))
			push_str(&st->problems, &st->n_problems,
				 util_fmt("the FORWARD policy is %s (iptables-legacy)%s",
					  st->fw.forward_policy,
					  accept ? "; vmm's accept rules let the guests through"
						 : " and vmm's accept rules are missing: guests cannot "
						   "reach the network until `vmm net up`"));
		if (st->fw.nft_forward_drop)
			push_str(&st->problems, &st->n_problems,
				 util_fmt("an nf_tables forward chain drops by default (iptables-nft "
					  "or nft): vmm's legacy rules cannot override it; accept "
					  "traffic from and back to %s there", n->bridge));
		if (st->fw.iptables_is_nft)
			push_str(&st->notes, &st->n_notes,
				 util_fmt("iptables here is the nf_tables variant: vmm's rules are "
					  "visible with `iptables-legacy -S` and `iptables-legacy -t nat "
					  "-S`, not `iptables -S`"));
	}
	if (read_int_file(BR_NF_CALL) == 1)
		push_str(&st->problems, &st->n_problems,
			 util_fmt("br_netfilter is loaded with bridge-nf-call-iptables = 1: bridged "
				  "traffic between guests goes through the iptables FORWARD chain"));
	if (loopback_only)
		push_str(&st->problems, &st->n_problems,
			 util_fmt("only a loopback resolver: %s", st->dns_error));
	else if (*st->dns_error)
		push_str(&st->problems, &st->n_problems, util_fmt("%s", st->dns_error));
	if (st->forwarding == 0 && pb.bridge_exists)
		push_str(&st->problems, &st->n_problems,
			 util_fmt("IPv4 forwarding is off: guests cannot reach beyond the host"));
	if (!st->uplink_exists)
		push_str(&st->problems, &st->n_problems,
			 util_fmt(n->uplink && strcmp(n->uplink, "auto") ? "uplink %s does not exist"
									 : "no default route: no uplink%s",
				  n->uplink && strcmp(n->uplink, "auto") ? n->uplink : ""));
	rc = 0;
out:
	if (sk)
		nl_socket_free(sk);
	recs_free(&recs);
	if (rc < 0)
		hostnet_status_free(st);
	return rc;
}

void hostnet_status_free(struct hostnet_status *st)
{
	free(st->taps);
	dns_free(st->dns, st->n_dns);
	for (size_t i = 0; i < st->n_problems; i++)
		free(st->problems[i]);
	free(st->problems);
	for (size_t i = 0; i < st->n_notes; i++)
		free(st->notes[i]);
	free(st->notes);
	memset(st, 0, sizeof(*st));
}
