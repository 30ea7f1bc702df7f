/* SPDX-License-Identifier: MIT */
/* proc.h: processes vmm starts to outlive it (a namespace's holder, pasta, a guest's passt), and
 * knowing them again: a pid recorded with its start time is the same process only while both
 * match (a pid can be reused) */
#ifndef VMM_PROC_H
#define VMM_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The descriptor a spawned process gets as keep_fd. */
#define PROC_KEEP_FD 3

/* /proc/PID/stat of any process: its state (field 3: 'Z' a zombie, dead and not yet reaped),
 * its start time (field 22, clock ticks after boot) and, when comm is not NULL, its name; false
 * when there is no such process. */
bool proc_stat(pid_t pid, char *state, unsigned long long *start, char *comm, size_t len);
/* The start time of pid, whoever's it is, and (comm not NULL) its name; 0 when it is gone or a
 * zombie (dead: a daemon waits for init to reap it, which a container's init may do late). */
unsigned long long proc_live_start(pid_t pid, char *comm, size_t len);
/* Is pid the live process that started at start (not a zombie, not a recycled pid; a start of 0
 * names none)? */
bool proc_is(pid_t pid, unsigned long long start);
/* The start time (clock ticks after boot, /proc/PID/stat) of a live process of this user; 0
 * when it is gone, a zombie, or another user's. */
unsigned long long proc_start_time(pid_t pid);

/* Stop a process recorded with its start time: SIGTERM, then SIGKILL (reaping it when it is
 * this process's child). Gone already, or not the one recorded (start 0 or another start
 * time), is success; -1 with the error slot set when it does not end. */
int proc_stop(pid_t pid, unsigned long long start);

/*
 * Spawn path (argv, never a shell) in its own session with every signal at its default and none
 * blocked: stdin /dev/null, stdout and stderr to out_fd (-1: /dev/null), keep_fd as its
 * PROC_KEEP_FD (-1: none), no other descriptor. Not waited for. 0, or -1 with the error slot set.
 */
int proc_spawn_detached(const char *path, char *const argv[], int out_fd, int keep_fd,
			pid_t *pid);

#endif
