// SPDX-License-Identifier: MIT
/* validate.c: checks of a whole profile, alone, against net.cfg and against the other guests */
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vmm/config/forward_spec.h"
#include "vmm/config/validate.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

int profile_check_name(const char *name)
{
	size_t len = name ? strlen(name) : 0;
	bool ok = len >= 1 && len <= VMM_NAME_MAX &&
		  (islower((unsigned char)name[0]) || isdigit((unsigned char)name[0]));
	for (size_t i = 0; ok && i < len; i++)
		ok = islower((unsigned char)name[i]) || isdigit((unsigned char)name[i]) ||
		     name[i] == '-';
	if (!ok)
		return vmm_invalid("name \"%s\": use 1 to %d characters a-z, 0-9 and '-', "
				   "starting with a letter or digit",
				   name ? name : "", VMM_NAME_MAX);
	return 0;
}

int profile_check_user(const char *user)
{
	size_t len = strlen(user);
	bool ok = len >= 1 && len <= 32 && (islower((unsigned char)user[0]) || user[0] == '_');
	for (size_t i = 1; ok && i < len; i++)
		ok = islower((unsigned char)user[i]) || isdigit((unsigned char)user[i]) ||
		     user[i] == '_' || user[i] == '-';
	if (!ok)
		return vmm_invalid("user \"%s\": use 1 to 32 characters a-z, 0-9, '_' and '-', "
				   "starting with a letter or '_'",
				   user);
	return 0;
}

int profile_ip(const struct vmm_profile *p, char buf[16])
{
	uint32_t a;
	unsigned pre;
	if (!p->address || util_parse_cidr("address", p->address, &a, &pre) < 0)
		return -1;
	util_format_ipv4(a, buf);
	return 0;
}

static int check_address(const char *address, const struct vmm_netcfg *n)
{
	uint32_t a;
	unsigned pre;
	char net[16];
	if (util_parse_cidr("address", address, &a, &pre) < 0)
		return -1;
	util_format_ipv4(netcfg_network(n), net);
	if ((a & util_prefix_mask(n->prefix)) != netcfg_network(n))
		return vmm_invalid("address %s: outside the bridge subnet %s/%u", address, net,
				   n->prefix);
	if (pre != n->prefix)
		return vmm_invalid("address %s: prefix /%u differs from the bridge subnet %s/%u",
				   address, pre, net, n->prefix);
	if (a == netcfg_network(n))
		return vmm_invalid("address %s: is the network address of %s/%u", address, net,
				   n->prefix);
	if (a == netcfg_broadcast(n))
		return vmm_invalid("address %s: is the broadcast address of %s/%u", address, net,
				   n->prefix);
	if (a == n->addr)
		return vmm_invalid("address %s: is the bridge address", address);
	return 0;
}

int profile_validate(const struct vmm_profile *p, const struct vmm_netcfg *n)
{
	uint8_t mac[6];
	if (profile_check_name(p->name) < 0)
		return -1;
	if (p->memory < VMM_MEMORY_MIN || p->memory > VMM_MEMORY_MAX)
		return vmm_invalid("memory %u: out of range (16 to 1048576 MiB)", p->memory);
	if (p->cpus < 1 || p->cpus > VMM_CPUS_MAX)
		return vmm_invalid("cpus %u: out of range (1 to 255)", p->cpus);
	if (util_parse_mac("mac", p->mac, mac) < 0)
		return -1;
	if (p->address && check_address(p->address, n) < 0)
		return -1;
	if (p->vnc_display != VMM_VNC_NONE && p->vnc_display != VMM_VNC_SOCKET &&
	    (p->vnc_display < 0 || p->vnc_display > VMM_VNC_MAX))
		return vmm_invalid("vnc :%d: out of range (0 to " VMM_VNC_MAX_STR ")",
				   p->vnc_display);
	if (p->vnc_listen) {
		uint32_t a;
		if (util_parse_ipv4("vnc listen", p->vnc_listen, &a) < 0)
			return -1;
	}
	if (p->tap[0] && netcfg_check_ifname("tap", p->tap) < 0)
		return -1;
	if (p->user && profile_check_user(p->user) < 0)
		return -1;
	if (p->ssh_identity && p->ssh_identity[0] != '/')
		return vmm_invalid("ssh_identity %s: want an absolute path", p->ssh_identity);
	if (p->disk_size) {
		uint64_t bytes;
		if (util_parse_size("size", p->disk_size, &bytes) < 0)
			return -1;
	}
	if (!p->disk_path || !*p->disk_path)
		return vmm_invalid("disk: no path");
	if ((p->initrd || p->append) && !p->kernel)
		return vmm_invalid("%s: initrd and append need a kernel", p->name);
	for (size_t i = 0; i < p->n_dns; i++) {
		uint32_t a;
		if (util_parse_ipv4("dns", p->dns[i], &a) < 0)
			return -1;
	}
	if (p->uri && (!p->backend || strcmp(p->backend, "libvirt")))
		return vmm_invalid("uri %s: only with backend libvirt", p->uri);
	if (p->hostname) {
		size_t len = strlen(p->hostname);
		bool ok = len > 0 && len <= 63;
		for (size_t i = 0; ok && i < len; i++)
			ok = isalnum((unsigned char)p->hostname[i]) || p->hostname[i] == '-';
		if (!ok)
			return vmm_invalid("hostname \"%s\": use 1 to 63 letters, digits and '-'",
					   p->hostname);
	}
	for (size_t i = 0; i < p->n_forwards; i++) {
		char spec[PROFILE_FORWARD_LEN];
		profile_format_forward(&p->forwards[i], spec);
		if (!p->address)
			return vmm_invalid("forward \"%s\": the guest has no address", spec);
		if (p->forwards[i].host_port == 0 || p->forwards[i].guest_port == 0 ||
		    (p->forwards[i].proto != IPPROTO_TCP && p->forwards[i].proto != IPPROTO_UDP))
			return vmm_invalid("forward \"%s\": not a valid forward", spec);
		for (size_t j = 0; j < i; j++)
			if (profile_forwards_clash(&p->forwards[j], &p->forwards[i]))
				return vmm_invalid("forward \"%s\": %s host port %u is listed twice",
						   spec, profile_forward_proto(p->forwards[i].proto),
						   (unsigned)p->forwards[i].host_port);
	}
	return 0;
}

