// SPDX-License-Identifier: MIT
/* forward_spec.c: host port forward specs ("tcp:8080:80"): parse one, format one, a guest's list */
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vmm/config/cfgtext.h"
#include "vmm/config/forward_spec.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

const char *profile_forward_proto(int proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

void profile_format_forward(const struct vmm_forward *f, char *buf)
{
	char a[16] = "";
	if (f->addr)
		util_format_ipv4(f->addr, a);
	snprintf(buf, PROFILE_FORWARD_LEN, "%s:%s%s%u:%u%s", profile_forward_proto(f->proto), a,
		 f->addr ? ":" : "", (unsigned)f->host_port, (unsigned)f->guest_port,
		 f->force ? "!" : "");
}

bool profile_forwards_clash(const struct vmm_forward *a, const struct vmm_forward *b)
{
	return a->proto == b->proto && a->host_port == b->host_port &&
	       (!a->addr || !b->addr || a->addr == b->addr);
}

#define FORWARD_WANT "want [tcp:|udp:][ADDR:]HOSTPORT:GUESTPORT[!]"

static int forward_port(const char *spec, const char *which, const char *s, size_t len,
			uint16_t *out)
{
	unsigned long v = 0;
	if (len == 0)
		return vmm_invalid("forward \"%s\": " FORWARD_WANT, spec);
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return vmm_invalid("forward \"%s\": %s port \"%.*s\": not a number", spec,
					   which, (int)len, s);
		if (v <= 65535)
			v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return vmm_invalid("forward \"%s\": %s port %.*s: out of range (1 to 65535)", spec,
				   which, (int)len, s);
	*out = (uint16_t)v;
	return 0;
}

/* The host address a forward is bound to: an IPv4 address a LAN client can reach the host on. */
static int forward_addr(const char *spec, const char *s, size_t len, uint32_t *out)
{
	char a[16];
	if (len == 0 || len >= sizeof(a))
		return vmm_invalid("forward \"%s\": address \"%.*s\": not an IPv4 address", spec,
				   (int)len, s);
	memcpy(a, s, len);
	a[len] = '\0';
	if (util_parse_ipv4("address", a, out) < 0)
		return vmm_invalid("forward \"%s\": address \"%s\": not an IPv4 address", spec, a);
	unsigned hi = *out >> 24;
	if (hi == 127 || hi == 0 || hi >= 224)
		return vmm_invalid("forward \"%s\": address %s: not one a forward can be bound to "
				   "(loopback, 0.0.0.0/8, multicast); leave it out for every address",
				   spec, a);
	return 0;
}

int profile_parse_forward(const char *spec, struct vmm_forward *f)
{
	const char *part[5];
	size_t len[5], n = 0, l = strlen(spec);
	struct vmm_forward x;
	memset(&x, 0, sizeof(x));
	x.proto = IPPROTO_TCP;
	if (l && spec[l - 1] == '!') {
		x.force = true;
		l--;
	}
	for (const char *p = spec; n < 5;) { /* split spec[0..l) at ':' */
		const char *c = memchr(p, ':', (size_t)(spec + l - p));
		part[n] = p;
		len[n++] = c ? (size_t)(c - p) : (size_t)(spec + l - p);
		if (!c)
			break;
		p = c + 1;
	}
	if (n < 2 || n > 4)
		return vmm_invalid("forward \"%s\": " FORWARD_WANT, spec);
	size_t k = 0;
	bool has_addr = n == 4 || (n == 3 && memchr(part[0], '.', len[0]));
	if (n == 4 || (n == 3 && !has_addr)) {
		if (len[0] == 3 && !strncasecmp(part[0], "tcp", 3))
			x.proto = IPPROTO_TCP;
		else if (len[0] == 3 && !strncasecmp(part[0], "udp", 3))
			x.proto = IPPROTO_UDP;
		else
			return vmm_invalid("forward \"%s\": protocol \"%.*s\": use tcp or udp", spec,
					   (int)len[0], part[0]);
		k++;
	}
	if (has_addr && forward_addr(spec, part[k], len[k], &x.addr) < 0)
		return -1;
	k += has_addr;
	if (forward_port(spec, "host", part[k], len[k], &x.host_port) < 0 ||
	    forward_port(spec, "guest", part[k + 1], len[k + 1], &x.guest_port) < 0)
		return -1;
	*f = x;
	return 0;
}

/* The forwards of a list of specs, each host port (per protocol) once. */
static int forwards_from(char *const *specs, size_t n, struct vmm_forward **out, size_t *n_out)
{
	struct vmm_forward *v = n ? calloc(n, sizeof(*v)) : NULL;
	if (n && !v)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (profile_parse_forward(specs[i], &v[i]) < 0)
			goto fail;
		for (size_t j = 0; j < i; j++)
			if (profile_forwards_clash(&v[j], &v[i])) {
				vmm_invalid("forward \"%s\": %s host port %u is listed twice", specs[i],
					    profile_forward_proto(v[i].proto), (unsigned)v[i].host_port);
				goto fail;
			}
	}
	*out = v;
	*n_out = n;
	return 0;
fail:
	free(v);
	return -1;
}

static void set_forwards(struct vmm_profile *p, struct vmm_forward *v /* owned */, size_t n)
{
	free(p->forwards);
	p->forwards = v;
	p->n_forwards = n;
}

int profile_set_forward_list(struct vmm_profile *p, char *const *specs, size_t n)
{
	struct vmm_forward *v = NULL;
	size_t nv = 0;
	if (forwards_from(specs, n, &v, &nv) < 0)
		return -1;
	set_forwards(p, v, nv);
	return 0;
}

int profile_set_forwards(struct vmm_profile *p, const char *list)
{
	char **specs = NULL;
	size_t n = 0;
	cfg_split_list(list, &specs, &n);
	int rc = profile_set_forward_list(p, specs, n);
	cfg_strv_free(specs, n);
	return rc;
}

int profile_add_forward(struct vmm_profile *p, const char *spec)
{
	struct vmm_forward f;
	if (profile_parse_forward(spec, &f) < 0)
		return -1;
	for (size_t i = 0; i < p->n_forwards; i++)
		if (profile_forwards_clash(&p->forwards[i], &f))
			return vmm_invalid("forward \"%s\": %s host port %u is listed twice", spec,
					   profile_forward_proto(f.proto), (unsigned)f.host_port);
	struct vmm_forward *v = realloc(p->forwards, (p->n_forwards + 1) * sizeof(*v));
	if (!v)
		abort();
	v[p->n_forwards] = f;
	p->forwards = v;
	p->n_forwards++;
	return 0;
}
