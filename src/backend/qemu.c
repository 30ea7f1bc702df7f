// SPDX-License-Identifier: MIT
/* qemu.c: the QEMU backend: argv builder, spawning (no shell), QMP readiness, stop, status, console */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "vmm/sys/access.h"
#include "vmm/sys/error.h"
#include "vmm/backend/qemu.h"
#include "vmm/backend/qmp.h"
#include "vmm/storage/seed.h"
#include "vmm/net/tap.h"
#include "vmm/sys/util.h"

/* ---- probing ---- */

static bool cpu_has_virt(void)
{
	char *info = util_read_file("/proc/cpuinfo", NULL);
	vmm_error_clear();
	if (!info)
		return false;
	bool yes = false;
	for (char *l = strstr(info, "\nflags"); l && !yes; l = strstr(l + 1, "\nflags")) {
		char *end = strchr(l + 1, '\n');
		if (end)
			*end = '\0';
		yes = strstr(l, " vmx") || strstr(l, " svm");
		if (end)
			*end = '\n';
		break; /* the first CPU tells */
	}
	free(info);
	return yes;
}

static bool kvm_usable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ok = ioctl(fd, KVM_GET_API_VERSION, 0) == KVM_API_VERSION;
	close(fd);
	/* /dev/kvm without hardware virtualisation (e.g. kvm_pvm) is not something QEMU can run */
	return ok && cpu_has_virt();
}

void qemu_probe(struct qemu_host *hc)
{
	const char *a = getenv("VMM_ACCEL"), *v = getenv("VMM_VHOST");
	if (a && !strcmp(a, "kvm"))
		hc->kvm = true;
	else if (a && !strcmp(a, "tcg"))
		hc->kvm = false;
	else
		hc->kvm = kvm_usable();
	if (v && !strcmp(v, "on"))
		hc->vhost = true;
	else if (v && !strcmp(v, "off"))
		hc->vhost = false;
	else {
		int fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
		hc->vhost = fd >= 0;
		if (fd >= 0)
			close(fd);
	}
}

/* ---- argv ---- */

struct args {
	char **v;
	size_t n, cap;
};

static void add(struct args *a, char *s) /* a now owns s */
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->v = realloc(a->v, a->cap * sizeof(*a->v));
		if (!a->v)
			abort();
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

static void add2(struct args *a, const char *opt, char *val)
{
	add(a, util_strdup(opt));
	add(a, val);
}

/* QEMU option values separate keys with ',': a literal comma is written twice. */
static char *qesc(const char *s)
{
	size_t n = 0;
	for (const char *c = s; *c; c++)
		n += *c == ',' ? 2 : 1;
	char *r = malloc(n + 1), *o = r;
	if (!r)
		abort();
	for (const char *c = s; *c; c++) {
		*o++ = *c;
		if (*c == ',')
			*o++ = ',';
	}
	*o = '\0';
	return r;
}

