// SPDX-License-Identifier: MIT
/* forward_spec.c: host port forward specs ("tcp:8080:80"): parse one, format one, a guest's list */
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vmm/config/cfgtext.h"
#include "vmm/config/profile.h"
#include "vmm/config/forward_spec.h"
#include "vmm/sys/error.h"

const char *profile_forward_proto(int proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

void profile_format_forward(const struct vmm_forward *f, char *buf)
{
	snprintf(buf, PROFILE_FORWARD_LEN, "%s:%u:%u", profile_forward_proto(f->proto),
		 (unsigned)f->host_port, (unsigned)f->guest_port);
}

static int forward_port(const char *spec, const char *which, const char *s, size_t len, uint16_t *out)
{
	unsigned long v = 0;
	if (len == 0)
		return vmm_invalid("forward \"%s\": want [tcp:|udp:]HOSTPORT:GUESTPORT", spec);
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

int profile_parse_forward(const char *spec, struct vmm_forward *f)
{
	const char *c1 = strchr(spec, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	const char *ports = spec;
	struct vmm_forward x = { IPPROTO_TCP, 0, 0 };
	if (!c1 || (c2 && strchr(c2 + 1, ':')))
		return vmm_invalid("forward \"%s\": want [tcp:|udp:]HOSTPORT:GUESTPORT", spec);
	if (c2) {
		size_t pl = (size_t)(c1 - spec);
		if (pl == 3 && !strncasecmp(spec, "tcp", 3))
			x.proto = IPPROTO_TCP;
		else if (pl == 3 && !strncasecmp(spec, "udp", 3))
			x.proto = IPPROTO_UDP;
		else
			return vmm_invalid("forward \"%s\": protocol \"%.*s\": use tcp or udp", spec,
					   (int)pl, spec);
		ports = c1 + 1;
		c1 = c2;
	}
	if (forward_port(spec, "host", ports, (size_t)(c1 - ports), &x.host_port) < 0 ||
	    forward_port(spec, "guest", c1 + 1, strlen(c1 + 1), &x.guest_port) < 0)
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
			if (v[j].proto == v[i].proto && v[j].host_port == v[i].host_port) {
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
		if (p->forwards[i].proto == f.proto && p->forwards[i].host_port == f.host_port)
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
