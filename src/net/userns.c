// SPDX-License-Identifier: MIT
/* userns.c: a user + network namespace the user owns: its holder, its pasta uplink, entering it */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <net/if.h>

#include "vmm/config/forward_spec.h"
#include "vmm/net/forward.h"
#include "vmm/net/journal.h"
#include "vmm/net/link.h"
#include "vmm/net/userns.h"
#include "vmm/sys/error.h"
#include "vmm/sys/proc.h"
#include "vmm/sys/util.h"

#define READY_FD PROC_KEEP_FD   /* the holder says "ok" (or why not) on it */
#define READY_MS 10000          /* how long the holder and pasta get to come up */
#define PORT_FLOOR_SYSCTL "/proc/sys/net/ipv4/ip_unprivileged_port_start"

static bool inside;

bool userns_inside(void)
{
	return inside;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* ---- the holder's body ---- */

static int write_proc(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	errno = e;
	return w == (ssize_t)strlen(text) ? 0 : -1;
}

/* The namespaces and the mapping of this process: "" when done, else why not into why. */
static void holder_unshare(char *why, size_t len)
{
	char uid_map[32], gid_map[32];
	snprintf(uid_map, sizeof(uid_map), "0 %u 1", (unsigned)geteuid());
	snprintf(gid_map, sizeof(gid_map), "0 %u 1", (unsigned)getegid());
	const char *step = "unshare";
	int ok = unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0;
	if (ok && !(ok = write_proc("/proc/self/setgroups", "deny") == 0))
		step = "/proc/self/setgroups";
	if (ok && !(ok = write_proc("/proc/self/uid_map", uid_map) == 0))
		step = "/proc/self/uid_map";
	if (ok && !(ok = write_proc("/proc/self/gid_map", gid_map) == 0))
		step = "/proc/self/gid_map";
	if (ok)
		why[0] = '\0';
	else
		snprintf(why, len, "%s: %s (user namespaces may be off for users on this host: "
				   "sysctl user.max_user_namespaces, kernel.unprivileged_userns_clone, "
				   "kernel.apparmor_restrict_unprivileged_userns)",
			 step, util_strerror(errno));
}

int userns_holder_main(void)
{
	char why[512];
	prctl(PR_SET_NAME, USERNS_HOLDER_NAME, 0, 0, 0);
	holder_unshare(why, sizeof(why));
	const char *msg = *why ? why : "ok";
	ssize_t w = write(READY_FD, msg, strlen(msg));
	if (w < 0 || *why || close(READY_FD) < 0 || chdir("/") < 0)
		return 1;
	for (;;) /* SIGTERM (vmm net down) ends it */
		pause();
}

/* ---- processes and their run files ---- */



static char *run_path(const struct vmm_home *h, const char *file)
{
	return util_fmt("%s/%s", h->run, file);
}

/* RUN/FILE: "PID START" and (pasta) the ports; 0 when read, 1 when missing or malformed. */
static int read_rec(const struct vmm_home *h, const char *file, pid_t *pid,
		    unsigned long long *start, struct userns_info *ports)
{
	char *path = run_path(h, file);
	char *text = util_read_file(path, NULL);
	long p = 0;
	int rc = 1;
	free(path);
	vmm_error_clear();
	if (text && sscanf(text, "%ld %llu", &p, start) == 2 && p > 0) {
		*pid = (pid_t)p;
		rc = 0;
	}
	if (rc == 0 && ports) {
		char *l2 = strchr(text, '\n'), *l3 = l2 ? strchr(l2 + 1, '\n') : NULL;
		if (!l3 || sscanf(l2 + 1, "%511s", ports->tcp) != 1 ||
		    sscanf(l3 + 1, "%511s", ports->udp) != 1)
			rc = 1;
	}
	free(text);
	return rc;
}

static int write_rec(const struct vmm_home *h, const char *file, pid_t pid,
		     unsigned long long start, const char *tcp, const char *udp)
{
	char *path = run_path(h, file);
	char *text = tcp ? util_fmt("%ld %llu\n%s\n%s\n", (long)pid, start, tcp, udp)
			 : util_fmt("%ld %llu\n", (long)pid, start);
	int rc = util_write_file(path, text, strlen(text), 0600);
	free(text);
	free(path);
	return rc;
}

static void remove_run(const struct vmm_home *h, const char *file)
{
	char *path = run_path(h, file);
	unlink(path);
	free(path);
}

/* Undoes a child started and recorded in run file `file` that failed to come up: stops it (pid,
 * start as proc_stop takes them), reaps it if it ended, removes the record. The error slot keeps
 * the failure's message. */
static void undo_child(const struct vmm_home *h, pid_t pid, unsigned long long start,
		       const char *file)
{
	struct vmm_saved_error e;
	vmm_error_save(&e);
	proc_stop(pid, start);
	waitpid(pid, NULL, WNOHANG);
	remove_run(h, file);
	vmm_error_restore(&e);
}

/* Stop pasta (as recorded) and forget it. */
static int stop_pasta(const struct vmm_home *h)
{
	struct userns_info u;
	pid_t pid = 0;
	unsigned long long start = 0;
	if (read_rec(h, USERNS_PASTA_FILE, &pid, &start, &u) == 0 && proc_stop(pid, start) < 0)
		return -1;
	remove_run(h, USERNS_PASTA_FILE);
	remove_run(h, USERNS_PASTA_LOG);
	return 0;
}

/* Everything: pasta, the holder (and with it the namespace), their files. */
static int stop_all(const struct vmm_home *h)
{
	pid_t pid = 0;
	unsigned long long start = 0;
	if (stop_pasta(h) < 0)
		return -1;
	if (read_rec(h, USERNS_STATE_FILE, &pid, &start, NULL) == 0 && proc_stop(pid, start) < 0)
		return -1;
	remove_run(h, USERNS_STATE_FILE);
	return 0;
}

#define MAX_PORTS (USERNS_PORTS_MAX / 2)

/* pasta's lists back into forwards (their host side); returns how many (at most MAX_PORTS). */
static size_t parse_ports(const char *tcp, const char *udp, struct vmm_forward *v)
{
	size_t n = 0;
	const char *lists[2] = { tcp, udp };
	for (int k = 0; k < 2; k++) {
		char copy[USERNS_PORTS_MAX], *save = NULL;
		snprintf(copy, sizeof(copy), "%s", lists[k]);
		for (char *e = strtok_r(copy, ",", &save); e && n < MAX_PORTS;
		     e = strtok_r(NULL, ",", &save)) {
			char *slash = strchr(e, '/');
			uint32_t a = 0;
			if (slash && (*slash = '\0', util_parse_ipv4("pasta", e, &a) < 0))
				continue;
			unsigned long port = strtoul(slash ? slash + 1 : e, NULL, 10);
			if (port > 0 && port < 65536)
				v[n++] = (struct vmm_forward){ .proto = k ? IPPROTO_UDP : IPPROTO_TCP,
							       .host_port = (uint16_t)port,
							       .addr = a };
		}
	}
	vmm_error_clear();
	return n;
}

/* pasta's ports are the forwards', not taken from them (forward_set_own). */
static void own_ports(const char *tcp, const char *udp)
{
	struct vmm_forward v[MAX_PORTS];
	forward_set_own(v, parse_ports(tcp, udp, v));
}

/* What runs now; a holder that ended takes the namespace's records with it. */
static int info_locked(const struct vmm_home *h, struct userns_info *u)
{
	pid_t pid = 0;
	unsigned long long start = 0;
	memset(u, 0, sizeof(*u));
	if (read_rec(h, USERNS_STATE_FILE, &pid, &start, NULL) == 0 && proc_start_time(pid) == start)
		u->holder = pid;
	if (!u->holder) {
		char *state = run_path(h, USERNS_STATE_FILE), *journal = run_path(h, JOURNAL_FILE);
		bool had = util_exists(state);
		free(state);
		if (stop_all(h) < 0) {
			free(journal);
			return -1;
		}
		if (had) /* what the journal recorded was inside the namespace, gone with it */
			unlink(journal);
		free(journal);
		if (had)
			vmm_notice("net: the namespace of an earlier net up is gone (its holder, pid %ld, "
				   "ended): its run state removed", (long)pid);
		return 0;
	}
	struct userns_info ports;
	if (read_rec(h, USERNS_PASTA_FILE, &pid, &start, &ports) == 0 && proc_start_time(pid) == start) {
		u->pasta = pid;
		memcpy(u->tcp, ports.tcp, sizeof(u->tcp));
		memcpy(u->udp, ports.udp, sizeof(u->udp));
		own_ports(u->tcp, u->udp); /* pasta's ports are the forwards', not taken from them */
	}
	return 0;
}

static int lock_ns(const struct vmm_home *h)
{
	char *path = run_path(h, "netns.lock");
	int fd = util_lock(path);
	free(path);
	return fd;
}

int userns_info(const struct vmm_home *h, struct userns_info *u)
{
	int lock = lock_ns(h);
	if (lock < 0)
		return -1;
	int rc = info_locked(h, u);
	close(lock);
	return rc;
}

/* ---- starting them ---- */


/* Read the holder's answer on fd (up to READY_MS). */
static int holder_answer(int fd, pid_t pid)
{
	char buf[600];
	size_t got = 0;
	uint64_t end = util_now_ms() + READY_MS;
	for (;;) {
		ssize_t r = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r < 0 && errno == EAGAIN && util_now_ms() < end && got < sizeof(buf) - 1) {
			sleep_ms(10);
			continue;
		}
		break;
	}
	buf[got] = '\0';
	if (!strcmp(buf, "ok"))
		return 0;
	return vmm_fail("net: the namespace holder (pid %ld): %s", (long)pid,
			got ? buf : "ended without an answer");
}