char **qemu_argv(const struct vmm_profile *p, const struct qemu_host *hc,
		 const struct qemu_files *f)
{
	struct args a = { 0 };
	char *e1 = NULL;
	add(&a, util_strdup(QEMU_BINARY));
	add2(&a, "-name", util_fmt("%s,process=vmm-%s", p->name, p->name));
	add2(&a, "-m", util_fmt("%u", p->memory));
	add2(&a, "-smp", util_fmt("%u", p->cpus));
	add2(&a, "-accel", util_strdup(hc->kvm ? "kvm" : "tcg"));
	if (hc->kvm)
		add2(&a, "-cpu", util_strdup("host"));
	e1 = qesc(f->disk);
	add2(&a, "-drive", util_fmt("file=%s,if=virtio,format=qcow2", e1));
	free(e1);
	if (f->iso) {
		/* first CD-ROM: the one "-boot once=d" starts from */
		e1 = qesc(f->iso);
		add2(&a, "-drive", util_fmt("file=%s,media=cdrom,readonly=on", e1));
		free(e1);
	}
	if (f->seed) {
		e1 = qesc(f->seed);
		add2(&a, "-drive", util_fmt("file=%s,media=cdrom,readonly=on", e1));
		free(e1);
	}
	if (f->iso)
		add2(&a, "-boot", util_strdup("once=d"));
	/* vmm opens the tap (and vhost-net) and hands QEMU the descriptors: QEMU needs no
	 * privilege for them once it runs as its own user. Typed by hand, QEMU opens them. */
	const char *vhost = hc->vhost ? ",vhost=on,vhostfd=" QEMU_VHOST_FD_STR : "";
	if (f->tap)
		add2(&a, "-netdev", util_fmt("tap,id=n0,ifname=%s,script=no,downscript=no%s",
					     f->tap, hc->vhost ? ",vhost=on" : ""));
	else
		add2(&a, "-netdev", util_fmt("tap,id=n0,fd=%d%s", QEMU_TAP_FD, vhost));
	add2(&a, "-device", util_fmt("virtio-net-pci,netdev=n0,mac=%s", p->mac));
	/* entropy from the host from the first boot on: sshd and cloud-init never wait for it */
	add2(&a, "-device", util_strdup("virtio-rng-pci"));
	if (p->vnc_display == VMM_VNC_NONE) {
		/* a headless server: no display, no graphics card; the serial port is the console */
		add2(&a, "-display", util_strdup("none"));
		add2(&a, "-vga", util_strdup("none"));
	} else {
		add2(&a, "-vnc", util_fmt("%s:%d%s", profile_vnc_listen(p), p->vnc_display,
					  p->vnc_password_file ? ",password=on" : ""));
	}
	e1 = qesc(f->run_dir);
	add2(&a, "-qmp", util_fmt("unix:%s/" QEMU_QMP_SOCK ",server=on,wait=off", e1));
	/* the serial port on a socket for `vmm console`, and everything it says in a log */
	add2(&a, "-chardev",
	     util_fmt("socket,id=serial0,path=%s/" QEMU_SERIAL_SOCK
		      ",server=on,wait=off,logfile=%s/" QEMU_SERIAL_LOG,
		      e1, e1));
	add2(&a, "-serial", util_strdup("chardev:serial0"));
	free(e1);
	add2(&a, "-pidfile", util_fmt("%s/" QEMU_PIDFILE, f->run_dir));
	/* QEMU's seccomp filter: no obsolete calls, no set*id, no fork/exec, no scheduler or
	 * cgroup games. (vmm itself starts QEMU as its user and in its own session: -runas and
	 * -daemonize would need exactly the set*id and fork calls this filter denies.) */
	add2(&a, "-sandbox", util_strdup(QEMU_SANDBOX));
	if (f->kernel) {
		add2(&a, "-kernel", util_strdup(f->kernel));
		if (f->initrd)
			add2(&a, "-initrd", util_strdup(f->initrd));
		if (p->append)
			add2(&a, "-append", util_strdup(p->append));
	}
	return a.v;
}

void qemu_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **s = argv; *s; s++)
		free(*s);
	free(argv);
}

static bool shell_safe(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			    "@%_+=:,./-",
			    *s))
			return false;
	return true;
}

char *qemu_argv_line(char *const argv[])
{
	size_t cap = 256, len = 0;
	char *out = malloc(cap);
	if (!out)
		abort();
	out[0] = '\0';
	for (size_t i = 0; argv[i]; i++) {
		const char *s = argv[i];
		size_t need = strlen(s) * 4 + 4;
		while (cap - len < need) {
			cap *= 2;
			out = realloc(out, cap);
			if (!out)
				abort();
		}
		if (i)
			out[len++] = ' ';
		if (shell_safe(s)) {
			memcpy(out + len, s, strlen(s));
			len += strlen(s);
		} else {
			out[len++] = '\'';
			for (; *s; s++) {
				if (*s == '\'') {
					memcpy(out + len, "'\\''", 4);
					len += 4;
				} else
					out[len++] = *s;
			}
			out[len++] = '\'';
		}
		out[len] = '\0';
	}
	return out;
}

