/* SPDX-License-Identifier: MIT */
/* netmode.h: where the guests' bridge lives: the host's own network (root) or a namespace the
 * user owns (without root, userns.h); one row each, the lifecycle and the commands call through */
#ifndef VMM_NET_NETMODE_H
#define VMM_NET_NETMODE_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/net/userns.h"
#include "vmm/config/profile.h"
#include "vmm/config/store.h"

/*
 * Every operation takes the home and leaves one message in the error slot when it fails. In the
 * host row they are hostnet's (hostnet.h); in the user namespace row the same hostnet code runs
 * inside the namespace (userns_call), around the namespace's holder and pasta.
 */
struct netmode {
	const char *name;  /* "host" or "user namespace" */
	bool rootless;     /* the user namespace row */
	/* 1 when the bridge, its address and the firewall are in place, 0 not, -1 error */
	int (*is_up)(const struct vmm_home *h, const struct vmm_netcfg *n);
	/* `vmm net up`: idempotent; a failure undoes what it did */
	int (*up)(const struct vmm_home *h, const struct vmm_netcfg *n,
		  const struct vmm_profile *guests, size_t n_guests);
	/* `vmm net down` (refused while guests run unless force); *nothing when nothing was up */
	int (*down)(const struct vmm_home *h, const struct vmm_netcfg *n,
		    const struct vmm_profile *guests, size_t n_guests, bool force, bool *nothing);
	/* --dry-run of up/down: the changes, one per line (malloc'd). The user namespace row moves
	 * this process into the namespace (or a private empty one when none runs): call it last. */
	int (*plan)(const struct vmm_home *h, const struct vmm_netcfg *n,
		    const struct vmm_profile *guests, size_t n_guests, bool down, char **text);
	/* a guest's tap at start (journaled); *created when it was new */
	int (*tap_attach)(const struct vmm_home *h, const struct vmm_netcfg *n,
			  const struct vmm_profile *p, bool *created);
	/* a queue of the guest's tap for QEMU to inherit, opened where the tap lives */
	int (*tap_open)(const struct vmm_home *h, const struct vmm_profile *p);
	/* the guest is gone: its tap too (when this process may) */
	int (*tap_release)(const struct vmm_home *h, const char *tap);
	/* refuse (vmm_invalid), also in a dry run, forwards of p this mode can never put in place
	 * (without root: a host port below the unprivileged floor, forced or not) */
	int (*forwards_possible)(const struct vmm_profile *p);
	/* refuse, before anything is written, a change of the forwards this process could not
	 * make now (as root without CAP_NET_ADMIN while the network is up) */
	int (*forwards_check)(const struct vmm_home *h);
	/* the forwards changed: when the network is up, bring it to the guests' forwards at once */
	int (*forwards_update)(const struct vmm_home *h, const struct vmm_netcfg *n,
			       const struct vmm_profile *guests, size_t n_guests);
	/* run fn where the guests' addresses are reachable (here, or in a child inside) */
	int (*call)(const struct vmm_home *h, userns_fn fn, void *arg, void *out, size_t out_len);
	/* move this process there (ssh: before exec) */
	int (*enter)(const struct vmm_home *h);
};

extern const struct netmode netmode_host;
extern const struct netmode netmode_userns;

/* The host row as root (or with CAP_NET_ADMIN), the user namespace row otherwise. Decided on the
 * first call, before this process enters any namespace. */
const struct netmode *netmode_current(void);

#endif
