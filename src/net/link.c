// SPDX-License-Identifier: MIT
/* link.c: netlink primitives (libnl-route-3) the net layer builds on: links, bridges, addresses */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/route.h>
#include <linux/if_addr.h>

#include "vmm/sys/error.h"
#include "vmm/net/link.h"
#include "vmm/sys/util.h"

struct nl_sock *link_nl_open(const char *what)
{
	struct nl_sock *sk = nl_socket_alloc();
	int err;
	if (!sk) {
		vmm_fail("%s: out of memory", what ? what : "netlink");
		return NULL;
	}
	if ((err = nl_connect(sk, NETLINK_ROUTE)) < 0) {
		if (what)
			vmm_fail("%s: netlink: %s", what, nl_geterror(err));
		else
			vmm_fail("netlink: %s", nl_geterror(err));
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

int link_get(struct nl_sock *sk, const char *name, struct rtnl_link **link)
{
	int err = rtnl_link_get_kernel(sk, 0, name, link);
	if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) {
		*link = NULL;
		return 0;
	}
	if (err < 0) {
		*link = NULL;
		return vmm_fail("interface %s: %s", name, nl_geterror(err));
	}
	return 0;
}

int link_set_up(struct nl_sock *sk, const char *name, bool up)
{
	struct rtnl_link *link = NULL, *chg = NULL;
	int err, rc = -1;
	if (link_get(sk, name, &link) < 0)
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

/* Fills address a: local/plen on interface idx, of local's family. */
static void addr_fill(struct rtnl_addr *a, int idx, struct nl_addr *local, int plen)
{
	rtnl_addr_set_ifindex(a, idx);
	rtnl_addr_set_family(a, nl_addr_get_family(local));
	rtnl_addr_set_local(a, local);
	rtnl_addr_set_prefixlen(a, plen);
}

/* Adds (add) or deletes the filled address a to or from bridge dev (cidr names it in messages).
 * Already there on add, or already gone on delete, is success. Returns 0 or -1 with the error
 * slot set; a stays the caller's. */
static int addr_send(struct nl_sock *sk, struct rtnl_addr *a, const char *dev, const char *cidr,
		     bool add)
{
	int err = add ? rtnl_addr_add(sk, a, 0) : rtnl_addr_delete(sk, a, 0);
	if (err == -NLE_EXIST && add)
		err = 0;
	if (!add && (err == -NLE_NOADDR || err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV))
		err = 0;
	if (err < 0)
		return vmm_fail("bridge %s: %s address %s: %s", dev, add ? "add" : "delete", cidr,
				nl_geterror(err));
	return 0;
}

/* The IPv6 side of link_addr_change: "P::1/64", usable at once (no duplicate detection: the
 * address is the bridge's own in vmm's /64). */
static int addr6_change(struct nl_sock *sk, int idx, const char *dev, const char *cidr, bool add)
{
	struct rtnl_addr *a = NULL;
	struct nl_addr *local = NULL;
	int err, rc = -1;
	if ((err = nl_addr_parse(cidr, AF_INET6, &local)) < 0)
		return vmm_fail("address %s: %s", cidr, nl_geterror(err));
	if (!(a = rtnl_addr_alloc())) {
		vmm_fail("address %s: out of memory", cidr);
		goto out;
	}
	addr_fill(a, idx, local, nl_addr_get_prefixlen(local));
	if (add)
		rtnl_addr_set_flags(a, IFA_F_NODAD);
	rc = addr_send(sk, a, dev, cidr, add);
out:
	if (a)
		rtnl_addr_put(a);
	nl_addr_put(local);
	return rc;
}

int link_addr_change(struct nl_sock *sk, const char *dev, const char *cidr, bool add)
{
	struct rtnl_addr *a = NULL;
	struct nl_addr *local = NULL, *bcast = NULL;
	uint32_t ip;
	unsigned plen;
	int rc = -1;
	int idx = (int)if_nametoindex(dev);

	if (idx == 0)
		return add ? vmm_fail("interface %s: %s", dev, strerror(errno)) : 0;
	if (strchr(cidr, ':'))
		return addr6_change(sk, idx, dev, cidr, add);
	if (util_parse_cidr("address", cidr, &ip, &plen) < 0)
		return -1;
	uint32_t be = htonl(ip), bbe = htonl(ip | ~util_prefix_mask(plen));
	if (!(a = rtnl_addr_alloc()) || !(local = nl_addr_build(AF_INET, &be, 4)) ||
	    !(bcast = nl_addr_build(AF_INET, &bbe, 4))) {
		vmm_fail("address %s: out of memory", cidr);
		goto out;
	}
	nl_addr_set_prefixlen(local, (int)plen);
	addr_fill(a, idx, local, (int)plen);
	if (plen < 31)
		rtnl_addr_set_broadcast(a, bcast);
	rc = addr_send(sk, a, dev, cidr, add);
out:
	if (local)
		nl_addr_put(local);
	if (bcast)
		nl_addr_put(bcast);
	if (a)
		rtnl_addr_put(a);
	return rc;
}

int link_bridge_create(struct nl_sock *sk, const char *name, uint32_t group)
{
	struct rtnl_link *l = rtnl_link_bridge_alloc();
	int err;
	if (!l)
		return vmm_fail("bridge %s: out of memory", name);
	/* A fixed MAC (locally administered, derived from the name) so the bridge keeps it while
	 * taps come and go: otherwise it takes the lowest port MAC and guests' ARP caches go stale. */
	uint32_t hash = util_hash(UTIL_HASH_INIT, name);
	uint8_t mac[6] = { 0x02, 0x76, 0x6d, 0x6d, (uint8_t)(hash >> 8), (uint8_t)hash };
	struct nl_addr *lladdr = nl_addr_build(AF_LLC, mac, sizeof(mac));
	if (!lladdr) {
		rtnl_link_put(l);
		return vmm_fail("bridge %s: out of memory", name);
	}
	rtnl_link_set_name(l, name);
	rtnl_link_set_addr(l, lladdr);
	rtnl_link_set_group(l, group);
	rtnl_link_set_flags(l, IFF_UP); /* created up: one message */
	err = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
	nl_addr_put(lladdr);
	rtnl_link_put(l);
	if (err < 0)
		return vmm_fail("bridge %s: create: %s", name, nl_geterror(err));
	return 0;
}

int link_bridge_delete(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *link = NULL;
	int err;
	if (link_get(sk, name, &link) < 0)
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

uint32_t link_ipv4(struct nl_addr *a)
{
	uint32_t be = 0;
	if (a && nl_addr_get_family(a) == AF_INET && nl_addr_get_len(a) == 4)
		memcpy(&be, nl_addr_get_binary_addr(a), 4);
	return ntohl(be);
}

uint32_t link_group_of(const char *bridge)
{
	return 0x766d0000u | (util_hash(UTIL_HASH_INIT, bridge) & 0xffffu); /* "vm" + 16 bits */
}

static bool named(const char *name, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

int link_delete_group(struct nl_sock *sk, uint32_t group, const char *const *names, size_t n)
{
	struct nl_cache *links = NULL;
	struct nl_msg *msg = NULL;
	size_t members = 0;
	int sent = 0;

	if (!group || n == 0 || rtnl_link_alloc_cache(sk, AF_UNSPEC, &links) < 0)
		return 0;
	for (struct nl_object *o = nl_cache_get_first(links); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		if (rtnl_link_get_group(l) != group)
			continue;
		if (!named(rtnl_link_get_name(l), names, n))
			goto out; /* a link that is not ours to delete sits in the group: no batch */
		members++;
	}
	if (members == 0)
		goto out;
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	if (!(msg = nlmsg_alloc_simple(RTM_DELLINK, 0)) ||
	    nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(msg, IFLA_GROUP, group) < 0)
		goto out;
	if (nl_send_auto_complete(sk, msg) < 0 || nl_wait_for_ack(sk) < 0)
		goto out;
	sent = 1;
out:
	if (msg)
		nlmsg_free(msg);
	nl_cache_free(links);
	return sent;
}

void link_default_uplink(struct nl_sock *sk, char *out)
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
