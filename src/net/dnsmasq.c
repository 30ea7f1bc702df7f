// SPDX-License-Identifier: MIT
/* dnsmasq.c: the bridge's own services: dnsmasq as vmm's child (DHCP, names, router adverts) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vmm/net/dnsmasq.h"
#include "vmm/sys/error.h"
#include "vmm/sys/proc.h"
#include "vmm/sys/util.h"

#define LEASE_TIME "1h"

/* ---- pure ---- */

void dnsmasq_conf_at(struct dnsmasq_conf *c, const char *run, const char *bridge,
		     const char *pub_root)
{
	memset(c, 0, sizeof(*c));
	c->bridge = bridge;
	c->domain = "vmm";
	c->dir = util_fmt("%s/dnsmasq-%s", run, bridge);
	if (pub_root) /* one folder per home and bridge: the run folder's hash names it */
		c->pub = util_fmt("%s/%08x-%s", pub_root, util_hash(UTIL_HASH_INIT, run), bridge);
	else
		c->pub = util_strdup(c->dir);
}

void dnsmasq_conf_init(struct dnsmasq_conf *c, const struct vmm_netcfg *n,
		       const struct vmm_home *h, const char *pub_root)
{
	dnsmasq_conf_at(c, h && h->run ? h->run : "/run/vmm", n->bridge, pub_root);
	c->addr = n->addr;
	c->prefix = n->prefix;
	c->pool_lo = n->pool_lo;
	c->pool_hi = n->pool_hi;
	c->domain = netcfg_domain(n);
	c->has_ipv6 = n->has_ipv6;
	memcpy(c->prefix6, n->ipv6_prefix, sizeof(c->prefix6));
}

void dnsmasq_conf_free(struct dnsmasq_conf *c)
{
	free(c->dir);
	free(c->pub);
	c->dir = c->pub = NULL;
}

void dnsmasq_hosts(const struct dnsmasq_conf *c, const struct vmm_profile *guests, size_t n,
		   struct dnsmasq_host **out, size_t *n_out)
{
	*out = n ? calloc(n, sizeof(**out)) : NULL;
	*n_out = 0;
	if (n && !*out)
		abort();
	for (size_t i = 0; i < n; i++) {
		const struct vmm_profile *p = &guests[i];
		uint8_t mac[6];
		uint32_t a;
		unsigned plen;
		if (!p->mac[0] || !p->address || util_parse_mac("mac", p->mac, mac) < 0 ||
		    util_parse_cidr("address", p->address, &a, &plen) < 0) {
			vmm_error_clear(); /* a guest without both has no reservation */
			continue;
		}
		struct dnsmasq_host *d = &(*out)[(*n_out)++];
		snprintf(d->name, sizeof(d->name), "%s", p->name);
		util_format_mac(mac, d->mac);
		util_format_ipv4(a, d->addr);
		if (c->has_ipv6)
			ipv6_eui64(c->prefix6, mac, d->addr6);
	}
}

static void push(char ***v, size_t *n, char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(**v));
	if (!nv)
		abort();
	*v = nv;
	nv[(*n)++] = s;
	nv[*n] = NULL;
}

