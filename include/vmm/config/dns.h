/* SPDX-License-Identifier: MIT */
/* dns.h: the DNS servers guests get: net.cfg's list, "auto" = the host's resolvers */
#ifndef VMM_DNS_H
#define VMM_DNS_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/config/profile.h"

/* Default files; the environment variables VMM_RESOLV_CONF and VMM_RESOLVED_CONF override them
 * (tests feed their own files that way). */
#define DNS_RESOLV_CONF "/etc/resolv.conf"
#define DNS_RESOLVED_CONF "/run/systemd/resolve/resolv.conf"

/*
 * The "nameserver" addresses of resolv.conf text, in order, without duplicates (IPv4 and IPv6;
 * comments, other keywords and malformed addresses are skipped). *servers is a malloc'd array
 * of malloc'd strings (free with dns_free); *count may be 0. Returns 0, -1 on OOM only.
 */
int dns_parse_resolv(const char *text, char ***servers, size_t *count);

/* Is addr a loopback address (127.0.0.0/8, ::1)? Such a stub is useless inside a guest. */
bool dns_is_loopback(const char *addr);

/*
 * The IPv4 servers guests get from net.cfg's dns list: each entry is an address or "auto"
 * (an empty list means "auto"). "auto" reads the host's resolv.conf; loopback stubs there
 * (systemd-resolved's 127.0.0.53) are replaced by the upstreams in resolved's own resolv.conf.
 * Fails with a message naming the files when nothing usable is left.
 */
int dns_servers(const struct vmm_netcfg *n, char ***servers, size_t *count);

/* Only the "auto" part: the host's usable resolvers. *loopback_only is set when the host only
 * has loopback stubs without a readable upstream list. */
int dns_host_servers(char ***servers, size_t *count, bool *loopback_only);

void dns_free(char **servers, size_t count);

#endif
