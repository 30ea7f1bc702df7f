// SPDX-License-Identifier: MIT
/* forward.c: host port forwards: the firewall's list from the profiles (the guest layer keeps it
 * current); who holds a host port */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/sys/error.h"
#include "vmm/net/forward.h"
#include "vmm/config/forward_spec.h"
#include "vmm/sys/util.h"

#define TCP_LISTEN 0x0a /* include/net/tcp_states.h: TCP_LISTEN */
#define TCP_CLOSE 0x07  /* an unconnected (bound) udp socket */

/* A socket's local address as /proc/net prints it (each 32-bit word as the kernel holds it, in
 * hex): IPv4 in host order into *v4 (and 1), or IPv6 (2) with *v4 the IPv4 of a v4-mapped one,
 * 0 for "::"; -1 when unreadable, 3 for IPv6 loopback and other IPv6 addresses. */
static int local_addr(const char *hex, size_t len, uint32_t *v4)
{
	char w[9] = "";
	if (len == 8) {
		memcpy(w, hex, 8);
		uint32_t raw = (uint32_t)strtoul(w, NULL, 16);
		*v4 = ntohl(raw);
		return 1;
	}
	if (len != 32)
		return -1;
	struct in6_addr a;
	for (int i = 0; i < 4; i++) {
		memcpy(w, hex + 8 * i, 8);
		uint32_t raw = (uint32_t)strtoul(w, NULL, 16);
		memcpy(&a.s6_addr[4 * i], &raw, 4);
	}
	*v4 = 0;
	if (IN6_IS_ADDR_UNSPECIFIED(&a))
		return 2;
	if (IN6_IS_ADDR_V4MAPPED(&a)) {
		uint32_t raw;
		memcpy(&raw, &a.s6_addr[12], 4);
		*v4 = ntohl(raw);
		return 2;
	}
	return 3;
}

/* Does a socket bound to v4 (0: every address) take connections a forward bound to addr (0:
 * every address but loopback) would take? Loopback listeners keep theirs: the DNAT leaves
 * 127.0.0.0/8 alone. */
static bool takes(uint32_t v4, uint32_t addr)
{
	if ((v4 >> 24) == 127)
		return false;
	return !v4 || !addr || v4 == addr;
}

/* One /proc/net/{tcp,udp}{,6} table: the inode of a listening (tcp) or unconnected (udp) socket
 * on f's host port that takes its connections; 0 when none. */
static unsigned long table_find(const char *path, const struct vmm_forward *f)
{
	bool tcp = f->proto != IPPROTO_UDP;
	FILE *fp = fopen(path, "re");
	char line[512];
	unsigned long inode = 0;
	if (!fp)
		return 0;
	if (!fgets(line, sizeof(line), fp)) { /* the header */
		fclose(fp);
		return 0;
	}
	while (!inode && fgets(line, sizeof(line), fp)) {
		/* "sl local rem st tx:rx tr:when retrnsmt uid timeout inode": "0: 0100007F:1F90
		 * 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 12345 ..." */
		char local[64], remote[64];
		unsigned st;
		unsigned long ino;
		if (sscanf(line, "%*s %63s %63s %x %*s %*s %*s %*s %*s %lu", local, remote, &st,
			   &ino) != 4)
			continue;
		const char *colon = strrchr(local, ':'), *rcolon = strrchr(remote, ':');
		uint32_t v4;
		if (!colon || !rcolon || strtoul(colon + 1, NULL, 16) != f->host_port)
			continue;
		if (tcp ? st != TCP_LISTEN : (st != TCP_CLOSE || strtoul(rcolon + 1, NULL, 16)))
			continue;
		int kind = local_addr(local, (size_t)(colon - local), &v4);
		if ((kind == 1 || kind == 2) && takes(v4, f->addr))
			inode = ino ? ino : 1;
	}
	fclose(fp);
	return inode;
}

/* The process holding socket inode (its first one in /proc); who->pid stays 0 when none is
 * visible (another user's, seen without root). */