char **dnsmasq_argv(const struct dnsmasq_conf *c)
{
	char **v = NULL, net[16], mask[16], lo[16], hi[16];
	size_t n = 0;
	util_format_ipv4(c->addr & util_prefix_mask(c->prefix), net);
	util_format_ipv4(util_prefix_mask(c->prefix), mask);
	push(&v, &n, util_strdup("dnsmasq"));
	push(&v, &n, util_strdup("--conf-file=/dev/null")); /* nothing of /etc/dnsmasq.conf */
	push(&v, &n, util_fmt("--pid-file=%s/dnsmasq.pid", c->dir));
	push(&v, &n, util_fmt("--dhcp-leasefile=%s/leases", c->dir));
	push(&v, &n, util_fmt("--log-facility=%s/log", c->dir));
	if (c->user)
		push(&v, &n, util_fmt("--user=%s", c->user));
	push(&v, &n, util_fmt("--interface=%s", c->bridge));
	push(&v, &n, util_strdup("--except-interface=lo"));
	push(&v, &n, util_strdup("--bind-dynamic")); /* also the IPv6 address once DAD is done */
	push(&v, &n, util_strdup("--no-hosts"));     /* not the host's /etc/hosts */
	push(&v, &n, util_strdup("--no-resolv"));
	push(&v, &n, util_strdup("--strict-order"));
	for (size_t i = 0; i < c->n_upstream; i++)
		push(&v, &n, util_fmt("--server=%s", c->upstream[i]));
	push(&v, &n, util_fmt("--domain=%s", c->domain));
	push(&v, &n, util_fmt("--local=/%s/", c->domain));
	push(&v, &n, util_strdup("--expand-hosts"));
	push(&v, &n, util_fmt("--addn-hosts=%s/names", c->pub));
	push(&v, &n, util_fmt("--dhcp-hostsfile=%s/dhcp-hosts", c->pub));
	push(&v, &n, util_strdup("--dhcp-authoritative"));
	push(&v, &n, util_fmt("--dhcp-range=%s,static,%s,%s", net, mask, LEASE_TIME));
	if (c->pool_lo) {
		util_format_ipv4(c->pool_lo, lo);
		util_format_ipv4(c->pool_hi, hi);
		push(&v, &n, util_fmt("--dhcp-range=%s,%s,%s,%s", lo, hi, mask, LEASE_TIME));
	}
	if (c->has_ipv6) {
		push(&v, &n, util_strdup("--enable-ra"));
		push(&v, &n, util_fmt("--dhcp-range=::,constructor:%s,ra-stateless,64,%s", c->bridge,
				      LEASE_TIME));
	}
	return v;
}

char *dnsmasq_dhcp_hosts_text(const struct dnsmasq_host *v, size_t n)
{
	char *s = util_strdup("");
	for (size_t i = 0; i < n; i++) {
		char *t = util_fmt("%s%s,%s,%s\n", s, v[i].mac, v[i].addr, v[i].name);
		free(s);
		s = t;
	}
	return s;
}

char *dnsmasq_names_text(const struct dnsmasq_conf *c, const struct dnsmasq_host *v, size_t n)
{
	char *s = util_strdup("");
	for (size_t i = 0; i < n; i++) {
		char *t = util_fmt("%s%s %s.%s %s\n", s, v[i].addr, v[i].name, c->domain, v[i].name);
		free(s);
		s = t;
		if (!v[i].addr6[0])
			continue;
		t = util_fmt("%s%s %s.%s %s\n", s, v[i].addr6, v[i].name, c->domain, v[i].name);
		free(s);
		s = t;
	}
	return s;
}

/* One leases line into l: 0, or -1 when it is not one. */
static int lease_line(const char *line, bool v6, struct dnsmasq_lease *l)
{
	char id[64], addr[IPV6_TEXT_MAX], name[64];
	long long exp;
	uint8_t mac[6];
	memset(l, 0, sizeof(*l));
	if (sscanf(line, "%lld %63s %45s %63s", &exp, id, addr, name) != 4 || exp < 0)
		return -1;
	if (!v6) {
		if (util_parse_mac("lease", id, mac) < 0) {
			vmm_error_clear();
			return -1;
		}
		util_format_mac(mac, l->mac);
	}
	l->expiry = exp;
	snprintf(l->addr, sizeof(l->addr), "%s", addr);
	snprintf(l->name, sizeof(l->name), "%s", name);
	return 0;
}

void dnsmasq_leases_parse(const char *text, struct dnsmasq_lease **out, size_t *n)
{
	size_t cap = 0;
	bool v6 = false;
	*out = NULL;
	*n = 0;
	for (const char *p = text; p && *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char line[512];
		snprintf(line, sizeof(line), "%.*s", (int)(len < 511 ? len : 511), p);
		p = e ? e + 1 : p + len;
		if (!strncmp(line, "duid ", 5)) {
			v6 = true;
			continue;
		}
		struct dnsmasq_lease l;
		if (lease_line(line, v6, &l) < 0)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			if (!(*out = realloc(*out, cap * sizeof(**out))))
				abort();
		}
		(*out)[(*n)++] = l;
	}
}