static int start_holder(const struct vmm_home *h, pid_t *out)
{
	int p[2] = { -1, -1 };
	pid_t pid = 0;
	char *argv[] = { USERNS_HOLDER_NAME, USERNS_HOLDER_CMD, h->run, NULL };
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return vmm_fail("pipe: %s", util_strerror(errno));
	int rc = proc_spawn_detached("/proc/self/exe", argv, -1, p[1], &pid);
	close(p[1]);
	unsigned long long start = rc == 0 ? proc_start_time(pid) : 0;
	/* recorded at once: a vmm killed now leaves a holder the next command finds */
	if (rc == 0 && (!start || write_rec(h, USERNS_STATE_FILE, pid, start, NULL, NULL) < 0))
		rc = start ? -1 : vmm_fail("net: the namespace holder (pid %ld) ended at once",
					   (long)pid);
	if (rc == 0)
		rc = holder_answer(p[0], pid);
	close(p[0]);
	if (rc < 0 && pid > 0)
		undo_child(h, pid, start, USERNS_STATE_FILE);
	*out = pid;
	return rc;
}

/* One of pasta's forwarded ports: "8080", or "192.0.2.1/8080" when bound to an address. */
struct port_ent {
	uint32_t addr;
	uint16_t port;
};

static int port_cmp(const void *a, const void *b)
{
	const struct port_ent *x = a, *y = b;
	if (x->port != y->port)
		return (int)x->port - (int)y->port;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* pasta's list of the guests' forwards of one protocol (those with an address: on the
 * bridge), each entry its own -t/-u: "8080,192.0.2.1/9090" (sorted), or "none". A port another
 * host process holds is left out (announced with notice). */
static void ports_text(const struct vmm_profile *g, size_t n, int proto, bool notice, char *out,
		       size_t len)
{
	size_t total = 0, k = 0, used = 0;
	for (size_t i = 0; i < n; i++)
		total += g[i].address ? g[i].n_forwards : 0;
	struct port_ent *v = calloc(total + 1, sizeof(*v));
	if (!v)
		abort();
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; g[i].address && j < g[i].n_forwards; j++) {
			const struct vmm_forward *f = &g[i].forwards[j];
			struct forward_listener who;
			if (f->proto != proto)
				continue;
			/* pasta cannot bind a port a host process holds (and would exit): left out,
			 * as net up leaves out such a forward on the host's own bridge */
			if (forward_listener(f, &who) == 1) {
				if (notice)
					vmm_notice("forward \"%s:%u\" of %s: not forwarded: the host port "
						   "is in use by %s", profile_forward_proto(proto),
						   (unsigned)f->host_port, g[i].name,
						   who.name[0] ? who.name : "a host process");
				continue;
			}
			v[k++] = (struct port_ent){ f->addr, f->host_port };
		}
	qsort(v, k, sizeof(*v), port_cmp);
	snprintf(out, len, "none");
	for (size_t i = 0; i < k; i++) {
		char a[16] = "";
		if (i && !port_cmp(&v[i], &v[i - 1]))
			continue;
		if (v[i].addr)
			util_format_ipv4(v[i].addr, a);
		int w = snprintf(out + used, len - used, "%s%s%s%u", used ? "," : "", a,
				 *a ? "/" : "", (unsigned)v[i].port);
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
	free(v);
}

void userns_ports(const struct vmm_profile *guests, size_t n_guests, char tcp[USERNS_PORTS_MAX],
		  char udp[USERNS_PORTS_MAX])
{
	ports_text(guests, n_guests, IPPROTO_TCP, false, tcp, USERNS_PORTS_MAX);
	ports_text(guests, n_guests, IPPROTO_UDP, false, udp, USERNS_PORTS_MAX);
}


int userns_port_floor(void)
{
	int v = util_read_int(PORT_FLOOR_SYSCTL);
	vmm_error_clear();
	return v < 0 ? 1024 : v;
}

int userns_check_ports(const struct vmm_profile *g, size_t n)
{
	int floor = userns_port_floor();
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < g[i].n_forwards; j++) {
			const struct vmm_forward *f = &g[i].forwards[j];
			if (f->host_port >= floor)
				continue;
			return vmm_invalid("%s: forward %s:%u: without root, host ports below %d "
					   "cannot be forwarded on this host (net.ipv4.ip_"
					   "unprivileged_port_start); use a port from %d up, or root's "
					   "host bridge",
					   g[i].name, profile_forward_proto(f->proto),
					   (unsigned)f->host_port, floor, floor);
		}
	return 0;
}

