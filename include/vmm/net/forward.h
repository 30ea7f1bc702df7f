/* SPDX-License-Identifier: MIT */
/* forward.h: host port forwards: the firewall's list from the profiles, host listeners on a port */
#ifndef VMM_FORWARD_H
#define VMM_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/net/firewall.h"
#include "vmm/profile.h"

/* Does a socket of this network namespace listen on the port (any address, IPv4 or IPv6)? For
 * tcp: a socket in LISTEN state; for udp: any bound socket. Read from /proc/net/{tcp,udp}{,6};
 * nothing is spawned. 1 yes, 0 no (or cannot tell). */
int forward_host_listening(int proto, uint16_t port);

/* The forwards of every profile, as the firewall takes them (guest_ip from the profile's address;
 * profiles without an address are skipped). *out is malloc'd, NULL when there are none. */
void forward_list(const struct vmm_profile *ps, size_t n, struct fw_forward **out, size_t *n_out);

/* Do two profiles forward the same ports to the same place (same address)? */
bool forward_same(const struct vmm_profile *a, const struct vmm_profile *b);

#endif
