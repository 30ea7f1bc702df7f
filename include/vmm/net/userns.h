/* SPDX-License-Identifier: MIT */
/* userns.h: the guests' network without root: a user + network namespace the user owns, held by a
 * minimal process of vmm's and connected to the host's network by pasta */
#ifndef VMM_NET_USERNS_H
#define VMM_NET_USERNS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "vmm/config/profile.h"
#include "vmm/config/store.h"

/*
 * The picture (all of it the user's own, nothing setuid, no root process):
 *
 *   holder   vmm re-executed as "vmm-netns __netns-holder RUN": it unshares a user and a network
 *            namespace, maps the user to root inside (setgroups deny, uid_map/gid_map "0 UID 1"),
 *            then sleeps until SIGTERM. Its pid and start time are in RUN/netns. The namespace
 *            lives as long as something holds it: the holder, pasta, and each guest's tap.
 *   pasta    `pasta --config-net --no-map-gw -t PORTS -u PORTS -T none -U none -f HOLDER`: the
 *            namespace's one uplink (a copy of the host's address and default route) and the
 *            forwards of the host's ports into it. Pid, start time and ports in RUN/pasta.
 *   inside   everything vmm does as root for `net up` (bridge, address, taps, forwarding, NAT,
 *            DNAT), done by the same code (hostnet) in a child of vmm that entered the namespace
 *            with setns (userns_call); the guests' QEMUs stay outside: each gets its tap's
 *            descriptor, opened inside.
 *
 * Run state: RUN/netns, RUN/pasta, RUN/pasta.log (RUN = the home's run folder). The holder's
 * namespace gone (killed, reboot) means everything recorded in it is gone too: the files are
 * removed (and a pasta left running stopped) by the next command that looks.
 */
#define USERNS_HOLDER_CMD "__netns-holder" /* argv[1] of the holder */
#define USERNS_HOLDER_NAME "vmm-netns"     /* its argv[0] and process name */
#define USERNS_STATE_FILE "netns"
#define USERNS_PASTA_FILE "pasta"
#define USERNS_PASTA_LOG "pasta.log"
#define USERNS_PORTS_MAX 512               /* the text of pasta's -t or -u list */

/* The holder's body: main() calls it for argv[1] = USERNS_HOLDER_CMD. Reports "ok" (or why
 * not) on fd 3 and sleeps until a signal ends it; returns only on failure (the exit code). */
int userns_holder_main(void);

/* What runs of a home's namespace now. */
struct userns_info {
	pid_t holder;                 /* 0: no namespace */
	pid_t pasta;                  /* 0: no uplink */
	char tcp[USERNS_PORTS_MAX];   /* pasta's -t and -u ("none" or "8080,2222") */
	char udp[USERNS_PORTS_MAX];
};
/* Read RUN/netns and RUN/pasta, checking each process (alive, same start time, the user's).
 * A dead holder's leftovers are cleaned up (pasta stopped, files and RUN/net.state removed,
 * announced). */
int userns_info(const struct vmm_home *h, struct userns_info *u);

/* pasta's -t and -u lists for the guests' forwards: "8080,192.0.2.1/9090" (sorted; an address
 * when the forward is bound to one; each entry is one -t/-u) or "none". */
void userns_ports(const struct vmm_profile *guests, size_t n_guests, char tcp[USERNS_PORTS_MAX],
		  char udp[USERNS_PORTS_MAX]);
/* The host's lowest port an ordinary user may bind (net.ipv4.ip_unprivileged_port_start). */
int userns_port_floor(void);
/* Refuse (vmm_invalid) a forward of the guests whose host port this user cannot bind on the
 * host (below net.ipv4.ip_unprivileged_port_start, forced or not). */
int userns_check_ports(const struct vmm_profile *guests, size_t n_guests);

/* What a user should know about this mode on this host (malloc'd sentences, each to free, and
 * the array): ping to the outside (net.ipv4.ping_group_range), the lowest port a forward can
 * use, where the guests are reachable from and how to get the host bridge instead. */
int userns_notes(char ***notes, size_t *n);

/*
 * The namespace with its uplink: the holder started when there is none (*made_holder set), and
 * pasta (re)started when it is missing or forwards other ports than the guests' (all of them:
 * pasta itself holds them on the host, so the host's listeners are not asked). Waits until pasta
 * has configured the namespace (its default route) and listens on the TCP ports. Takes
 * RUN/netns.lock. A failure stops what this call started.
 */
int userns_ensure(const struct vmm_home *h, const struct vmm_profile *guests, size_t n_guests,
		  bool *made_holder);
/* Stop pasta and the holder (by pid, checked against their start time) and remove RUN/netns,
 * RUN/pasta and its log. Nothing running is success. */
int userns_stop(const struct vmm_home *h);

/* Move this process into the home's namespace (setns: user, then net). It must be single
 * threaded. Afterwards it is root inside and this cannot be undone. */
int userns_enter(const struct vmm_home *h);
/* Move this process into a new, empty user + network namespace of its own (as the holder makes
 * one): what a dry run looks at when no namespace runs. */
int userns_private(void);
/* Did this process enter a namespace (userns_enter) or is it a userns_call child? */
bool userns_inside(void);

/* Work done inside: fills out (out_len bytes, copied back) and may hand back one descriptor in
 * *fd (-1: none). Returns 0 or -1 with the error slot set. */
typedef int (*userns_fn)(void *arg, void *out, int *fd);
/*
 * Run fn in a child of this process that entered the home's namespace; its result, the error
 * slot, out and the descriptor come back here. Announcements print from the child as they come.
 * The namespace must exist (userns_info: holder != 0).
 */
int userns_call(const struct vmm_home *h, userns_fn fn, void *arg, void *out, size_t out_len,
		int *fd);

#endif