/* Is one of this process's groups in the host's net.ipv4.ping_group_range? *range gets it. */
static bool ping_allowed(char *range, size_t len)
{
	char *text = util_read_file("/proc/sys/net/ipv4/ping_group_range", NULL);
	unsigned long lo = 1, hi = 0;
	gid_t g[64];
	vmm_error_clear();
	if (text && sscanf(text, "%lu %lu", &lo, &hi) == 2)
		snprintf(range, len, "%lu %lu", lo, hi);
	else
		snprintf(range, len, "unknown");
	free(text);
	int n = getgroups(ARRAY_SIZE(g) - 1, g);
	if (n < 0)
		n = 0;
	g[n++] = getegid();
	for (int i = 0; i < n; i++)
		if (g[i] >= lo && g[i] <= hi)
			return true;
	return false;
}

int userns_notes(char ***notes, size_t *n)
{
	char range[64];
	char *v[4];
	size_t k = 0;
	if (!ping_allowed(range, sizeof(range)))
		v[k++] = util_fmt("guests' ping to the outside needs the host's "
				  "net.ipv4.ping_group_range (now \"%s\") to include your group "
				  "%u (pasta uses ping sockets); TCP and UDP work regardless",
				  range, (unsigned)getegid());
	v[k++] = util_fmt("without root: host ports below %d cannot be forwarded "
			  "(net.ipv4.ip_unprivileged_port_start); no dnsmasq (DHCP, names) runs in "
			  "your own namespace: the guests keep their seed's addresses",
			  userns_port_floor());
	v[k++] = util_fmt("this bridge is in a network namespace of your own: the host reaches the "
			  "guests through their forwards, vmm ssh and --wait from inside; the host "
			  "bridge itself: as root, vmm net up in the default home");
	*notes = calloc(k, sizeof(**notes));
	if (!*notes)
		abort();
	memcpy(*notes, v, k * sizeof(*v));
	*n = k;
	return 0;
}

