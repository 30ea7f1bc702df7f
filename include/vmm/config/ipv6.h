/* SPDX-License-Identifier: MIT */
/* ipv6.h: the guests' IPv6 /64: a stable ULA prefix for the host, SLAAC addresses from MACs */
#ifndef VMM_CONFIG_IPV6_H
#define VMM_CONFIG_IPV6_H

#include <stdint.h>

#define IPV6_TEXT_MAX 46 /* INET6_ADDRSTRLEN */

/* net.cfg's `ipv6` value: "none", "auto" or a "PREFIX/64". */
#define IPV6_NONE "none"
#define IPV6_AUTO "auto"

/*
 * "PREFIX/64" (the address part may have host bits: they are dropped) -> the 8 prefix bytes.
 * 0, or -1 with vmm_invalid `WHAT "S": why` (not an IPv6 address, prefix not 64, multicast or
 * link-local).
 */
int ipv6_parse_prefix64(const char *what, const char *s, uint8_t prefix[8]);
/* The prefix as "fdxx:xxxx:xxxx:yyyy::/64" into out (IPV6_TEXT_MAX + 4 bytes). */
void ipv6_format_prefix64(const uint8_t prefix[8], char *out);
/*
 * An RFC 4193 unique local /64 derived from a host identity (the text of /etc/machine-id): the
 * same id always gives the same prefix, different ids different ones (40-bit global id from a
 * hash of the id, subnet 0). out as ipv6_format_prefix64. Pure.
 */
void ipv6_ula_from_id(const char *id, char *out);
/* ipv6_ula_from_id of this host's /etc/machine-id (else /var/lib/dbus/machine-id): 0, or -1
 * with the error slot set when neither is readable or the id is empty. */
int ipv6_ula_host(char *out);
/* The SLAAC (modified EUI-64) address of MAC in the /64, without prefix length, into out
 * (IPV6_TEXT_MAX bytes). */
void ipv6_eui64(const uint8_t prefix[8], const uint8_t mac[6], char *out);
/* The address PREFIX::N (the bridge's is ::1) into out (IPV6_TEXT_MAX bytes). */
void ipv6_host(const uint8_t prefix[8], unsigned n, char *out);

#endif
