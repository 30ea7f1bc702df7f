// SPDX-License-Identifier: MIT
/* qemu.c: the QEMU backend: spawning (no shell), QMP readiness, stop, status, console */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <linux/if_tun.h>
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
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "vmm/sys/access.h"
#include "vmm/backend/qemu_spawn.h"
#include "vmm/sys/error.h"
#include "vmm/backend/qemu.h"
#include "vmm/backend/passt.h"
#include "vmm/backend/qmp.h"
#include "vmm/backend/qemu_devices.h"
#include "vmm/backend/qemu_snapshot.h"
#include "vmm/backend/swtpm.h"
#include "vmm/backend/virtiofsd.h"
#include "vmm/storage/seed.h"
#include "vmm/sys/util.h"
#include "vmm/config/validate.h"

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

/* Wait up to ms for the process behind pidfd to end (the pidfd polls readable). */
static bool wait_gone(int pidfd, int ms)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	uint64_t end = util_now_ms() + (uint64_t)ms;
	for (;;) {
		uint64_t now = util_now_ms();
		int r = poll(&pfd, 1, now >= end ? 0 : (int)(end - now));
		if (r > 0)
			return true;
		if (r == 0 || errno != EINTR)
			return false;
	}
}

static int signal_pidfd(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

/* Forget a guest's run state (run/NAME, removed without following anything); its tap is the
 * lifecycle's. */
static int cleanup_run(const struct vmm_home *h, const struct vmm_profile *p)
{
	/* what ran beside QEMU (swtpm, virtiofsd) goes with it, unless it crashed */
	char *dir = store_run_dir(h, p->name);
	qemu_devices_stop(dir);
	free(dir);
	return store_run_remove(h, p->name);
}

/* A run state file: what it records (a running QEMU, its tap) does not survive a reboot, so it
 * is not fsync'ed (atomic, and outliving the process, is all it needs). */
static int write_run(const struct vmm_home *h, const char *name, const char *file, const char *s)
{
	char *path = run_file(h, name, file);
	int rc = util_write_file_volatile(path, s, strlen(s), 0600);
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
	const char *l = util_last_line(text);
	const char *pfx = QEMU_BINARY ": ";
	if (!strncmp(l, pfx, strlen(pfx)))
		l += strlen(pfx);
	snprintf(buf, len, "%s", l);
}

static int set_vnc_password(struct qmp *q, const char *pw)
{
	json_object *args = json_object_new_object();
	json_object_object_add(args, "password", json_object_new_string(pw));
	int rc = qmp_execute(q, "change-vnc-password", args, NULL, 5000);
	json_object_put(args);
	return rc;
}

/* The files QEMU will get, checked (opened the safe way, the backing chain read) and closed;
 * and the account vmm, refused when it is more than a system account. */
static int check_open(const struct vmm_home *h, const struct vmm_profile *p,
		      const struct store_guest_files *f)
{
	struct qemu_spawn s;
	struct access_user u;
	bool made;
	char *seed = store_seed_path(h, p->name);
	qemu_spawn_init(&s);
	int rc = qemu_spawn_files(h, p, f, seed, NULL, false, &s);
	qemu_spawn_close(&s);
	free(seed);
	if (rc == 0 && geteuid() == 0 && getpwnam(ACCESS_QEMU_USER))
		rc = access_qemu_user(&u, &made) < 0 ? vmm_error_prefix("%s", p->name) : 0;
	return rc;
}

int qemu_preflight(const struct vmm_home *h, const struct vmm_profile *p,
		   const struct vmm_start_opts *o)
{
	struct store_guest_files f;
	struct qemu_devices dev = { 0 };
	char *swtpm = p->tpm ? util_which(SWTPM_BINARY) : NULL;
	int rc = check_files(h, p, o, &f);
	if (rc == 0)
		rc = check_open(h, p, &f);
	/* the firmware's files, the shares' folders, swtpm: before anything changes */
	if (rc == 0)
		rc = qemu_devices_resolve(h, p, false, &dev);
	if (rc == 0 && p->tpm && !swtpm)
		rc = vmm_fail("%s: " SWTPM_BINARY ": not found (install the swtpm package)", p->name);
	qemu_devices_free(&dev);
	store_guest_files_free(&f);
	free(swtpm);
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
	vmm_error_clear();
	return 0;
}

static int qemu_where(const struct vmm_profile *p, char *host, size_t len)
{
	(void)p;
	snprintf(host, len, "local");
	return 0;
}

/* One helper's line for the plan, appended to *text; argv (malloc'd) is freed. */
static void plan_line(char **text, char **argv)
{
	char *line = qemu_argv_line(argv), *t = *text;
	*text = util_fmt("%s%s\n", t, line);
	free(t);
	free(line);
	util_argv_free(argv);
}

/* The helpers a person starts before QEMU (each on the socket the by-path argv names): the
 * guest's passt, swtpm, a virtiofsd per virtiofs share. "" when none. */
static char *plan_helpers(const struct vmm_home *h, const struct vmm_profile *p,
			  const char *run_dir, const struct qemu_devices *dev)
{
	char *text = util_strdup("");
	if (profile_net_user(p)) {
		char *sock = util_fmt("%s/" PASST_SOCK, run_dir);
		plan_line(&text, passt_argv_at(p, sock));
		free(sock);
	}
	if (dev->tpm) {
		char *state = swtpm_state_dir(h, p->name), *sock = util_fmt("%s/" SWTPM_SOCK, run_dir);
		plan_line(&text, swtpm_argv(state, sock));
		free(sock);
		free(state);
	}
	for (size_t i = 0; i < dev->n_shares; i++) {
		if (dev->shares[i].kind != SHARE_VIRTIOFS)
			continue;
		char *sock = virtiofsd_sock(run_dir, dev->shares[i].s.tag);
		plan_line(&text, virtiofsd_argv(sock, dev->shares[i].s.dir, true));
		free(sock);
	}
	return text;
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
	struct qemu_spawn s;
	struct qemu_devices dev = { 0 };
	qemu_spawn_init(&s);
	int rc = qemu_spawn_files(h, p, &f, seed, dir, false, &s);
	if (rc == 0)
		rc = qemu_devices_resolve(h, p, false, &dev);
	s.files.dev = &dev;
	s.files.by_path = true; /* what a person types: paths, the tap by name */
	s.files.tap = p->tap;
	if (rc == 0) {
		char **argv = qemu_argv(p, &hc, &s.files);
		char *helpers = plan_helpers(h, p, dir, &dev);
		char *line = qemu_argv_line(argv);
		*text = util_fmt("%s%s\n", helpers, line);
		free(line);
		free(helpers);
		util_argv_free(argv);
	}
	qemu_spawn_close(&s);
	qemu_devices_free(&dev);
	free(seed);
	free(dir);
	store_guest_files_free(&f);
	return rc;
}

static int qemu_status(const struct vmm_home *h, const struct vmm_profile *p,
		       struct vmm_status *st);

/* QEMU is up (QMP answers): wait until the guest runs, then set the VNC password (or none). */
static int await_running(const struct vmm_profile *p, const char *vnc_pw, struct qmp **q)
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
	if (vnc_pw && set_vnc_password(*q, vnc_pw) < 0)
		return -1;
	return 0;
}