/* The last line pasta wrote (for a message). */
static void pasta_last_line(const struct vmm_home *h, char *buf, size_t len)
{
	char *path = run_path(h, USERNS_PASTA_LOG);
	char *text = util_read_file(path, NULL);
	free(path);
	vmm_error_clear();
	buf[0] = '\0';
	if (!text)
		return;
	size_t n = strlen(text);
	while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		text[--n] = '\0';
	char *l = strrchr(text, '\n');
	snprintf(buf, len, "%s", l ? l + 1 : text);
	free(text);
}

/* Inside: has pasta given the namespace its default route? */
static int has_route(void *arg, void *out, int *fd)
{
	struct nl_sock *sk = link_nl_open(NULL);
	char dev[IF_NAMESIZE] = "";
	(void)arg;
	(void)fd;
	if (!sk)
		return -1;
	link_default_uplink(sk, dev);
	nl_socket_free(sk);
	*(int *)out = dev[0] != '\0';
	return 0;
}

/* Until pasta has configured the namespace and listens on the TCP ports of its list. */
static int pasta_ready(const struct vmm_home *h, pid_t pid, unsigned long long start,
		       const char *tcp)
{
	struct vmm_forward v[MAX_PORTS];
	size_t n = parse_ports(tcp, "none", v);
	uint64_t end = util_now_ms() + READY_MS;
	char line[512];
	for (;;) {
		int route = 0;
		if (proc_start_time(pid) != start) {
			pasta_last_line(h, line, sizeof(line));
			return vmm_fail("net: pasta ended: %s", *line ? line : "no message");
		}
		if (userns_call(h, has_route, NULL, &route, sizeof(route), NULL) < 0)
			return -1;
		bool ok = route;
		for (size_t i = 0; ok && i < n; i++) {
			struct forward_listener who;
			ok = forward_listener(&v[i], &who) == 1;
		}
		if (ok)
			return 0;
		if (util_now_ms() >= end)
			return vmm_fail("net: pasta (pid %ld) did not connect the namespace within %d s",
					(long)pid, READY_MS / 1000);
		sleep_ms(30);
	}
}

