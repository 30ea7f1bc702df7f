// SPDX-License-Identifier: MIT
/* dns.c: the DNS servers guests get, from net.cfg and the host's resolv.conf files */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/config/dns.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

void dns_free(char **servers, size_t count)
{
	if (!servers)
		return;
	for (size_t i = 0; i < count; i++)
		free(servers[i]);
	free(servers);
}

static bool has(char **list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

/* Append a copy of s unless it is already there. */
static int push(char ***list, size_t *n, const char *s)
{
	if (has(*list, *n, s))
		return 0;
	char **grown = realloc(*list, (*n + 1) * sizeof(**list));
	if (!grown)
		return -1;
	*list = grown;
	grown[*n] = util_strdup(s);
	(*n)++;
	return 0;
}

static bool is_ipv4(const char *s)
{
	struct in_addr a;
	return inet_pton(AF_INET, s, &a) == 1;
}

static bool is_ipv6(const char *s)
{
	struct in6_addr a;
	return inet_pton(AF_INET6, s, &a) == 1;
}

bool dns_is_loopback(const char *addr)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, addr, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}

int dns_parse_resolv(const char *text, char ***servers, size_t *count)
{
	char **list = NULL;
	size_t n = 0;
	const char *p = text ? text : "";

	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t full = eol ? (size_t)(eol - p) : strlen(p);
		size_t len = full < 511 ? full : 511;
		char line[512];
		memcpy(line, p, len);
		line[len] = '\0';
		p += full + (eol ? 1 : 0);

		/* Comments start with '#' or ';' anywhere on the line. */
		line[strcspn(line, "#;")] = '\0';
		char *save = NULL;
		char *key = strtok_r(line, " \t\r", &save);
		if (!key || strcmp(key, "nameserver") != 0)
			continue;
		char *val = strtok_r(NULL, " \t\r", &save);
		if (!val)
			continue;
		/* "fe80::1%eth0": a zone id is valid for the host, not for a guest: keep as is
		 * only when the address part parses. */
		char addr[INET6_ADDRSTRLEN + 1];
		snprintf(addr, sizeof(addr), "%s", val);
		char *pct = strchr(addr, '%');
		if (pct)
			*pct = '\0';
		if (!is_ipv4(addr) && !is_ipv6(addr))
			continue;
		if (push(&list, &n, val) < 0) {
			dns_free(list, n);
			return -1;
		}
	}
	*servers = list; /* caller owns list */
	*count = n;
	return 0;
}

static const char *env_or(const char *var, const char *dflt)
{
	const char *v = getenv(var);
	return v && *v ? v : dflt;
}

/* Usable (IPv4, not loopback) servers of a file, pushed onto list; *stubs counts loopbacks. */
static int collect(const char *path, char ***list, size_t *n, size_t *stubs, bool *readable)
{
	char **found = NULL;
	size_t nf = 0;
	char *text = util_read_file(path, NULL);
	*readable = text != NULL;
	vmm_error_clear();
	if (!text)
		return 0;
	int rc = dns_parse_resolv(text, &found, &nf);
	free(text);
	for (size_t i = 0; rc == 0 && i < nf; i++) {
		if (dns_is_loopback(found[i]))
			(*stubs)++;
		else if (is_ipv4(found[i]))
			rc = push(list, n, found[i]);
	}
	dns_free(found, nf);
	return rc;
}

int dns_host_servers(char ***servers, size_t *count, bool *loopback_only)
{
	const char *resolv = env_or("VMM_RESOLV_CONF", DNS_RESOLV_CONF);
	const char *resolved = env_or("VMM_RESOLVED_CONF", DNS_RESOLVED_CONF);
	char **list = NULL;
	size_t n = 0, stubs = 0, stubs2 = 0;
	bool readable = false, readable2 = false;

	*servers = NULL;
	*count = 0;
	if (loopback_only)
		*loopback_only = false;
	if (collect(resolv, &list, &n, &stubs, &readable) < 0)
		goto oom;
	if (!readable)
		return vmm_fail("dns: cannot read %s: %s", resolv, strerror(errno ? errno : ENOENT));
	if (stubs > 0 && collect(resolved, &list, &n, &stubs2, &readable2) < 0)
		goto oom;
	if (n == 0) {
		if (stubs > 0) {
			if (loopback_only)
				*loopback_only = true;
			return vmm_fail("dns: %s only lists a loopback resolver and %s %s; set dns "
					"in net.cfg", resolv, resolved,
					readable2 ? "has no usable upstream" : "is missing");
		}
		return vmm_fail("dns: no usable nameserver in %s; set dns in net.cfg", resolv);
	}
	*servers = list; /* caller owns list */
	*count = n;
	return 0;
oom:
	dns_free(list, n);
	return vmm_fail("dns: out of memory");
}

int dns_servers(const struct vmm_netcfg *n, char ***servers, size_t *count)
{
	char **list = NULL;
	size_t cnt = 0;
	size_t entries = n ? n->n_dns : 0;

	*servers = NULL;
	*count = 0;
	for (size_t i = 0; i < (entries ? entries : 1); i++) {
		const char *e = entries ? n->dns[i] : "auto";
		if (!strcmp(e, "auto")) {
			char **host = NULL;
			size_t nh = 0;
			if (dns_host_servers(&host, &nh, NULL) < 0) {
				dns_free(list, cnt);
				return -1;
			}
			for (size_t j = 0; j < nh; j++)
				push(&list, &cnt, host[j]);
			dns_free(host, nh);
		} else if (is_ipv4(e) || is_ipv6(e)) {
			if (dns_is_loopback(e)) {
				dns_free(list, cnt);
				return vmm_invalid("net.cfg: dns %s: a loopback address is not "
						   "reachable from a guest", e);
			}
			push(&list, &cnt, e);
		} else {
			dns_free(list, cnt);
			return vmm_invalid("net.cfg: dns \"%s\": not an address or \"auto\"", e);
		}
	}
	if (cnt == 0)
		return vmm_fail("dns: no usable server");
	*servers = list; /* caller owns list */
	*count = cnt;
	return 0;
}