/* QEMU's exit, said with the last line of its log. */
static int qemu_died(const struct vmm_home *h, const struct vmm_profile *p)
{
	char *log = run_file(h, p->name, QEMU_LOG);
	char *text = util_read_file(log, NULL);
	char line[512];
	last_line(text, line, sizeof(line));
	vmm_fail("%s: " QEMU_BINARY " failed: %s", p->name, *line ? line : "exited at once");
	free(text);
	free(log);
	return -1;
}

/* A connection to the QMP socket vmm listens on: it waits in the backlog until QEMU accepts. */
static int qmp_dial(const struct vmm_home *h, const struct vmm_profile *p)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *sock = run_file(h, p->name, QEMU_QMP_SOCK);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		vmm_fail("%s: %s", sock, util_strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	free(sock);
	return fd;
}

/* Wait until QEMU greets on QMP (one connection, made at once), or fails (its log's last line
 * says why). */
static int wait_qmp(const struct vmm_home *h, const struct vmm_profile *p, pid_t pid,
		    struct qmp **q)
{
	uint64_t end = util_now_ms() + 30000;
	int fd = qmp_dial(h, p), st;
	while (fd >= 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, 50) > 0 && qmp_open_fd(fd, 10000, q) == 0) /* it owns fd */
			return 0;
		if (pfd.revents) { /* closed: QEMU is going, its log says why */
			uint64_t gone = util_now_ms() + 2000;
			while (waitpid(pid, &st, WNOHANG) == 0 && util_now_ms() < gone)
				sleep_ms(20);
			return kill(pid, 0) < 0 ? qemu_died(h, p) : -1;
		}
		if (waitpid(pid, &st, WNOHANG) == pid) {
			close(fd);
			return qemu_died(h, p);
		}
		if (util_now_ms() >= end) {
			close(fd);
			return vmm_fail("%s: QEMU (pid %ld) does not answer on QMP", p->name,
					(long)pid);
		}
	}
	return -1;
}

/* The run state, QEMU's user, its folder for the VNC socket, vhost-net; run/NAME is made here
 * (the tap is the lifecycle's, tap_fd). */