/* pasta's argv: one -t/-u per entry of the lists (strtok'd in place), its PID target last. */
static char **pasta_argv(char *tcp, char *udp, char *target)
{
	size_t cap = 16 + 2 * (strlen(tcp) + strlen(udp)), n = 0;
	char **v = calloc(cap, sizeof(*v)), *save = NULL;
	if (!v)
		abort();
	/* --no-map-gw: the gateway stays the LAN's (else pasta answers for it, and guests cannot
	 * reach a LAN host that is the gateway); -T/-U none: nothing from the namespace to the
	 * host's own ports; -t/-u: only the forwards' ports (their default is every bound port) */
	const char *head[] = { "pasta", "--config-net", "--no-map-gw", "-q", "-f", "-T", "none",
			       "-U", "none" };
	for (size_t i = 0; i < ARRAY_SIZE(head); i++)
		v[n++] = (char *)head[i];
	for (char *e = strtok_r(tcp, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
		v[n++] = "-t";
		v[n++] = e;
	}
	for (char *e = strtok_r(udp, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
		v[n++] = "-u";
		v[n++] = e;
	}
	v[n++] = target;
	return v;
}

static int start_pasta(const struct vmm_home *h, pid_t holder, const char *tcp, const char *udp)
{
	char t2[USERNS_PORTS_MAX], u2[USERNS_PORTS_MAX], target[24];
	memcpy(t2, tcp, sizeof(t2));
	memcpy(u2, udp, sizeof(u2));
	snprintf(target, sizeof(target), "%ld", (long)holder);
	char **argv = pasta_argv(t2, u2, target);
	char *path = util_which("pasta"), *log = run_path(h, USERNS_PASTA_LOG);
	pid_t pid = 0;
	unsigned long long start = 0;
	int rc = -1, fd = -1;
	if (!path) {
		vmm_fail("net: pasta: not found (install the passt package)");
		goto out;
	}
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		vmm_fail("%s: %s", log, util_strerror(errno));
		goto out;
	}
	if (proc_spawn_detached(path, argv, fd, -1, &pid) < 0)
		goto out;
	start = proc_start_time(pid);
	if (start && write_rec(h, USERNS_PASTA_FILE, pid, start, tcp, udp) < 0)
		goto out;
	forward_set_own(NULL, 0); /* ready: the ports are held (by the new pasta) */
	rc = pasta_ready(h, pid, start, tcp);
	if (rc == 0)
		own_ports(tcp, udp);
out:
	if (rc < 0 && pid > 0)
		undo_child(h, pid, start, USERNS_PASTA_FILE);
	if (fd >= 0)
		close(fd);
	free(argv);
	free(path);
	free(log);
	return rc;
}

int userns_ensure(const struct vmm_home *h, const struct vmm_profile *guests, size_t n_guests,
		  bool *made_holder)
{
	struct userns_info u;
	char tcp[USERNS_PORTS_MAX], udp[USERNS_PORTS_MAX];
	int rc = -1;
	*made_holder = false;
	if (userns_check_ports(guests, n_guests) < 0)
		return -1;
	int lock = lock_ns(h);
	if (lock < 0 || info_locked(h, &u) < 0)
		goto out;
	ports_text(guests, n_guests, IPPROTO_TCP, true, tcp, sizeof(tcp));
	ports_text(guests, n_guests, IPPROTO_UDP, true, udp, sizeof(udp));
	if (!u.holder) {
		if (start_holder(h, &u.holder) < 0)
			goto out;
		*made_holder = true;
	}
	bool same = u.pasta && !strcmp(u.tcp, tcp) && !strcmp(u.udp, udp);
	if (!same && u.pasta)
		vmm_notice("net: restarting pasta (pid %ld) for the forwarded ports tcp %s, udp %s",
			   (long)u.pasta, tcp, udp);
	if (!same && (stop_pasta(h) < 0 || start_pasta(h, u.holder, tcp, udp) < 0))
		goto out;
	rc = 0;
out:
	if (rc < 0 && *made_holder) {
		struct vmm_saved_error e;
		vmm_error_save(&e);
		stop_all(h);
		vmm_error_restore(&e);
		*made_holder = false;
	}
	if (lock >= 0)
		close(lock);
	return rc;
}

int userns_stop(const struct vmm_home *h)
{
	int lock = lock_ns(h);
	if (lock < 0)
		return -1;
	int rc = stop_all(h);
	close(lock);
	return rc;
}

/* ---- entering ---- */

/* The holder's user and network namespaces, opened (and checked to be the holder's still). */
static int open_ns(const struct vmm_home *h, int *ufd, int *nfd)
{
	pid_t pid = 0;
	unsigned long long start = 0;
	char path[64];
	*ufd = *nfd = -1;
	if (read_rec(h, USERNS_STATE_FILE, &pid, &start, NULL) != 0 || proc_start_time(pid) != start)
		return vmm_fail("net: no namespace of vmm's runs for this home (vmm net up makes it)");
	snprintf(path, sizeof(path), "/proc/%ld/ns/user", (long)pid);
	*ufd = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%ld/ns/net", (long)pid);
	*nfd = open(path, O_RDONLY | O_CLOEXEC);
	if (*ufd < 0 || *nfd < 0 || proc_start_time(pid) != start) {
		int e = errno;
		if (*ufd >= 0)
			close(*ufd);
		if (*nfd >= 0)
			close(*nfd);
		*ufd = *nfd = -1;
		return vmm_fail("net: the namespace of pid %ld: %s", (long)pid, util_strerror(e));
	}
	return 0;
}

int userns_enter(const struct vmm_home *h)
{
	int ufd, nfd, rc = 0;
	if (inside)
		return 0;
	if (open_ns(h, &ufd, &nfd) < 0)
		return -1;
	if (setns(ufd, CLONE_NEWUSER) < 0 || setns(nfd, CLONE_NEWNET) < 0)
		rc = vmm_fail("net: entering the namespace: %s", util_strerror(errno));
	close(ufd);
	close(nfd);
	inside = rc == 0;
	return rc;
}

int userns_private(void)
{
	char why[512];
	if (inside)
		return 0;
	holder_unshare(why, sizeof(why));
	if (*why)
		return vmm_fail("net: a namespace of your own: %s", why);
	inside = true;
	return 0;
}

struct reply {
	int rc;
	struct vmm_saved_error err;
};

/* The child's side: enter, run fn, send the outcome (and fd) back. Never returns. */
static void call_child(const struct vmm_home *h, int sock, userns_fn fn, void *arg, void *out,
		       size_t out_len)
{
	struct reply r = { 0 };
	int fd = -1;
	r.rc = userns_enter(h) < 0 ? -1 : fn(arg, out, &fd);
	vmm_error_save(&r.err);
	struct iovec iov[2] = { { &r, sizeof(r) }, { out, out_len } };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} c;
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = out_len ? 2 : 1 };
	if (r.rc == 0 && fd >= 0) {
		memset(&c, 0, sizeof(c));
		m.msg_control = c.buf;
		m.msg_controllen = sizeof(c.buf);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	_exit(sendmsg(sock, &m, MSG_NOSIGNAL) < 0 ? 1 : 0);
}

