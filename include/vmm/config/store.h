/* SPDX-License-Identifier: MIT */
/* store.h: the vmm home (profiles/, images/, run/), its lock and per-guest run state */
#ifndef VMM_STORE_H
#define VMM_STORE_H

#include <stdbool.h>
#include <sys/types.h>

#include "vmm/config/profile.h"

struct vmm_home {
	char *profiles; /* holds NAME.cfg and net.cfg */
	char *images;   /* disks, seeds */
	char *run;      /* run/NAME/ */
	int run_fd;     /* run/ open (O_PATH) by store_open, for short lookups; <= 0 when not */
};

/* Resolve the home: dir (from --home) > $VMM_HOME > root: /etc/vmm, /var/lib/vmm/images,
 * /run/vmm; user: XDG config/data/runtime dirs (run state in $XDG_RUNTIME_DIR/vmm, or without it
 * $XDG_STATE_HOME/vmm/run, by default ~/.local/state/vmm/run, a real folder of the user's with
 * mode 0700). Creates the folders. */
int store_open(struct vmm_home *h, const char *dir);
void store_close(struct vmm_home *h);

/* Paths (malloc'd). */
char *store_profile_path(const struct vmm_home *h, const char *name);
char *store_net_path(const struct vmm_home *h);
/* A disk/ISO path from a profile: absolute stays, relative is under images/. */
char *store_image_path(const struct vmm_home *h, const char *rel);
char *store_disk_path(const struct vmm_home *h, const struct vmm_profile *p);
char *store_seed_path(const struct vmm_home *h, const char *name);
char *store_run_dir(const struct vmm_home *h, const char *name);

/* The files a guest boots from, as absolute paths (NULL when the profile has none). */
struct store_guest_files {
	char *disk, *iso, *kernel, *initrd;
};
/* Resolve and check them (the ISO only with install): each must exist and be readable. One
 * message for every backend: "NAME: disk PATH: no such file (create it with vmm create)". */
int store_guest_files(const struct vmm_home *h, const struct vmm_profile *p, bool install,
		      struct store_guest_files *f);
void store_guest_files_free(struct store_guest_files *f);

/* Exclusive lock on the home (allocation, start). Returns fd; close() releases. */
int store_lock(const struct vmm_home *h);

/* A profile that does not load (syntax, unknown key, invalid value): one broken guest. */
struct store_invalid {
	char name[VMM_NAME_MAX + 2]; /* from the file name (may itself be the problem) */
	char *reason;                /* "FILE:LINE: REASON" or "FILE: REASON" */
};

/* Load every profile (sorted by name). Profiles that do not load go to *bad (sorted, free with
 * store_free_invalid); with bad NULL the first of them fails the call. Caller frees *out with
 * store_free_all. */
int store_load_all(const struct vmm_home *h, struct vmm_profile **out, size_t *n,
		   struct store_invalid **bad, size_t *n_bad);
void store_free_all(struct vmm_profile *ps, size_t n);
void store_free_invalid(struct store_invalid *b, size_t n);
int store_load(const struct vmm_home *h, const char *name, struct vmm_profile *p);
int store_load_net(const struct vmm_home *h, struct vmm_netcfg *n);
/* net.cfg's ipv6 = "auto": this host's ULA /64 picked (netcfg_ipv6_resolve) and written into
 * net.cfg in place of "auto" (the rest of the file as it was), so that it stays. 0 when nothing
 * was to pick, 1 when written, -1 with the error slot. */
int store_net_resolve(const struct vmm_home *h, struct vmm_netcfg *n);
bool store_exists(const struct vmm_home *h, const char *name);
int store_save(const struct vmm_home *h, const struct vmm_profile *p);

/* Run state of a guest: run/NAME (vmm's user's alone, 0700; nothing there is written by QEMU). */
#define STORE_PID_FILE "pid"             /* the QEMU vmm started */
#define STORE_STARTTIME_FILE "starttime" /* its start time, /proc/PID/stat field 22 */
enum vmm_state { VMM_STOPPED, VMM_RUNNING, VMM_CRASHED };
const char *store_state_name(enum vmm_state s);
/* Running when run/NAME (a real folder of vmm's user, writable by no one else) holds a pid file
 * and a start time, both vmm's, and that pid lives (not a zombie) with that start time; crashed
 * when the pid
 * file is there but not that process; stopped when there is none. *pid (may be NULL) gets the
 * pid when running, else 0. */
enum vmm_state store_state(const struct vmm_home *h, const char *name, pid_t *pid);
/* A pidfd of the running guest's QEMU (checked as store_state does, again once the pidfd holds
 * the process, so that no signal can reach a recycled pid), *pid its pid; -1 when not running. */
int store_pidfd(const struct vmm_home *h, const char *name, pid_t *pid);
/* Record pid (a process vmm just started) with its start time in run/NAME. */
int store_pid_write(const struct vmm_home *h, const char *name, pid_t pid);
/* /proc/PID/stat's field 22 (clock ticks after boot), 0 when there is no such process (a
 * zombie still has it: it is gone once reaped). */
unsigned long long store_proc_starttime(pid_t pid);
/* A fresh, empty run/NAME (0700): what was there is removed first (store_run_remove). */
int store_run_create(const struct vmm_home *h, const char *name);
/* Remove run/NAME within the opened run folder: each folder below is opened without following a
 * link and emptied with unlinkat (util_remove_at). Absent is success. */
int store_run_remove(const struct vmm_home *h, const char *name);
/* The guest's own lock (run/.NAME.lock, flock), held across a start or a stop so that any mix of
 * starts and stops of one guest happens one at a time; blocks until free. close() releases. */
int store_guest_lock(const struct vmm_home *h, const char *name);
/* Where the grants made for a guest's QEMU user are recorded (run/NAME.grants, access.h). */
char *store_grants_path(const struct vmm_home *h, const char *name);

#endif