/* ---- live ---- */

/* The dnsmasq vmm.pid names, when it is still that process (same start time, same name), and
 * its start time into *start; 0 when there is none. */
static pid_t recorded(const struct dnsmasq_conf *c, unsigned long long *start)
{
	char *path = util_fmt("%s/vmm.pid", c->dir), comm[32] = "";
	char *t = util_exists(path) ? util_read_file(path, NULL) : NULL;
	long pid = 0;
	*start = 0;
	free(path);
	vmm_error_clear();
	if (!t)
		return 0;
	if (sscanf(t, "%ld %llu", &pid, start) != 2 || pid <= 1 || pid > INT_MAX)
		pid = 0;
	free(t);
	if (pid && (!*start || proc_live_start((pid_t)pid, comm, sizeof(comm)) != *start ||
		    strcmp(comm, "dnsmasq")))
		pid = 0; /* gone, or the number now belongs to another process */
	return (pid_t)pid;
}

pid_t dnsmasq_running(const struct dnsmasq_conf *c)
{
	unsigned long long start;
	return recorded(c, &start);
}

/* The private folder (0700) and the one dnsmasq's user reads (0755), both ours and real
 * folders (no symlink put there by someone else). */
static int make_dir(const char *path, mode_t mode)
{
	struct stat st;
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return vmm_fail("%s: %s", path, util_strerror(errno));
	if (lstat(path, &st) < 0)
		return vmm_fail("%s: %s", path, util_strerror(errno));
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return vmm_fail("%s: not a folder of uid %u", path, (unsigned)geteuid());
	if ((st.st_mode & 07777) != mode && chmod(path, mode) < 0)
		return vmm_fail("%s: %s", path, util_strerror(errno));
	return 0;
}

static int write_text(const char *dir, const char *name, char *text)
{
	char *path = util_fmt("%s/%s", dir, name);
	int rc = util_write_file(path, text, strlen(text), 0644);
	free(path);
	free(text);
	return rc;
}

static int write_hosts(const struct dnsmasq_conf *c, const struct vmm_profile *guests, size_t n)
{
	struct dnsmasq_host *v = NULL;
	size_t nv = 0;
	int rc = -1;
	char *root = util_strdup(c->pub), *slash = strrchr(root, '/');
	if (slash)
		*slash = '\0';
	int ok = make_dir(c->dir, 0700) == 0 &&
		 (!strcmp(c->pub, c->dir) || (make_dir(root, 0755) == 0 && make_dir(c->pub, 0755) == 0));
	free(root);
	if (!ok)
		return -1;
	dnsmasq_hosts(c, guests, n, &v, &nv);
	if (write_text(c->pub, "dhcp-hosts", dnsmasq_dhcp_hosts_text(v, nv)) == 0 &&
	    write_text(c->pub, "names", dnsmasq_names_text(c, v, nv)) == 0)
		rc = 0;
	free(v);
	return rc;
}

/* Start it: dnsmasq daemonizes once it is set up and exits with its error otherwise. */
static int start(const struct dnsmasq_conf *c)
{
	char **argv = dnsmasq_argv(c), *err = NULL, comm[32];
	char *pidfile = util_fmt("%s/dnsmasq.pid", c->dir);
	long pid = 0;
	int rc = -1, st = util_run(argv, NULL, &err);
	if (st != 0) {
		if (st > 0) {
			char *msg = err ? err : util_strdup("");
			msg[strcspn(msg, "\n")] = '\0';
			vmm_fail("dnsmasq on %s: %s", c->bridge, *msg ? msg : "failed to start");
		}
		goto out;
	}
	char *t = util_read_file(pidfile, NULL);
	if (t)
		pid = strtol(t, NULL, 10);
	free(t);
	unsigned long long start_time = pid > 1 ? proc_live_start((pid_t)pid, comm, sizeof(comm)) : 0;
	if (!start_time) {
		vmm_fail("dnsmasq on %s: exited at once (see %s/log)", c->bridge, c->dir);
		goto out;
	}
	char *rec = util_fmt("%ld %llu\n", pid, start_time);
	rc = write_text(c->dir, "vmm.pid", rec);
out:
	free(pidfile);
	free(err);
	util_argv_free(argv);
	return rc;
}