static void socket_owner(unsigned long inode, struct forward_listener *who)
{
	char want[48], path[64], link[64];
	DIR *proc = opendir("/proc");
	struct dirent *d;
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	while (proc && !who->pid && (d = readdir(proc))) {
		char *end;
		long pid = strtol(d->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
		DIR *fds = opendir(path);
		struct dirent *e;
		while (fds && !who->pid && (e = readdir(fds))) {
			snprintf(path, sizeof(path), "/proc/%ld/fd/%.20s", pid, e->d_name);
			ssize_t n = readlink(path, link, sizeof(link) - 1);
			if (n > 0 && (link[n] = '\0', !strcmp(link, want)))
				who->pid = (int)pid;
		}
		if (fds)
			closedir(fds);
	}
	if (proc)
		closedir(proc);
	if (!who->pid)
		return;
	snprintf(path, sizeof(path), "/proc/%d/comm", who->pid);
	char *comm = util_read_file(path, NULL);
	if (comm) {
		comm[strcspn(comm, "\n")] = '\0';
		snprintf(who->name, sizeof(who->name), "%s", comm);
	}
	free(comm);
	vmm_error_clear();
}

/* The host ports vmm's own process holds to forward them (forward_set_own). */
static struct vmm_forward *own;
static size_t n_own;

void forward_set_own(const struct vmm_forward *v, size_t n)
{
	free(own);
	own = NULL;
	n_own = 0;
	if (!n)
		return;
	if (!(own = calloc(n, sizeof(*own))))
		abort();
	memcpy(own, v, n * sizeof(*own));
	n_own = n;
}

int forward_listener(const struct vmm_forward *f, struct forward_listener *who)
{
	bool tcp = f->proto != IPPROTO_UDP;
	const char *v4 = tcp ? "/proc/net/tcp" : "/proc/net/udp";
	const char *v6 = tcp ? "/proc/net/tcp6" : "/proc/net/udp6";
	memset(who, 0, sizeof(*who));
	for (size_t i = 0; i < n_own; i++)
		if (own[i].proto == f->proto && own[i].host_port == f->host_port &&
		    own[i].addr == f->addr)
			return 0; /* held for this very forward */
	unsigned long inode = table_find(v4, f);
	if (!inode)
		inode = table_find(v6, f);
	if (!inode)
		return 0;
	socket_owner(inode, who);
	return 1;
}

/* Why f would take a host port from the host (buf, "" when it would not): a listener, or a
 * port below 1024. */
static bool conflict_reason(const struct vmm_forward *f, char *buf, size_t len)
{
	struct forward_listener who;
	const char *p = profile_forward_proto(f->proto);
	*buf = '\0';
	if (forward_listener(f, &who) == 1) {
		if (who.pid)
			snprintf(buf, len, "%s host port %u is in use by %s (pid %d)", p,
				 (unsigned)f->host_port, who.name[0] ? who.name : "a process", who.pid);
		else
			snprintf(buf, len, "%s host port %u is in use by a host process", p,
				 (unsigned)f->host_port);
	} else if (f->host_port < 1024) {
		snprintf(buf, len, "%s host port %u is a system port (below 1024)", p,
			 (unsigned)f->host_port);
	}
	return *buf != '\0';
}

/* The spec with the '!' that forces it, e.g. "tcp:22:22!". */
static void forced_spec(const struct vmm_forward *f, char *buf)
{
	struct vmm_forward x = *f;
	x.force = true;
	profile_format_forward(&x, buf);
}

int forward_conflict(const struct vmm_forward *f)
{
	char why[160], spec[PROFILE_FORWARD_LEN], forced[PROFILE_FORWARD_LEN];
	if (f->force || !conflict_reason(f, why, sizeof(why)))
		return 0;
	profile_format_forward(f, spec);
	forced_spec(f, forced);
	return vmm_invalid("forward \"%s\": %s; add '!' to take it anyway (\"%s\")", spec, why,
			   forced);
}

bool forward_left_out(const struct vmm_forward *f, const char *guest, char *buf, size_t len)
{
	char why[160], spec[PROFILE_FORWARD_LEN], forced[PROFILE_FORWARD_LEN];
	if (f->force || !conflict_reason(f, why, sizeof(why)))
		return false;
	profile_format_forward(f, spec);
	forced_spec(f, forced);
	snprintf(buf, len, "forward \"%s\" of %s: not installed: %s; \"%s\" would take it anyway",
		 spec, guest, why, forced);
	return true;
}

int forward_check_new(const struct vmm_profile *p, const struct vmm_forward *old, size_t n_old)
{
	for (size_t i = 0; i < p->n_forwards; i++) {
		const struct vmm_forward *f = &p->forwards[i];
		bool had = false;
		for (size_t j = 0; j < n_old && !had; j++)
			had = old[j].proto == f->proto && old[j].host_port == f->host_port &&
			      old[j].addr == f->addr;
		if (!had && forward_conflict(f) < 0)
			return -1;
	}
	return 0;
}

void forward_list(const struct vmm_profile *ps, size_t n, bool notice, struct fw_forward **out,
		  size_t *n_out)
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
			const struct vmm_forward *pf = &ps[i].forwards[j];
			char line[320];
			if (forward_left_out(pf, ps[i].name, line, sizeof(line))) {
				if (notice)
					vmm_notice("%s", line);
				continue;
			}
			struct fw_forward *f = &v[k++];
			f->proto = pf->proto;
			f->host_port = pf->host_port;
			f->guest_port = pf->guest_port;
			f->host_ip = pf->addr;
			f->guest_ip = ip;
			snprintf(f->guest, sizeof(f->guest), "%s", ps[i].name);
			f->has_mac = util_parse_mac("mac", ps[i].mac, f->mac) == 0;
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
	for (size_t i = 0; i < a->n_forwards; i++) {
		const struct vmm_forward *x = &a->forwards[i], *y = &b->forwards[i];
		if (x->proto != y->proto || x->host_port != y->host_port ||
		    x->guest_port != y->guest_port || x->addr != y->addr || x->force != y->force)
			return false;
	}
	return true;
}