int qemu_port_free(const char *addr, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (!addr || inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vmm_fail("socket: %s", util_strerror(errno));
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	close(fd);
	if (r == 0)
		return 1;
	if (e == EADDRINUSE)
		return 0;
	if (e == EADDRNOTAVAIL)
		return 1; /* not an address of this host: QEMU will say so */
	return vmm_fail("vnc %s:%d: %s", addr, port, util_strerror(e));
}

/* ---- run state ---- */

static char *run_file(const struct vmm_home *h, const char *name, const char *file)
{
	return util_fmt("%s/%s/%s", h->run, name, file);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Wait up to ms for pid to go away. true when it did. */
static bool wait_gone(pid_t pid, int ms)
{
	uint64_t end = util_now_ms() + (uint64_t)ms;
	while (util_pid_alive(pid)) {
		if (util_now_ms() >= end)
			return false;
		sleep_ms(25);
	}
	return true;
}

/* Forget a guest's run state (run/NAME); its tap is the lifecycle's. */
static int cleanup_run(const struct vmm_home *h, const struct vmm_profile *p)
{
	char *dir = store_run_dir(h, p->name);
	int rc = util_rm_rf(dir);
	free(dir);
	return rc;
}

/* A run state file: what it records (a running QEMU, its tap) does not survive a reboot, so it
 * is not fsync'ed (atomic, and outliving the process, is all it needs). */
static int write_run(const struct vmm_home *h, const char *name, const char *file, const char *s)
{
	char *path = run_file(h, name, file);
	int rc = util_write_file_volatile(path, s, strlen(s), 0644);
	free(path);
	return rc;
}

/* ---- start ---- */

/* Checks that need no change on the host: files and programs. */
static int check_files(const struct vmm_home *h, const struct vmm_profile *p,
		       const struct vmm_start_opts *o, struct store_guest_files *f)
{
	if (store_guest_files(h, p, o->install, f) < 0)
		return -1;
	char *q = util_which(QEMU_BINARY);
	if (!q)
		return vmm_fail(QEMU_BINARY ": not found (install the %s package)",
				util_package_for(QEMU_BINARY));
	free(q);
	return 0;
}

/* The last non-empty line of QEMU's stderr, for the message. */
static void last_line(char *text, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!text)
		return;
	size_t n = strlen(text);
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		text[--n] = '\0';
	char *l = strrchr(text, '\n');
	l = l ? l + 1 : text;
	const char *pfx = QEMU_BINARY ": ";
	if (!strncmp(l, pfx, strlen(pfx)))
		l += strlen(pfx);
	snprintf(buf, len, "%s", l);
}

static int set_vnc_password(struct qmp *q, const struct vmm_profile *p)
{
	char *pw = util_read_file(p->vnc_password_file, NULL);
	if (!pw)
		return vmm_fail("%s: vnc password file: %s", p->name, vmm_errmsg());
	pw[strcspn(pw, "\r\n")] = '\0';
	json_object *args = json_object_new_object();
	json_object_object_add(args, "password", json_object_new_string(pw));
	int rc = qmp_execute(q, "change-vnc-password", args, NULL, 5000);
	json_object_put(args);
	explicit_bzero(pw, strlen(pw));
	free(pw);
	return rc;
}

int qemu_preflight(const struct vmm_home *h, const struct vmm_profile *p,
		   const struct vmm_start_opts *o)
{
	struct store_guest_files f;
	int rc = check_files(h, p, o, &f);
	store_guest_files_free(&f);
	if (rc < 0)
		return -1;
	pid_t pid = 0;
	if (store_state(h, p->name, &pid) == VMM_RUNNING)
		return vmm_fail("%s: already running (pid %ld)", p->name, (long)pid);
	int port = profile_vnc_port(p);
	const char *listen = profile_vnc_listen(p);
	int pf = port == 0 ? 1 : qemu_port_free(listen, port);
	if (pf < 0)
		return -1;
	if (pf == 0)
		return vmm_fail("%s: vnc %s:%d: port in use by another process (vmm set %s vnc=:N)",
				p->name, listen, port, p->name);
	if (tap_in_use(p->tap) == 1)
		return vmm_fail("%s: tap %s: held open by another process", p->name, p->tap);
	vmm_error_clear();
	return 0;
}

static int qemu_where(const struct vmm_profile *p, char *host, size_t len)
{
	(void)p;
	snprintf(host, len, "local");
	return 0;
}

static int qemu_plan(const struct vmm_home *h, const struct vmm_netcfg *n,
		     const struct vmm_profile *p, const struct vmm_start_opts *o, char **text)
{
	struct store_guest_files f;
	struct qemu_host hc;
	(void)n;
	*text = NULL;
	qemu_probe(&hc);
	if (check_files(h, p, o, &f) < 0) {
		store_guest_files_free(&f);
		return -1;
	}
	char *seed = store_seed_path(h, p->name), *dir = store_run_dir(h, p->name);
	/* the tap by name: a line that works when typed (vmm's own fd 3 would not be there) */
	struct qemu_files qf = { f.disk, seed, f.iso, f.kernel, f.initrd, dir,
				 p->tap[0] ? p->tap : NULL };
	char **argv = qemu_argv(p, &hc, &qf);
	char *line = qemu_argv_line(argv);
	*text = util_fmt("%s\n", line);
	free(line);
	qemu_argv_free(argv);
	free(seed);
	free(dir);
	store_guest_files_free(&f);
	return 0;
}

static int qemu_status(const struct vmm_home *h, const struct vmm_profile *p,
		       struct vmm_status *st);

/* QEMU is up (QMP answers): wait until the guest runs, then set the VNC password. */
static int await_running(const struct vmm_home *h, const struct vmm_profile *p, struct qmp **q)
{
	bool running = false;
	char status_s[64] = "";
	for (int i = 0; i < 100 && !running; i++) {
		if (qmp_query_status(*q, &running, status_s, sizeof(status_s), 5000) < 0)
			return -1;
		if (!running)
			sleep_ms(20);
	}
	if (!running)
		return vmm_fail("%s: QEMU started but the guest is %s", p->name, status_s);
	if (p->vnc_password_file && set_vnc_password(*q, p) < 0)
		return -1;
	return 0;
}

/* A queue of the (existing, enslaved) tap for QEMU: vmm attaches, QEMU inherits the fd. */
static int tap_open(const char *tap)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return vmm_fail("tap %s: /dev/net/tun: %s", tap, util_strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tap);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		close(fd);
		return vmm_fail("tap %s: %s", tap,
				e == EBUSY ? "held open by another process" : util_strerror(e));
	}
	return fd;
}