static int prepare_spawn(const struct vmm_home *h, const struct vmm_profile *p,
			 const struct qemu_host *hc, const char *dir, int tap_fd,
			 struct qemu_spawn *s)
{
	bool vnc_sock = p->vnc_display != VMM_VNC_NONE && !profile_vnc_tcp(p);
	if (write_run(h, p->name, QEMU_TAP_FILE, p->tap) < 0 ||
	    write_run(h, p->name, QEMU_BACKEND_FILE, "qemu") < 0 ||
	    qemu_spawn_run(dir, s) < 0 || qemu_spawn_user(dir, s) < 0 ||
	    (vnc_sock && qemu_spawn_vnc_dir(dir, s) < 0))
		return -1;
	/* the NIC: network = "user", QEMU's end of the guest's own passt (it ends when QEMU
	 * closes it, or when this start fails and the descriptor is closed); else the tap */
	if (profile_net_user(p))
		return passt_start(dir, p, &s->fd[QEMU_TAP_FD]);
	if (tap_fd < 0)
		return vmm_fail("%s: tap %s: not open (the lifecycle opens it for QEMU)", p->name,
				p->tap);
	if ((s->fd[QEMU_TAP_FD] = fcntl(tap_fd, F_DUPFD_CLOEXEC, 3)) < 0)
		return vmm_fail("%s: tap %s: %s", p->name, p->tap, util_strerror(errno));
	if (hc->vhost && (s->fd[QEMU_VHOST_FD] = open("/dev/vhost-net", O_RDWR | O_CLOEXEC)) < 0)
		return vmm_fail("%s: /dev/vhost-net: %s (VMM_VHOST=off does without)", p->name,
				util_strerror(errno));
	return 0;
}

/* QEMU answers: the guest runs, its VNC password is set, its VNC socket linked into run/NAME. */
static int qemu_ready(const struct vmm_home *h, const struct vmm_profile *p, const char *dir,
		      const char *vnc_pw, struct qmp **q)
{
	bool vnc_sock = p->vnc_display != VMM_VNC_NONE && !profile_vnc_tcp(p);
	if (await_running(p, vnc_pw, q) < 0)
		return -1;
	if (vnc_sock && qemu_spawn_vnc_link(dir) < 0)
		return vmm_error_prefix("%s", p->name);
	(void)h;
	return 0;
}

/* Undo a start that failed: no QEMU (our own child, reaped), no run state. */
static void rollback_start(const struct vmm_home *h, const struct vmm_profile *p, struct qmp *q,
			   pid_t pid, bool made_dir)
{
	struct vmm_saved_error e;
	vmm_error_save(&e);
	if (q)
		qmp_execute(q, "quit", NULL, NULL, 2000);
	if (pid > 0 && waitpid(pid, NULL, WNOHANG) == 0) {
		uint64_t end = util_now_ms() + 2000;
		while (waitpid(pid, NULL, WNOHANG) == 0 && util_now_ms() < end)
			sleep_ms(20);
		kill(pid, SIGKILL); /* our child, not reaped yet: the pid is still ours */
		waitpid(pid, NULL, 0);
	}
	if (made_dir) {
		char *dir = store_run_dir(h, p->name);
		qemu_devices_stop(dir); /* swtpm, virtiofsd */
		free(dir);
		store_run_remove(h, p->name);
	}
	vmm_error_restore(&e);
}

static int qemu_start(const struct vmm_home *h, const struct vmm_netcfg *n,
		      const struct vmm_profile *p, const struct vmm_start_opts *o, const char *seed,
		      int tap_fd, struct vmm_status *st)
{
	struct store_guest_files f;
	struct qemu_spawn s;
	struct qemu_devices dev = { 0 };
	char *dir = store_run_dir(h, p->name), *qpath = NULL, *vnc_pw = NULL;
	char **argv = NULL;
	struct qmp *q = NULL;
	bool made_dir = false;
	int rc = -1;
	pid_t pid = 0;
	struct qemu_host hc;
	(void)n;
	qemu_probe(&hc);
	hc.vhost = hc.vhost && !profile_net_user(p); /* vhost-net is a tap's */
	qemu_spawn_init(&s);
	/* every file first (nothing is changed before they all open), then the run state: a
	 * stale one of a crashed QEMU (or a reboot) goes */
	if (check_files(h, p, o, &f) < 0 || qemu_spawn_files(h, p, &f, seed, dir, true, &s) < 0)
		goto out;
	if (store_run_create(h, p->name) < 0)
		goto out;
	made_dir = true;
	if (backend_vnc_password_make(h, p, &vnc_pw) < 0 ||
	    prepare_spawn(h, p, &hc, dir, tap_fd, &s) < 0)
		goto out;
	/* firmware, shares, TPM: their files and helpers, each as a descriptor of QEMU's */
	if (qemu_devices_resolve(h, p, true, &dev) < 0 ||
	    qemu_devices_start(h, p, dir, &dev, &s.user, &s.fd[QEMU_DEV_FD]) < 0)
		goto out;
	s.files.dev = &dev;
	argv = qemu_argv(p, &hc, &s.files);
	/* QEMU runs in its own session as vmm's child, not a daemonized grandchild: vmm's caller
	 * gets no pipe of its (a `$(vmm start x)` returns) and the sandbox allows no fork */
	if (!(qpath = util_which(QEMU_BINARY)) || (pid = qemu_spawn(qpath, argv, &s)) <= 0)
		goto out;
	if (store_pid_write(h, p->name, pid) < 0 || wait_qmp(h, p, pid, &q) < 0 ||
	    qemu_ready(h, p, dir, vnc_pw, &q) < 0)
		goto out;
	qemu_status(h, p, st);
	st->tcg = !hc.kvm;
	rc = 0;
out:
	/* QEMU holds its own copies now (or there is no QEMU); the tap's original is the
	 * caller's */
	qemu_spawn_close(&s);
	qemu_devices_free(&dev);
	if (vnc_pw)
		explicit_bzero(vnc_pw, strlen(vnc_pw));
	free(vnc_pw);
	if (rc < 0)
		rollback_start(h, p, q, pid, made_dir);
	qmp_close(q);
	util_argv_free(argv);
	store_guest_files_free(&f);
	free(qpath);
	free(dir);
	return rc;
}