/* The parent's side: the child's outcome (and fd). */
static int call_reply(int sock, pid_t child, void *out, size_t out_len, int *fd)
{
	struct reply r = { .rc = -1 };
	struct iovec iov[2] = { { &r, sizeof(r) }, { out, out_len } };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} c;
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = out_len ? 2 : 1, .msg_control = c.buf,
			    .msg_controllen = sizeof(c.buf) };
	ssize_t got;
	while ((got = recvmsg(sock, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
	int passed = -1;
	for (struct cmsghdr *cm = got > 0 ? CMSG_FIRSTHDR(&m) : NULL; cm; cm = CMSG_NXTHDR(&m, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			memcpy(&passed, CMSG_DATA(cm), sizeof(int));
	if (got < (ssize_t)sizeof(r)) {
		if (passed >= 0)
			close(passed);
		return vmm_fail("net: the helper in the namespace ended without an answer");
	}
	if (fd)
		*fd = passed;
	else if (passed >= 0)
		close(passed);
	return r.rc < 0 ? vmm_error_restore(&r.err) : 0;
}

int userns_call(const struct vmm_home *h, userns_fn fn, void *arg, void *out, size_t out_len,
		int *fd)
{
	int sp[2];
	if (fd)
		*fd = -1;
	if (inside) { /* already there (a child, or a process that entered) */
		int d = -1;
		int rc = fn(arg, out, &d);
		if (fd)
			*fd = d;
		else if (d >= 0)
			close(d);
		return rc;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return vmm_fail("socketpair: %s", util_strerror(errno));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(sp[0]);
		close(sp[1]);
		return vmm_fail("fork: %s", util_strerror(errno));
	}
	if (pid == 0) {
		close(sp[0]);
		call_child(h, sp[1], fn, arg, out, out_len);
	}
	close(sp[1]);
	int rc = call_reply(sp[0], pid, out, out_len, fd);
	close(sp[0]);
	return rc;
}