/*
 * Start QEMU in its own session, stdin /dev/null, stdout and stderr to log_fd, the tap as fd 3
 * and vhost-net as fd 4, nothing else; as user u when vmm is root (the child drops its
 * groups, gid and uid before execve: QEMU's sandbox then denies any way back).
 */
static pid_t spawn_qemu(const char *path, char *const argv[], int tap_fd, int vhost_fd,
			int log_fd, const struct access_user *u)
{
	bool drop = access_drops(u);
	pid_t pid = fork();
	if (pid < 0) {
		vmm_fail("fork: %s", util_strerror(errno));
		return -1;
	}
	if (pid > 0)
		return pid;
	/* the child: only async-signal-safe calls from here */
	setsid();
	umask(077);
	int nul = open("/dev/null", O_RDWR);
	int t = fcntl(tap_fd, F_DUPFD, 10), l = fcntl(log_fd, F_DUPFD, 10);
	int v = vhost_fd >= 0 ? fcntl(vhost_fd, F_DUPFD, 10) : -1;
	if (nul < 0 || t < 0 || l < 0 || (vhost_fd >= 0 && v < 0) || dup2(nul, 0) < 0 ||
	    dup2(l, 1) < 0 || dup2(l, 2) < 0 || dup2(t, QEMU_TAP_FD) < 0 ||
	    (v >= 0 && dup2(v, QEMU_VHOST_FD) < 0))
		_exit(126);
	closefrom(v >= 0 ? QEMU_VHOST_FD + 1 : QEMU_TAP_FD + 1);
	if (drop && (setgroups((size_t)u->n_groups, u->groups) < 0 ||
		     setresgid(u->gid, u->gid, u->gid) < 0 || setresuid(u->uid, u->uid, u->uid) < 0)) {
		static const char msg[] = "vmm: cannot take the identity of QEMU's user\n";
		if (write(2, msg, sizeof(msg) - 1) < 0)
			_exit(126);
		_exit(126);
	}
	execve(path, argv, environ);
	static const char msg[] = QEMU_BINARY ": cannot execute it\n";
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(127);
	_exit(127);
}

