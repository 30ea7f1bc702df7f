/* SPDX-License-Identifier: MIT */
/* forward.h: host port forwards: the firewall's list from the profiles (guest_edit_commit keeps
 * it current); who holds a host port */
#ifndef VMM_FORWARD_H
#define VMM_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/net/fw_config.h"
#include "vmm/config/profile.h"

/* The process holding a host port. */
struct forward_listener {
	int pid;        /* 0: not known (another user's process, seen without root) */
	char name[16];  /* its command name (/proc/PID/comm); "" when not known */
};

/* Does a socket of this network namespace hold f's host port, for the addresses f takes: for
 * tcp a listening socket, for udp an unconnected one, bound to every address or to f's (when f
 * is bound to one) or to any (when f is not), IPv4 or IPv6 (:: and v4-mapped); loopback-only
 * ones do not count (the DNAT leaves 127.0.0.0/8 alone). Read from /proc/net/{tcp,udp}{,6} and
 * /proc/PID/fd; nothing is spawned. 1 (who filled as far as visible) or 0. */
int forward_listener(const struct vmm_forward *f, struct forward_listener *who);

/* The forwards whose host ports vmm's own process holds to forward them (without root, pasta
 * into the user's namespace): forward_listener does not count them as taken. Copied; n 0 clears. */
void forward_set_own(const struct vmm_forward *v, size_t n);

/* Would f take a host port from the host: one a host process holds (forward_listener), or one
 * below 1024? 0 when not, or when f is forced ('!'); else -1 with vmm_invalid set to
 * `forward "SPEC": tcp host port 22 is in use by sshd (pid 123); add '!' to take it anyway
 * ("tcp:22:22!")`. */
int forward_conflict(const struct vmm_forward *f);

/* When f (a forward of guest) would take a host port from the host and is not forced, the line
 * that says so into buf (`forward "tcp:22:22" of web: not installed: tcp host port 22 is in use
 * by sshd (pid 123); "tcp:22:22!" would take it anyway`) and true; else false. */
bool forward_left_out(const struct vmm_forward *f, const char *guest, char *buf, size_t len);

/* forward_conflict for each forward of p that old (n_old of them) did not have (the same
 * protocol, host port and address): 0, or -1 at the first conflict (error slot set). */
int forward_check_new(const struct vmm_profile *p, const struct vmm_forward *old, size_t n_old);

/* The forwards of every profile, as the firewall takes them (guest_ip from the profile's address;
 * profiles without an address are skipped). A forward that would take a host port from the
 * host (forward_conflict) and is not forced is left out; with notice, one vmm_notice line says
 * so for each (`forward "tcp:22:22" of web: not installed: ...`). *out is malloc'd, NULL when
 * there are none. */
void forward_list(const struct vmm_profile *ps, size_t n, bool notice, struct fw_forward **out,
		  size_t *n_out);

/* Do two profiles forward the same ports to the same place (same address)? */
bool forward_same(const struct vmm_profile *a, const struct vmm_profile *b);


#endif
