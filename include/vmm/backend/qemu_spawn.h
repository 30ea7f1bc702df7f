/* SPDX-License-Identifier: MIT */
/* qemu_spawn.h: what QEMU is given (every file opened by vmm, as descriptors), who it runs as
 * (a uid of the guest's own), and the spawn itself (no shell, a clean environment) */
#ifndef VMM_QEMU_SPAWN_H
#define VMM_QEMU_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "vmm/backend/backend.h"
#include "vmm/backend/qemu_argv.h"
#include "vmm/storage/chain.h"
#include "vmm/sys/access.h"

#define QEMU_FD_SLOTS (QEMU_DISK_FD + CHAIN_MAX)
/* QEMU's log (its stdout and stderr) in run/NAME/. */
#define QEMU_LOG "qemu.log"

struct qemu_spawn {
	int fd[QEMU_FD_SLOTS];  /* what QEMU gets as descriptor N (qemu.h), -1 for nothing */
	int log;                /* its stdout and stderr (run/NAME/qemu.log) */
	struct disk_chain chain;
	struct qemu_layer layers[CHAIN_MAX];
	struct qemu_files files; /* for qemu_argv; points into this and the caller's strings */
	struct access_user user; /* who QEMU runs as */
};

void qemu_spawn_init(struct qemu_spawn *s);
/* Close every descriptor vmm still holds (QEMU keeps its own copies). */
void qemu_spawn_close(struct qemu_spawn *s);

/*
 * The guest's files, each opened as safepath_open does: the disk (read-write when open_all) and
 * its backing chain (chain_open: the profile's image and the image cache only), the seed, the
 * ISO (f->iso, when the start installs), the kernel and initrd as sealed memory copies. Without
 * open_all (a dry run, a preflight) only the chain stays open (read-only) and the other files
 * are checked the same way, then closed; a seed that does not exist yet is skipped. Fills
 * s->files for qemu_argv with run_dir. Refusals are those of safepath_open and chain_open.
 */
int qemu_spawn_files(const struct vmm_home *h, const struct vmm_profile *p,
		     const struct store_guest_files *f, const char *seed, const char *run_dir,
		     bool open_all, struct qemu_spawn *s);
/* The run state QEMU talks through, made by vmm in run_dir (vmm's user's, 0700): the QMP and
 * serial sockets vmm binds and listens on, the serial log and QEMU's own log. */
int qemu_spawn_run(const char *run_dir, struct qemu_spawn *s);
/* The folder QEMU makes its VNC socket in (vnc = "socket"): run_dir/vnc, the one thing under
 * run/ that QEMU's uid may write, given as descriptor QEMU_VNC_DIR_FD (QEMU reaches it through
 * /proc/self/fd, not through run/). After qemu_spawn_user. */
int qemu_spawn_vnc_dir(const char *run_dir, struct qemu_spawn *s);
/* Once QEMU answers: its VNC socket, linked into run_dir as BACKEND_VNC_SOCK by vmm (a hard
 * link in vmm's own folder, so that QEMU cannot turn the name clients connect to into a link);
 * anything but a socket there is refused. */
int qemu_spawn_vnc_link(const char *run_dir);
/* Who QEMU runs as: vmm's own user, or as root a uid of the guest's own (access_guest_user;
 * its lock becomes QEMU_UID_LOCK_FD). A new account vmm is announced. */
int qemu_spawn_user(const char *run_dir, struct qemu_spawn *s);

/*
 * Start path with argv in its own session: stdin /dev/null, stdout and stderr s->log, each
 * s->fd[N] as descriptor N and nothing else; as s->user when vmm is root (groups, gid and uid
 * dropped in the child before execve: QEMU's sandbox then denies any way back); with the
 * environment util_clean_env() (PATH and LANG=C), nothing of the caller's. Returns the pid.
 */
pid_t qemu_spawn(const char *path, char *const argv[], const struct qemu_spawn *s);

#endif