/* Wait until QEMU answers on QMP, or fails (its log's last line says why). */
static int wait_qmp(const struct vmm_home *h, const struct vmm_profile *p, pid_t pid,
		    struct qmp **q)
{
	char *sock = run_file(h, p->name, QEMU_QMP_SOCK);
	uint64_t end = util_now_ms() + 30000;
	int rc = -1;
	for (;;) {
		int st;
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid) {
			char *log = run_file(h, p->name, QEMU_LOG);
			char *text = util_read_file(log, NULL);
			char line[512];
			last_line(text, line, sizeof(line));
			vmm_fail("%s: " QEMU_BINARY " failed: %s", p->name,
				 *line ? line : "exited at once");
			free(text);
			free(log);
			break;
		}
		if (access(sock, F_OK) == 0 && qmp_connect(sock, 1000, q) == 0) {
			rc = 0;
			break;
		}
		vmm_error_clear();
		if (util_now_ms() >= end) {
			vmm_fail("%s: QEMU (pid %ld) does not answer on QMP", p->name, (long)pid);
			break;
		}
		sleep_ms(20);
	}
	free(sock);
	return rc;
}

/*
 * run/NAME holds the QMP and serial sockets: its owner, QEMU's user, alone enters (0700). That
 * user gets what it must open through ACL entries (announced); a new system user is announced.
 */
static int prepare_access(const struct vmm_home *h, const struct vmm_profile *p,
			  const struct store_guest_files *f, const char *seed, const char *dir,
			  struct access_user *u)
{
	bool made = false;
	if (access_qemu_user(u, &made) < 0)
		return -1;
	if (made)
		vmm_notice("created the system user " ACCESS_QEMU_USER " that QEMU runs as");
	if (access_drops(u) && chown(dir, u->uid, u->gid) < 0)
		return vmm_fail("%s: %s", dir, util_strerror(errno));
	if (backend_guest_access(h, p, f, seed, dir, u, "") < 0)
		return vmm_error_prefix("%s", p->name);
	return 0;
}

static int qemu_start(const struct vmm_home *h, const struct vmm_netcfg *n,
		      const struct vmm_profile *p, const struct vmm_start_opts *o, const char *seed,
		      struct vmm_status *st)
{
	struct store_guest_files f;
	char *dir = store_run_dir(h, p->name);
	char **argv = NULL;
	struct qmp *q = NULL;
	bool made_dir = false;
	int rc = -1, tap_fd = -1, vhost_fd = -1, log_fd = -1;
	pid_t pid = 0;
	struct qemu_host hc;
	struct access_user u;
	char *qpath = NULL, *logp = NULL;
	(void)n;
	qemu_probe(&hc);