int dnsmasq_ensure(const struct dnsmasq_conf *c, const struct vmm_profile *guests, size_t n,
		   bool *started)
{
	if (started)
		*started = false;
	if (write_hosts(c, guests, n) < 0)
		return -1;
	pid_t pid = dnsmasq_running(c);
	if (pid > 0) {
		if (kill(pid, SIGHUP) < 0)
			return vmm_fail("dnsmasq (pid %d): %s", (int)pid, util_strerror(errno));
		return 0;
	}
	if (start(c) < 0)
		return -1;
	if (started)
		*started = true;
	return 0;
}

int dnsmasq_reload(const struct dnsmasq_conf *c, const struct vmm_profile *guests, size_t n)
{
	pid_t pid = dnsmasq_running(c);
	if (pid <= 0)
		return 0;
	if (write_hosts(c, guests, n) < 0)
		return -1;
	if (kill(pid, SIGHUP) < 0)
		return vmm_fail("dnsmasq (pid %d): %s", (int)pid, util_strerror(errno));
	return 0;
}

/* SIGTERM to pid, the dnsmasq that started at start; SIGKILL when it is still that process 2 s
 * later (a number it left is not signalled). */
static void stop_pid(pid_t pid, unsigned long long start)
{
	if (kill(pid, SIGTERM) < 0)
		return;
	uint64_t until = util_now_ms() + 2000;
	while (proc_is(pid, start) && util_now_ms() < until)
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	if (proc_is(pid, start))
		kill(pid, SIGKILL);
}

/* The start time of process pid when it is a dnsmasq whose argv has the word (a home's own
 * --pid-file=, which names its folder and no other's); 0 when not. */
static unsigned long long started_for(pid_t pid, const char *word)
{
	char path[64], comm[32] = "";
	unsigned long long start = proc_live_start(pid, comm, sizeof(comm));
	if (!start || strcmp(comm, "dnsmasq"))
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	size_t len = 0;
	char *argv = util_read_file(path, &len);
	bool found = false;
	for (size_t i = 0; argv && i < len && !found; i += strlen(argv + i) + 1)
		found = !strcmp(argv + i, word);
	free(argv);
	vmm_error_clear();
	return found ? start : 0;
}

/* dnsmasqs started for c that no vmm.pid names: a vmm killed between starting dnsmasq and
 * recording it left them (the daemon, or its parent still starting it). */
static void stop_unrecorded(const struct dnsmasq_conf *c)
{
	char *word = util_fmt("--pid-file=%s/dnsmasq.pid", c->dir);
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 1 || pid > INT_MAX || pid == getpid())
			continue;
		unsigned long long start = started_for((pid_t)pid, word);
		if (start)
			stop_pid((pid_t)pid, start);
	}
	if (d)
		closedir(d);
	free(word);
}

int dnsmasq_stop(const struct dnsmasq_conf *c)
{
	unsigned long long start;
	pid_t pid = recorded(c, &start);
	if (pid > 0)
		stop_pid(pid, start);
	else
		stop_unrecorded(c);
	if (util_rm_rf(c->pub) < 0 || util_rm_rf(c->dir) < 0)
		return -1;
	char *root = util_strdup(c->pub), *slash = strrchr(root, '/');
	if (slash && strcmp(c->pub, c->dir)) {
		*slash = '\0';
		rmdir(root); /* when no other home's dnsmasq has a folder there */
	}
	free(root);
	return 0;
}

int dnsmasq_leases(const struct dnsmasq_conf *c, struct dnsmasq_lease **out, size_t *n)
{
	char *path = util_fmt("%s/leases", c->dir);
	char *t = util_exists(path) ? util_read_file(path, NULL) : util_strdup("");
	free(path);
	*out = NULL;
	*n = 0;
	if (!t)
		return -1;
	dnsmasq_leases_parse(t, out, n);
	free(t);
	return 0;
}
