// SPDX-License-Identifier: MIT
/* forward.c: host port forwards: the firewall's list from the profiles, kept current; host listeners */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/sys/error.h"
#include "vmm/net/forward.h"
#include "vmm/net/netmode.h"
#include "vmm/sys/util.h"

#define TCP_LISTEN 0x0a /* include/net/tcp_states.h: TCP_LISTEN */

/* One /proc/net/{tcp,udp}{,6} table: a socket bound to port (and, for tcp, listening)? */
static bool table_has(const char *path, bool tcp, uint16_t port)
{
	FILE *f = fopen(path, "re");
	char line[512];
	bool found = false;
	if (!f)
		return false;
	if (!fgets(line, sizeof(line), f)) { /* the header */
		fclose(f);
		return false;
	}
	while (!found && fgets(line, sizeof(line), f)) {
		/* "  sl  local_address rem_address   st ...": "0: 0100007F:1F90 00000000:0000 0A" */
		char local[64], remote[64];
		unsigned st;
		if (sscanf(line, "%*s %63s %63s %x", local, remote, &st) != 3)
			continue;
		const char *colon = strrchr(local, ':');
		if (!colon)
			continue;
		unsigned long p = strtoul(colon + 1, NULL, 16);
		if (p == port && (!tcp || st == TCP_LISTEN))
			found = true;
	}
	fclose(f);
	return found;
}

int forward_host_listening(int proto, uint16_t port)
{
	bool tcp = proto != IPPROTO_UDP;
	const char *v4 = tcp ? "/proc/net/tcp" : "/proc/net/udp";
	const char *v6 = tcp ? "/proc/net/tcp6" : "/proc/net/udp6";
	return table_has(v4, tcp, port) || table_has(v6, tcp, port);
}

void forward_list(const struct vmm_profile *ps, size_t n, struct fw_forward **out, size_t *n_out)
{
	size_t total = 0, k = 0;
	for (size_t i = 0; i < n; i++)
		total += ps[i].address ? ps[i].n_forwards : 0;
	*out = NULL;
	*n_out = 0;
	if (!total)
		return;
	struct fw_forward *v = calloc(total, sizeof(*v));
	if (!v)
		abort();
	for (size_t i = 0; i < n; i++) {
		uint32_t ip;
		unsigned prefix;
		if (!ps[i].address || util_parse_cidr("address", ps[i].address, &ip, &prefix) < 0)
			continue;
		for (size_t j = 0; j < ps[i].n_forwards; j++) {
			struct fw_forward *f = &v[k++];
			f->proto = ps[i].forwards[j].proto;
			f->host_port = ps[i].forwards[j].host_port;
			f->guest_port = ps[i].forwards[j].guest_port;
			f->guest_ip = ip;
			snprintf(f->guest, sizeof(f->guest), "%s", ps[i].name);
		}
	}
	vmm_error_clear();
	*out = v;
	*n_out = k;
}

bool forward_same(const struct vmm_profile *a, const struct vmm_profile *b)
{
	if (a->n_forwards != b->n_forwards)
		return false;
	if (!a->n_forwards)
		return true;
	if (!a->address || !b->address || strcmp(a->address, b->address))
		return false;
	return !memcmp(a->forwards, b->forwards, a->n_forwards * sizeof(*a->forwards));
}

bool forward_new_listened(const struct vmm_forward *f, const struct vmm_forward *old, size_t n_old)
{
	for (size_t i = 0; i < n_old; i++)
		if (old[i].proto == f->proto && old[i].host_port == f->host_port)
			return false;
	return forward_host_listening(f->proto, f->host_port) == 1;
}

int forward_follow(const struct vmm_home *h, const struct vmm_profile *p, bool deleted)
{
	struct vmm_netcfg net;
	struct vmm_profile *all = NULL, *v = NULL;
	struct store_invalid *bad = NULL;
	size_t n = 0, n_bad = 0, k = 0;
	int rc = -1;
	if (store_load_net(h, &net) < 0 || store_load_all(h, &all, &n, &bad, &n_bad) < 0)
		goto out;
	/* shallow copies: their strings belong to all and p */
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		abort();
	for (size_t i = 0; i < n; i++)
		if (strcmp(all[i].name, p->name))
			v[k++] = all[i];
	if (!deleted)
		v[k++] = *p;
	rc = netmode_current()->forwards_update(h, &net, v, k);
out:
	free(v);
	store_free_all(all, n);
	store_free_invalid(bad, n_bad);
	netcfg_free(&net);
	return rc;
}