	if (check_files(h, p, o, &f) < 0)
		goto out;
	/* stale state of a crashed QEMU (or a reboot) goes first */
	if (util_rm_rf(dir) < 0)
		goto out;
	if (mkdir(dir, 0700) < 0) {
		vmm_fail("%s: %s", dir, util_strerror(errno));
		goto out;
	}
	made_dir = true;
	if (write_run(h, p->name, QEMU_TAP_FILE, p->tap) < 0 ||
	    write_run(h, p->name, QEMU_BACKEND_FILE, "qemu") < 0)
		goto out;
	if (prepare_access(h, p, &f, seed, dir, &u) < 0)
		goto out;
	/* the tap: fd 3 */
	struct qemu_files qf = { f.disk, seed, f.iso, f.kernel, f.initrd, dir, NULL };
	argv = qemu_argv(p, &hc, &qf);
	qpath = util_which(QEMU_BINARY);
	logp = run_file(h, p->name, QEMU_LOG);
	if ((tap_fd = tap_open(p->tap)) < 0)
		goto out;
	if (hc.vhost && (vhost_fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC)) < 0) {
		vmm_fail("%s: /dev/vhost-net: %s (VMM_VHOST=off does without)", p->name,
			 util_strerror(errno));
		goto out;
	}
	log_fd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (log_fd < 0) {
		vmm_fail("%s: %s", logp, util_strerror(errno));
		goto out;
	}
	/* QEMU runs in its own session as vmm's child, not a daemonized grandchild: vmm's caller
	 * gets no pipe of its (a `$(vmm start x)` returns) and the sandbox allows no fork */
	if (!qpath || (pid = spawn_qemu(qpath, argv, tap_fd, vhost_fd, log_fd, &u)) <= 0)
		goto out;
	if (wait_qmp(h, p, pid, &q) < 0 || await_running(h, p, &q) < 0)
		goto out;
	qemu_status(h, p, st);
	st->tcg = !hc.kvm;
	rc = 0;
out:
	/* QEMU holds its own copies now (or there is no QEMU): the tap can go on rollback */
	if (tap_fd >= 0)
		close(tap_fd);
	if (vhost_fd >= 0)
		close(vhost_fd);
	if (log_fd >= 0)
		close(log_fd);
	free(qpath);
	free(logp);
	if (rc < 0) {
		/* roll back: no QEMU, no run state */
		struct vmm_saved_error e;
		vmm_error_save(&e);
		if (q)
			qmp_execute(q, "quit", NULL, NULL, 2000);
		if (pid > 0 && waitpid(pid, NULL, WNOHANG) == 0) {
			/* our own child: reap it */
			uint64_t end = util_now_ms() + 2000;
			while (waitpid(pid, NULL, WNOHANG) == 0 && util_now_ms() < end)
				sleep_ms(20);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		if (made_dir)
			util_rm_rf(dir);
		vmm_error_restore(&e);
	}
	qmp_close(q);
	qemu_argv_free(argv);
	store_guest_files_free(&f);
	free(dir);
	return rc;
}

/* ---- stop ---- */

static int qemu_stop(const struct vmm_home *h, const struct vmm_profile *p, bool force,
		     int timeout_secs, enum vmm_stop_end *end)
{
	pid_t pid = 0;
	enum vmm_state st = store_state(h, p->name, &pid);
	*end = VMM_STOP_NOT_RUNNING;
	if (st != VMM_RUNNING)
		return cleanup_run(h, p); /* crashed or stale: just forget it */

	char *sock = run_file(h, p->name, QEMU_QMP_SOCK);
	struct qmp *q = NULL;
	if (qmp_connect(sock, 3000, &q) < 0)
		q = NULL; /* fall back to signals */
	free(sock);
	vmm_error_clear();
	bool gone = false;
	/* QEMU exits after system_powerdown only when the guest powers itself off */
	*end = VMM_STOP_POWEROFF;
	if (q && !force && qmp_execute(q, "system_powerdown", NULL, NULL, 3000) == 0)
		gone = wait_gone(pid, timeout_secs * 1000);
	if (!gone && q) {
		*end = VMM_STOP_QUIT;
		qmp_execute(q, "quit", NULL, NULL, 3000);
		gone = wait_gone(pid, 5000);
	}
	qmp_close(q);
	if (!gone) {
		*end = VMM_STOP_TERM;
		kill(pid, SIGTERM);
		gone = wait_gone(pid, 5000);
	}
	if (!gone) {
		*end = VMM_STOP_KILL;
		kill(pid, SIGKILL);
		gone = wait_gone(pid, 5000);
	}
	vmm_error_clear();
	if (!gone)
		return vmm_fail("%s: QEMU (pid %ld) does not go away", p->name, (long)pid);
	return cleanup_run(h, p);
}