/* ---- stop ---- */

/* The ways to stop QEMU, gentlest first, each given its time; every signal goes through the
 * pidfd of the process vmm started (store_pidfd), never to a bare pid. */
static enum vmm_stop_end stop_process(struct qmp *q, int pidfd, bool force, int timeout_secs)
{
	/* QEMU exits after system_powerdown only when the guest powers itself off */
	if (q && !force && qmp_execute(q, "system_powerdown", NULL, NULL, 3000) == 0 &&
	    wait_gone(pidfd, timeout_secs * 1000))
		return VMM_STOP_POWEROFF;
	if (q && (qmp_execute(q, "quit", NULL, NULL, 3000), wait_gone(pidfd, 5000)))
		return VMM_STOP_QUIT;
	if (signal_pidfd(pidfd, SIGTERM) == 0 && wait_gone(pidfd, 5000))
		return VMM_STOP_TERM;
	if (signal_pidfd(pidfd, SIGKILL) == 0 && wait_gone(pidfd, 5000))
		return VMM_STOP_KILL;
	return wait_gone(pidfd, 0) ? VMM_STOP_KILL : VMM_STOP_NOT_RUNNING;
}

static int qemu_stop(const struct vmm_home *h, const struct vmm_profile *p, bool force,
		     int timeout_secs, enum vmm_stop_end *end)
{
	pid_t pid = 0;
	int pidfd = store_pidfd(h, p->name, &pid);
	*end = VMM_STOP_NOT_RUNNING;
	if (pidfd < 0)
		return cleanup_run(h, p); /* crashed, stale or never started: just forget it */
	char *sock = run_file(h, p->name, QEMU_QMP_SOCK);
	struct qmp *q = NULL;
	if (qmp_connect(sock, 3000, &q) < 0)
		q = NULL; /* fall back to signals */
	free(sock);
	vmm_error_clear();
	unsigned long long started = store_proc_starttime(pid);
	*end = stop_process(q, pidfd, force, timeout_secs);
	qmp_close(q);
	close(pidfd);
	/* it has ended; its parent (init, once vmm start left) reaps it soon: wait for that, so
	 * that the pid is free when stop returns */
	for (uint64_t reaped = util_now_ms() + 5000;
	     started && store_proc_starttime(pid) == started && util_now_ms() < reaped;)
		sleep_ms(20);
	vmm_error_clear();
	if (*end == VMM_STOP_NOT_RUNNING) {
		*end = VMM_STOP_KILL;
		return vmm_fail("%s: QEMU (pid %ld) does not go away", p->name, (long)pid);
	}
	return cleanup_run(h, p);
}

/* ---- status ---- */

static int qemu_status(const struct vmm_home *h, const struct vmm_profile *p,
		       struct vmm_status *st)
{
	memset(st, 0, sizeof(*st));
	st->state = store_state(h, p->name, &st->pid);
	snprintf(st->host, sizeof(st->host), "local");
	char *sock = backend_vnc_socket(h, p);
	snprintf(st->vnc_host, sizeof(st->vnc_host), "%s",
		 profile_vnc_tcp(p) ? profile_vnc_listen(p) : sock);
	free(sock);
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

static int qemu_console_op(const struct vmm_home *h, const struct vmm_profile *p, int idle_ms)
{
	return qemu_console(h, p, 0, 1, idle_ms);
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
	.tap_fd = true,
	.snapshot = qemu_snapshot,
};
