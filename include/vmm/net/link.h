/* SPDX-License-Identifier: MIT */
/* link.h: the netlink (libnl-route-3) primitives of the net layer: links, bridges, addresses, routes */
#ifndef VMM_NET_LINK_H
#define VMM_NET_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nl_addr;
struct nl_sock;
struct rtnl_link;

/* A connected NETLINK_ROUTE socket (nl_socket_free it), NULL on error; errors are prefixed by
 * "WHAT: " (NULL: none, and "netlink" for out of memory). */
struct nl_sock *link_nl_open(const char *what);
/* The link called name (a reference the caller puts), *link = NULL when missing; -1 on error. */
int link_get(struct nl_sock *sk, const char *name, struct rtnl_link **link);
/* Set a link up or down; a missing link is success. */
int link_set_up(struct nl_sock *sk, const char *name, bool up);
/* Add (or delete) the address "a.b.c.d/N" (or an IPv6 "P::1/64", added without duplicate
 * detection) on dev; already there (or already gone) is success. */
int link_addr_change(struct nl_sock *sk, const char *dev, const char *cidr, bool add);
/* Create a bridge, up, with a fixed locally administered MAC derived from its name (so it keeps
 * its MAC while ports come and go), in link group `group`. EEXIST is an error. */
int link_bridge_create(struct nl_sock *sk, const char *name, uint32_t group);
/* Delete a bridge; missing is success; an interface of that name that is not a bridge is refused. */
int link_bridge_delete(struct nl_sock *sk, const char *name);
/* The host-order IPv4 address in a (0 when it is not one). */
uint32_t link_ipv4(struct nl_addr *a);
/*
 * The link group vmm puts the links of one bridge in (bridge and taps), derived from the bridge
 * name, so that taking them down is one RTM_DELLINK for the group: the kernel unregisters them in
 * one batch and waits for RCU once instead of once per link (tens of ms each).
 */
uint32_t link_group_of(const char *bridge);
/*
 * Delete every link of `group` in one request, when exactly the links named in names[] (and no
 * other link) carry that group; a foreign link in the group (or any error) means nothing is
 * deleted and 0 is returned, leaving the links to one-by-one deletion. Returns 1 when the batch
 * was sent, 0 when not.
 */
int link_delete_group(struct nl_sock *sk, uint32_t group, const char *const *names, size_t n);
/* The interface of the main table's default IPv4 route with the lowest metric, "" when none;
 * out has IF_NAMESIZE bytes. */
void link_default_uplink(struct nl_sock *sk, char *out);

#endif
