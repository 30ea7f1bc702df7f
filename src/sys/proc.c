// SPDX-License-Identifier: MIT
/* proc.c: processes vmm starts to outlive it (detached), and knowing them again by start time */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmm/sys/error.h"
#include "vmm/sys/proc.h"
#include "vmm/sys/util.h"

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

bool proc_stat(pid_t pid, char *state, unsigned long long *start, char *comm, size_t len)
{
	char path[64], buf[1024];
	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* "PID (COMM) STATE ...": COMM may hold spaces and parentheses; count from the last ')' */
	char *open_paren = strchr(buf, '('), *s = strrchr(buf, ')');
	if (!open_paren || !s || s < open_paren || sscanf(s + 1, " %c", state) != 1)
		return false;
	if (comm)
		snprintf(comm, len, "%.*s", (int)(s - open_paren - 1), open_paren + 1);
	for (int field = 2; s && field < 22; field++)
		s = strchr(s + 1, ' ');
	return s && sscanf(s + 1, "%llu", start) == 1;
}

unsigned long long proc_live_start(pid_t pid, char *comm, size_t len)
{
	char state;
	unsigned long long start;
	if (!proc_stat(pid, &state, &start, comm, len) || state == 'Z' || state == 'X')
		return 0;
	return start;
}

bool proc_is(pid_t pid, unsigned long long start)
{
	return start && proc_live_start(pid, NULL, 0) == start;
}

/* The start time (clock ticks after boot) of a live process of this user; 0 when it is gone, a
 * zombie, or someone else's. (/proc/PID/status, not the owner of /proc/PID: pasta makes itself
 * non-dumpable, which gives its /proc files to root.) */
unsigned long long proc_start_time(pid_t pid)
{
	char path[64];
	unsigned uid = (unsigned)-1;
	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	char *st = util_read_file(path, NULL);
	vmm_error_clear();
	const char *u = st ? strstr(st, "\nUid:") : NULL;
	bool mine = u && sscanf(u + 5, "%u", &uid) == 1 && uid == (unsigned)getuid();
	free(st);
	return mine ? proc_live_start(pid, NULL, 0) : 0;
}

/* A process recorded by us: SIGTERM, then SIGKILL; gone (or never ours) is success. */
int proc_stop(pid_t pid, unsigned long long start)
{
	if (!start || proc_start_time(pid) != start)
		return 0;
	for (int sig = 0; sig < 2; sig++) {
		kill(pid, sig ? SIGKILL : SIGTERM);
		for (int i = 0; i < 150; i++) {
			waitpid(pid, NULL, WNOHANG); /* our own child (a failed start): reap it */
			if (proc_start_time(pid) != start)
				return 0;
			sleep_ms(20);
		}
	}
	return vmm_fail("pid %ld: does not end", (long)pid);
}

/*
 * Spawn path in its own session, every signal at its default, stdin /dev/null, stdout and stderr
 * to out_fd (-1: /dev/null), keep_fd as its fd 3 (-1: none), nothing else.
 */
int proc_spawn_detached(const char *path, char *const argv[], int out_fd, int keep_fd,
			pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t all, none;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	for (int fd = 1; fd <= 2; fd++) {
		if (out_fd >= 0)
			posix_spawn_file_actions_adddup2(&fa, out_fd, fd);
		else
			posix_spawn_file_actions_addopen(&fa, fd, "/dev/null", O_WRONLY, 0);
	}
	if (keep_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, keep_fd, PROC_KEEP_FD);
	posix_spawn_file_actions_addclosefrom_np(&fa, keep_fd >= 0 ? PROC_KEEP_FD + 1 : PROC_KEEP_FD);
	posix_spawnattr_init(&at);
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF |
					      POSIX_SPAWN_SETSIGMASK);
	int e = posix_spawn(pid, path, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return e ? vmm_fail("%s: %s", argv[0], util_strerror(e)) : 0;
}
