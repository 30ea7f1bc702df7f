// SPDX-License-Identifier: MIT
/* helper.c: swtpm and virtiofsd beside QEMU: spawned with an argv, found by pid and start time */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmm/backend/helper.h"
#include "vmm/config/store.h"
#include "vmm/sys/error.h"
#include "vmm/sys/proc.h"
#include "vmm/sys/util.h"

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* The child: its own session, the log as stdout and stderr, the identity, then the program. */
static void child(const struct helper_spec *s, int log_fd, bool drop)
{
	const struct access_user *u = s->as;
	setsid();
	umask(077);
	int nul = open("/dev/null", O_RDWR);
	int l = fcntl(log_fd, F_DUPFD, 10);
	int k = s->pass_fd >= 0 ? fcntl(s->pass_fd, F_DUPFD, 10) : -1;
	if (nul < 0 || l < 0 || dup2(nul, 0) < 0 || dup2(l, 1) < 0 || dup2(l, 2) < 0 ||
	    (s->pass_fd >= 0 && (k < 0 || dup2(k, 3) < 0)))
		_exit(126);
	closefrom(s->pass_fd >= 0 ? 4 : 3);
	if (chdir(s->cwd ? s->cwd : "/") < 0)
		_exit(126);
	if (drop && (setgroups((size_t)u->n_groups, u->groups) < 0 ||
		     setresgid(u->gid, u->gid, u->gid) < 0 || setresuid(u->uid, u->uid, u->uid) < 0))
		_exit(126);
	execv(s->path, s->argv);
	_exit(127);
}

/* The last line of the helper's log, for the message. */
static void log_tail(const char *log, char *buf, size_t len)
{
	char *text = util_read_file(log, NULL);
	vmm_error_clear();
	snprintf(buf, len, "%s", util_last_line(text));
	free(text);
}

/* Wait for the socket (or 50 ms without one) while the child lives. 0 ready, -1 with the
 * reason. */
static int await_socket(const struct helper_spec *s, pid_t pid)
{
	uint64_t start = util_now_ms(), end = start + (uint64_t)s->timeout_ms;
	for (;;) {
		int st;
		char line[512];
		if (waitpid(pid, &st, WNOHANG) == pid) {
			log_tail(s->log, line, sizeof(line));
			return vmm_fail("%s: %s", s->what,
					*line ? line : WIFEXITED(st) && WEXITSTATUS(st) == 127
							   ? "cannot execute it"
							   : "exited at once");
		}
		/* no socket to wait for: one that lives 50 ms has at least started */
		if (s->sock ? access(s->sock, F_OK) == 0 : util_now_ms() >= start + 50)
			return 0;
		if (util_now_ms() >= end)
			return vmm_fail("%s: no socket %s after %d ms", s->what, s->sock,
					s->timeout_ms);
		sleep_ms(10);
	}
}

int helper_start(const struct helper_spec *s, pid_t *pid)
{
	*pid = 0;
	bool drop = s->as && access_drops(s->as);
	int log_fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (log_fd < 0)
		return vmm_fail("%s: %s: %s", s->what, s->log, util_strerror(errno));
	pid_t c = fork();
	if (c < 0) {
		close(log_fd);
		return vmm_fail("fork: %s", util_strerror(errno));
	}
	if (c == 0)
		child(s, log_fd, drop);
	close(log_fd);
	char *line = NULL;
	if (await_socket(s, c) < 0)
		goto fail;
	line = util_fmt("%ld %llu\n", (long)c, store_proc_starttime(c));
	if (util_write_file(s->pidfile, line, strlen(line), 0644) < 0)
		goto fail;
	free(line);
	*pid = c;
	return 0;
fail:
	free(line);
	struct vmm_saved_error e;
	vmm_error_save(&e);
	if (waitpid(c, NULL, WNOHANG) == 0) {
		kill(c, SIGKILL);
		waitpid(c, NULL, 0);
	}
	if (s->sock)
		unlink(s->sock);
	return vmm_error_restore(&e);
}

/* The pid a pid file names, when that process still runs with the recorded start time. */
static pid_t live_pid(const char *pidfile)
{
	char *text = util_read_file(pidfile, NULL);
	long pid = 0;
	unsigned long long t = 0;
	vmm_error_clear();
	if (!text)
		return 0;
	int n = sscanf(text, "%ld %llu", &pid, &t);
	free(text);
	if (n != 2 || pid <= 0 || pid > INT_MAX || !proc_is((pid_t)pid, t))
		return 0;
	return (pid_t)pid;
}

bool helper_running(const char *pidfile)
{
	return live_pid(pidfile) > 0;
}

int helper_stop(const char *pidfile, int timeout_ms, bool *was_running)
{
	pid_t pid = live_pid(pidfile);
	if (was_running)
		*was_running = pid > 0;
	if (pid > 0) {
		kill(pid, SIGTERM);
		uint64_t end = util_now_ms() + (uint64_t)timeout_ms;
		while (live_pid(pidfile) == pid && util_now_ms() < end) {
			waitpid(pid, NULL, WNOHANG); /* reap it when it is this process's child */
			sleep_ms(10);
		}
		if (live_pid(pidfile) == pid) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, WNOHANG);
		}
	}
	if (unlink(pidfile) < 0 && errno != ENOENT)
		return vmm_fail("%s: %s", pidfile, util_strerror(errno));
	return 0;
}
