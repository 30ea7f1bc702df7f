/* SPDX-License-Identifier: MIT */
/* validate.h: a profile's checks: alone, against net.cfg, against the other guests; its VNC port and address (src/config/validate.c) */
#ifndef VMM_CONFIG_VALIDATE_H
#define VMM_CONFIG_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/config/types.h"

/* Validators (vmm_invalid on failure). A guest name: [a-z0-9][a-z0-9-]*, at most VMM_NAME_MAX. */
int profile_check_name(const char *name);
/* A login name for the guest's default user: [a-z_][a-z0-9_-]{0,31}. */
int profile_check_user(const char *user);
/* Check one profile on its own and against net.cfg (address inside the subnet, not network,
 * broadcast or bridge). */
int profile_validate(const struct vmm_profile *p, const struct vmm_netcfg *n);
/* Check that p does not collide with the others (MAC, address, VNC display, tap). Profiles
 * with the same name as p are skipped. */
int profile_check_conflicts(const struct vmm_profile *p, const struct vmm_profile *others,
			    size_t n_others);

/* VNC: display N listens on VNC_BASE_PORT + N, on loopback unless the profile says otherwise. */
#define VNC_BASE_PORT 5900
#define VNC_DEFAULT_LISTEN "127.0.0.1"
const char *profile_vnc_listen(const struct vmm_profile *p);
int profile_vnc_port(const struct vmm_profile *p); /* 0 unless TCP (a display number) */
/* Is the display on TCP (vnc = { display = N; }), and then on a loopback address (127/8)? A TCP
 * display anywhere else needs a password (the profile's password_file, or one vmm makes). */
bool profile_vnc_tcp(const struct vmm_profile *p);
bool profile_vnc_loopback(const struct vmm_profile *p);
/* "none", "socket" or "LISTEN:N" (the display), for lists and messages. */
void profile_vnc_describe(const struct vmm_profile *p, char *buf, size_t len);

/* The guest's address without prefix ("192.168.166.100") into buf. */
int profile_ip(const struct vmm_profile *p, char buf[16]);

/* network = "user": the guest alone behind its own passt (no bridge, no tap, no address of its
 * own: reached through its forwards). */
bool profile_net_user(const struct vmm_profile *p);
/* The host port of p's TCP forward to guest_port (the first), 0 when none. */
unsigned profile_forward_to(const struct vmm_profile *p, unsigned guest_port);

#endif
