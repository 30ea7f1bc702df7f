/* SPDX-License-Identifier: MIT */
/* helper.h: the daemons beside a guest's QEMU (swtpm, virtiofsd): started by pid, stopped by pid */
#ifndef VMM_HELPER_H
#define VMM_HELPER_H

#include <stdbool.h>
#include <sys/types.h>

#include "vmm/sys/access.h"

struct helper_spec {
	const char *what;         /* "swtpm", "virtiofsd share T": for messages */
	const char *path;         /* the program (absolute) */
	char *const *argv;        /* its argv (argv[0] its name) */
	const char *sock;         /* the unix socket it listens on once ready (NULL: not waited for) */
	int pass_fd;              /* a descriptor it gets as fd 3 (-1: none) */
	const char *cwd;          /* its working folder, entered before the identity changes (NULL:
				   * /): a user reaches its files there without searching above */
	const char *pidfile;      /* written with "PID STARTTIME\n" once it is ready */
	const char *log;          /* its stdout and stderr (appended) */
	const struct access_user *as; /* run as this user (when vmm is root); NULL: as vmm */
	int timeout_ms;           /* for the socket to appear */
};

/*
 * Start the helper in its own session (stdin /dev/null, umask 077, no other descriptor than
 * s->pass_fd as 3), in s->cwd, as s->as when given, and wait until s->sock exists. Then its pid
 * and start time (store_proc_starttime) go to s->pidfile and *pid. When it exits first, or the
 * socket does not come: -1 with "WHAT: LAST LINE OF ITS LOG" and nothing of it left running.
 */
int helper_start(const struct helper_spec *s, pid_t *pid);

/*
 * Stop the helper a pid file names: only when that pid still runs with the start time recorded
 * (a recycled pid is left alone); SIGTERM, then SIGKILL after timeout_ms. The pid file goes.
 * A missing pid file is success. *was_running (may be NULL) says whether it still ran.
 */
int helper_stop(const char *pidfile, int timeout_ms, bool *was_running);

/* Does the helper a pid file names still run (same pid and start time)? */
bool helper_running(const char *pidfile);

#endif
