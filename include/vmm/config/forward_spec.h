/* SPDX-License-Identifier: MIT */
/* forward_spec.h: host port forward specs: the one parser, the canonical text, the profile's list (src/config/forward_spec.c) */
#ifndef VMM_CONFIG_FORWARD_SPEC_H
#define VMM_CONFIG_FORWARD_SPEC_H

#include <stddef.h>

#include "vmm/config/types.h"

/* Parse one forward spec "[PROTO:][ADDR:]HOSTPORT:GUESTPORT[!]" (PROTO tcp or udp, tcp when left
 * out; ADDR an IPv4 address of the host the forward is bound to, not loopback, 0.0.0.0/8 or
 * multicast; ports 1 to 65535; a trailing '!' forces it, see struct vmm_forward). 0, or -1 with
 * vmm_invalid set to `forward "SPEC": why`. */
int profile_parse_forward(const char *spec, struct vmm_forward *f);
/* The canonical spec "tcp:8080:80", "tcp:192.168.1.184:22:22!" into buf (at least
 * PROFILE_FORWARD_LEN bytes). */
#define PROFILE_FORWARD_LEN 40
void profile_format_forward(const struct vmm_forward *f, char *buf);
/* Do two forwards take the same host port: same protocol and port, and the same address or
 * either of them on every address? */
bool profile_forwards_clash(const struct vmm_forward *a, const struct vmm_forward *b);
/* "tcp" / "udp" */
const char *profile_forward_proto(int proto);
/* Replace p's forwards with a comma separated list of specs ("" clears them); the same checks as
 * the profile key (no host port twice). Nothing changes on error. */
int profile_set_forwards(struct vmm_profile *p, const char *list);
/* The same from n specs (the profile key's list). */
int profile_set_forward_list(struct vmm_profile *p, char *const *specs, size_t n);
/* Add one forward spec to p's (vmm create --forward, repeatable); its host port (per protocol)
 * must not be listed yet. Nothing changes on error. */
int profile_add_forward(struct vmm_profile *p, const char *spec);

#endif