int profile_check_conflicts(const struct vmm_profile *p, const struct vmm_profile *others,
			    size_t n_others)
{
	uint32_t mine = 0, theirs;
	unsigned pre;
	bool have = p->address && util_parse_cidr("address", p->address, &mine, &pre) == 0;
	for (size_t i = 0; i < n_others; i++) {
		const struct vmm_profile *o = &others[i];
		if (!strcmp(o->name, p->name))
			continue;
		if (!strcasecmp(o->mac, p->mac))
			return vmm_invalid("mac %s: already used by %s", p->mac, o->name);
		if (have && o->address && util_parse_cidr("address", o->address, &theirs, &pre) == 0 &&
		    theirs == mine)
			return vmm_invalid("address %s: already used by %s", p->address, o->name);
		if (profile_vnc_tcp(p) && o->vnc_display == p->vnc_display)
			return vmm_invalid("vnc :%d: already used by %s", p->vnc_display, o->name);
		if (p->tap[0] && !strcmp(o->tap, p->tap))
			return vmm_invalid("tap %s: already used by %s", p->tap, o->name);
		for (size_t f = 0; f < p->n_forwards; f++)
			for (size_t g = 0; g < o->n_forwards; g++) {
				const struct vmm_forward *a = &p->forwards[f], *b = &o->forwards[g];
				if (!profile_forwards_clash(a, b))
					continue;
				char spec[PROFILE_FORWARD_LEN];
				profile_format_forward(a, spec);
				return vmm_invalid("forward \"%s\": %s host port %u is already "
						   "forwarded to %s", spec, profile_forward_proto(a->proto),
						   (unsigned)a->host_port, o->name);
			}
	}
	vmm_error_clear();
	return 0;
}

const char *profile_vnc_listen(const struct vmm_profile *p)
{
	return p->vnc_listen && *p->vnc_listen ? p->vnc_listen : VNC_DEFAULT_LISTEN;
}

int profile_vnc_port(const struct vmm_profile *p)
{
	return profile_vnc_tcp(p) ? VNC_BASE_PORT + p->vnc_display : 0;
}

bool profile_net_user(const struct vmm_profile *p)
{
	return p->network && !strcmp(p->network, "user");
}

unsigned profile_forward_to(const struct vmm_profile *p, unsigned guest_port)
{
	for (size_t i = 0; i < p->n_forwards; i++)
		if (p->forwards[i].proto == IPPROTO_TCP && p->forwards[i].guest_port == guest_port)
			return p->forwards[i].host_port;
	return 0;
}

bool profile_vnc_tcp(const struct vmm_profile *p)
{
	return p->vnc_display >= 0;
}

bool profile_vnc_loopback(const struct vmm_profile *p)
{
	uint32_t a = 0;
	if (util_parse_ipv4("vnc listen", profile_vnc_listen(p), &a) < 0) {
		vmm_error_clear();
		return false;
	}
	return (a >> 24) == 127;
}

void profile_vnc_describe(const struct vmm_profile *p, char *buf, size_t len)
{
	if (profile_vnc_tcp(p))
		snprintf(buf, len, "%s:%d", profile_vnc_listen(p), p->vnc_display);
	else
		snprintf(buf, len, "%s", p->vnc_display == VMM_VNC_NONE ? "none" : "socket");
}
