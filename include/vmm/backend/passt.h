/* SPDX-License-Identifier: MIT */
/* passt.h: a guest's own user-mode network (profile network = "user"): passt on one end of a
 * socket pair, QEMU's -netdev stream on the other; no bridge, no tap, no root */
#ifndef VMM_PASST_H
#define VMM_PASST_H

#include "vmm/config/types.h"

#define PASST_BINARY "passt"
#define PASST_LOG "passt.log" /* in run/NAME/: what passt says */
#define PASST_FD 3            /* the socket's number in passt */
#define PASST_SOCK "passt.sock" /* in run/NAME/: its socket when started by hand */

/*
 * passt's argv for guest p (NULL-terminated, malloc'd, strings included; free with
 * util_argv_free): quiet, in the foreground, on the connected socket PASST_FD (which makes it
 * quit when QEMU closes it), --no-map-gw (the gateway is the LAN's), the forwards as its port mappings: "-t [ADDR/]HOST:GUEST" and
 * "-u ..." ("-t none -u none" without forwards). passt gives the guest DHCP (the host's address,
 * routes and DNS), NDP and DHCPv6. Pure.
 */
char **passt_argv(const struct vmm_profile *p);
/* The same as a person runs it (--dry-run): passt going to the background on its own socket
 * at sock (QEMU's "-netdev stream,addr.type=unix,addr.path=SOCK"). Pure. */
char **passt_argv_at(const struct vmm_profile *p, const char *sock);

/*
 * Start passt for guest p in its own session, its output in run_dir/passt.log, on one end of a
 * new socket pair; *qemu_fd gets the other end (close-on-exec) for QEMU's
 * "-netdev stream,addr.type=fd". passt ends when that end is closed everywhere (QEMU quits, or
 * this process closes it before QEMU got a copy). 0, or -1 with the error slot set.
 */
int passt_start(const char *run_dir, const struct vmm_profile *p, int *qemu_fd);

#endif