/* ---- status ---- */

static int qemu_status(const struct vmm_home *h, const struct vmm_profile *p,
		       struct vmm_status *st)
{
	memset(st, 0, sizeof(*st));
	st->state = store_state(h, p->name, &st->pid);
	snprintf(st->host, sizeof(st->host), "local");
	snprintf(st->vnc_host, sizeof(st->vnc_host), "%s",
		 profile_vnc_listen(p));
	st->vnc_port = profile_vnc_port(p);
	return 0;
}

/* ---- console ---- */

static int write_full(int fd, const char *b, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

int qemu_console(const struct vmm_home *h, const struct vmm_profile *p, int in_fd, int out_fd,
		 int idle_ms)
{
	if (store_state(h, p->name, NULL) != VMM_RUNNING)
		return vmm_fail("%s: not running", p->name);
	char *path = run_file(h, p->name, QEMU_SERIAL_SOCK);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		vmm_fail("%s: socket path too long", path);
		free(path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		vmm_fail("%s: serial console %s: %s", p->name, path, util_strerror(errno));
		if (fd >= 0)
			close(fd);
		free(path);
		return -1;
	}
	free(path);

	bool raw = util_isatty(in_fd);
	struct termios saved;
	if (raw) {
		struct termios t;
		if (tcgetattr(in_fd, &saved) < 0) {
			raw = false;
		} else {
			t = saved;
			cfmakeraw(&t);
			tcsetattr(in_fd, TCSAFLUSH, &t);
		}
	}
	bool in_open = true;
	int rc = 0;
	uint64_t last = util_now_ms();
	for (;;) {
		struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN },
					 { .fd = in_fd, .events = POLLIN } };
		int limit = idle_ms > 0 ? idle_ms : (!in_open && !raw ? 3000 : -1);
		int wait = -1;
		if (limit > 0) {
			uint64_t now = util_now_ms(), end = last + (uint64_t)limit;
			if (now >= end)
				break;
			wait = (int)(end - now);
		}
		int pr = poll(pfd, in_open ? 2 : 1, wait);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0) {
			rc = vmm_fail("console: poll: %s", util_strerror(errno));
			break;
		}
		if (pr == 0)
			continue; /* the deadline check above ends the loop */
		char buf[4096];
		if (pfd[0].revents) {
			ssize_t r = read(fd, buf, sizeof(buf));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break; /* QEMU closed the console (the guest stopped) */
			if (write_full(out_fd, buf, (size_t)r) < 0) {
				rc = vmm_fail("console: write: %s", util_strerror(errno));
				break;
			}
			last = util_now_ms();
		}
		if (in_open && pfd[1].revents) {
			ssize_t r = read(in_fd, buf, sizeof(buf));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				in_open = false;
				last = util_now_ms();
				continue;
			}
			if (raw) {
				char *esc = memchr(buf, 0x1d, (size_t)r); /* Ctrl-] */
				if (esc) {
					write_full(fd, buf, (size_t)(esc - buf));
					break;
				}
			}
			if (write_full(fd, buf, (size_t)r) < 0) {
				rc = vmm_fail("console: write: %s", util_strerror(errno));
				break;
			}
		}
	}
	if (raw)
		tcsetattr(in_fd, TCSAFLUSH, &saved);
	close(fd);
	return rc;
}

static int qemu_console_op(const struct vmm_home *h, const struct vmm_profile *p)
{
	return qemu_console(h, p, 0, 1, 0);
}

const struct vmm_backend qemu_backend = {
	.name = "qemu",
	.where = qemu_where,
	.preflight = qemu_preflight,
	.plan = qemu_plan,
	.start = qemu_start,
	.stop = qemu_stop,
	.status = qemu_status,
	.console = qemu_console_op,
};
