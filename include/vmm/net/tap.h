/* SPDX-License-Identifier: MIT */
/* tap.h: persistent tap devices for guests (/dev/net/tun ioctls), enslaved to the bridge */
#ifndef VMM_TAP_H
#define VMM_TAP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct nl_sock;
struct rtnl_link;

/*
 * Make tap a persistent TAP device (IFF_TAP|IFF_NO_PI) owned by owner ((uid_t)-1: no owner),
 * enslaved to bridge (NULL: leave the master alone) and up. Idempotent. A tap held open by a
 * running process (EBUSY) is fine: it is only enslaved and set up. An interface of that name
 * that is not a tap is refused.
 */
int tap_ensure(const char *tap, const char *bridge, uid_t owner);
/* Same on an open NETLINK_ROUTE socket; a new tap joins link group `group` (0: default), so
 * that hostnet can delete its links in one batch; *created (may be NULL) says whether the tap
 * was new. */
int tap_ensure_sk(struct nl_sock *sk, const char *tap, const char *bridge, uid_t owner,
		  uint32_t group, bool *created);
/* A queue of the tap for QEMU's virtio-net (TUNSETIFF with IFF_VNET_HDR): the fd, close-on-exec
 * (QEMU gets a copy; the caller closes its own). A tap a process holds open is refused: "tap
 * NAME: held open by another process". A missing tap would be made, not persistent: ensure it
 * first (tap_ensure). */
int tap_open_queue(const char *tap);
/* Delete a persistent tap (TUNSETPERSIST 0). Missing = success; a tap held open is refused. */
int tap_remove(const char *tap);
/* Does an interface of that name exist and is it a tun/tap device? */
bool tap_exists(const char *tap);
/* 1 when a process holds the tap open (read from its carrier, which tun turns on while a
 * queue is attached: no attach needed), 0 when not (or it does not exist), -1 on error. */
int tap_in_use(const char *tap);
/* tap_in_use, where a hold must last: an instant's hold by another vmm (net up making the tap,
 * net down removing it) is waited out, up to 200 ms. For refusing a tap a guest holds. */
int tap_held(const char *tap);
/* The tap's bridge (master) name into master (IF_NAMESIZE), "" when none; -1 when missing. */
int tap_master(const char *tap, char *master);

#endif
