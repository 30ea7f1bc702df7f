/* SPDX-License-Identifier: MIT */
/* forward.h: host port forwards: the firewall's list from the profiles (guest_edit_commit keeps
 * it current), host listeners */
#ifndef VMM_FORWARD_H
#define VMM_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/net/fw_config.h"
#include "vmm/config/profile.h"

/* Does a socket of this network namespace listen on the port (any address, IPv4 or IPv6)? For
 * tcp: a socket in LISTEN state; for udp: any bound socket. Read from /proc/net/{tcp,udp}{,6};
 * nothing is spawned. 1 yes, 0 no (or cannot tell). */
int forward_host_listening(int proto, uint16_t port);

/* The forwards of every profile, as the firewall takes them (guest_ip from the profile's address;
 * profiles without an address are skipped). *out is malloc'd, NULL when there are none. */
void forward_list(const struct vmm_profile *ps, size_t n, struct fw_forward **out, size_t *n_out);

/* Do two profiles forward the same ports to the same place (same address)? */
bool forward_same(const struct vmm_profile *a, const struct vmm_profile *b);

/* Is f new (old, n_old of them, has no forward of its protocol and host port) and does a host
 * process already listen on its host port (forward_host_listening)? Then connections to the host's
 * addresses on that port reach the guest instead: worth a note. */
bool forward_new_listened(const struct vmm_forward *f, const struct vmm_forward *old, size_t n_old);

#endif
