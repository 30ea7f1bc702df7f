// SPDX-License-Identifier: MIT
/* ipv6.c: the guests' IPv6 /64: a stable ULA prefix for the host, SLAAC addresses from MACs */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/config/ipv6.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

int ipv6_parse_prefix64(const char *what, const char *s, uint8_t prefix[8])
{
	char addr[IPV6_TEXT_MAX + 1];
	uint8_t a[16];
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : 0;
	if (!slash || len == 0 || len > IPV6_TEXT_MAX)
		return vmm_invalid("%s \"%s\": expected an IPv6 prefix such as fd00:1:2:3::/64",
				   what, s);
	memcpy(addr, s, len);
	addr[len] = '\0';
	if (inet_pton(AF_INET6, addr, a) != 1)
		return vmm_invalid("%s \"%s\": %s is not an IPv6 address", what, s, addr);
	if (strcmp(slash + 1, "64"))
		return vmm_invalid("%s \"%s\": the prefix must be /64 (SLAAC needs it)", what, s);
	if (a[0] == 0xff || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80))
		return vmm_invalid("%s \"%s\": a multicast or link-local prefix", what, s);
	bool zero = true;
	for (int i = 0; i < 8; i++)
		zero &= a[i] == 0;
	if (zero)
		return vmm_invalid("%s \"%s\": the prefix is all zero", what, s);
	memcpy(prefix, a, 8);
	return 0;
}

void ipv6_format_prefix64(const uint8_t prefix[8], char *out)
{
	uint8_t a[16] = { 0 };
	memcpy(a, prefix, 8);
	inet_ntop(AF_INET6, a, out, IPV6_TEXT_MAX);
	strcat(out, "/64");
}

void ipv6_ula_from_id(const char *id, char *out)
{
	/* two independent 32-bit FNV-1a hashes give the 40-bit global id */
	uint32_t h1 = util_hash(UTIL_HASH_INIT, id);
	uint32_t h2 = util_hash(util_hash(UTIL_HASH_INIT, "vmm-ula"), id);
	uint8_t p[8] = { 0xfd, (uint8_t)(h1 >> 24), (uint8_t)(h1 >> 16), (uint8_t)(h1 >> 8),
			 (uint8_t)h1, (uint8_t)(h2 >> 24), 0, 0 };
	ipv6_format_prefix64(p, out);
}

int ipv6_ula_host(char *out)
{
	static const char *const files[] = { "/etc/machine-id", "/var/lib/dbus/machine-id" };
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		if (!util_exists(files[i]))
			continue;
		char *id = util_read_file(files[i], NULL);
		if (!id)
			return -1;
		id[strcspn(id, " \t\r\n")] = '\0';
		int ok = *id != '\0';
		if (ok)
			ipv6_ula_from_id(id, out);
		free(id);
		if (ok)
			return 0;
	}
	return vmm_fail("ipv6 auto: no machine id (/etc/machine-id): set ipv6 to a PREFIX/64 "
			"in net.cfg");
}

void ipv6_eui64(const uint8_t prefix[8], const uint8_t mac[6], char *out)
{
	uint8_t a[16];
	memcpy(a, prefix, 8);
	a[8] = mac[0] ^ 0x02; /* the universal/local bit flipped */
	a[9] = mac[1];
	a[10] = mac[2];
	a[11] = 0xff;
	a[12] = 0xfe;
	a[13] = mac[3];
	a[14] = mac[4];
	a[15] = mac[5];
	inet_ntop(AF_INET6, a, out, IPV6_TEXT_MAX);
}

void ipv6_host(const uint8_t prefix[8], unsigned n, char *out)
{
	uint8_t a[16] = { 0 };
	memcpy(a, prefix, 8);
	for (int i = 15; i >= 8; i--, n >>= 8)
		a[i] = (uint8_t)n;
	inet_ntop(AF_INET6, a, out, IPV6_TEXT_MAX);
}
