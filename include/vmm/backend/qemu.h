/* SPDX-License-Identifier: MIT */
/* qemu.h: the QEMU backend: host probing, the qemu-system-x86_64 argv, start/stop/status/console */
#ifndef VMM_QEMU_H
#define VMM_QEMU_H

#include <stdbool.h>

#include "vmm/backend/backend.h"
#include "vmm/config/profile.h"
#include "vmm/config/store.h"

#define QEMU_BINARY "qemu-system-x86_64"

/* Files under run/NAME/ (root's when vmm runs as root; QEMU gets descriptors, never the folder). */
#define QEMU_PIDFILE STORE_PID_FILE   /* written by vmm, with STORE_STARTTIME_FILE */
#define QEMU_QMP_SOCK "qmp.sock"      /* bound by vmm, QEMU gets the listening socket */
#define QEMU_SERIAL_SOCK "serial.sock"
#define QEMU_SERIAL_LOG "serial.log"  /* everything the guest wrote on its serial port */
#define QEMU_TAP_FILE "tap"           /* the tap this start used */
#define QEMU_BACKEND_FILE "backend"   /* "qemu" */

/* QEMU's log (its stderr) in run/NAME/. */
#define QEMU_LOG "qemu.log"
/* The descriptors QEMU inherits (vmm opens everything; QEMU's user needs no path): the tap,
 * /dev/vhost-net when vhost is used, the QMP and serial listening sockets, the serial log, the
 * lock of the guest's uid (held, never used), sealed memory copies of the kernel and initrd
 * (-kernel /proc/self/fd/N), the seed, the ISO, and the disk with its backing files from
 * QEMU_DISK_FD on (-add-fd: /dev/fdset/N). */
#define QEMU_TAP_FD 3
#define QEMU_VHOST_FD 4
#define QEMU_VHOST_FD_STR "4"
#define QEMU_QMP_FD 5
#define QEMU_SERIAL_FD 6
#define QEMU_SERIAL_LOG_FD 7
#define QEMU_UID_LOCK_FD 8
#define QEMU_KERNEL_FD 9
#define QEMU_INITRD_FD 10
#define QEMU_SEED_FD 11
#define QEMU_ISO_FD 12
#define QEMU_DISK_FD 13
#define QEMU_SANDBOX "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"

/* What the host offers. */
struct qemu_host {
	bool kvm;   /* /dev/kvm opens read-write, KVM_GET_API_VERSION works, CPU has vmx/svm */
	bool vhost; /* /dev/vhost-net opens read-write */
};

/* Probe the host. The environment can force the answers (golden tests, broken KVM):
 * VMM_ACCEL=kvm|tcg and VMM_VHOST=on|off. */
void qemu_probe(struct qemu_host *hc);

/* One layer of the disk: its path (for the reader: -add-fd's opaque) and format. */
struct qemu_layer {
	const char *path;
	const char *fmt; /* "qcow2" or "raw" */
};

/* Everything the argv needs besides the profile (absolute paths, shown to the reader only: QEMU
 * gets each file as the descriptor above). */
struct qemu_files {
	const struct qemu_layer *layers; /* the disk, then its backing files */
	size_t n_layers;
	const char *seed;    /* NULL: no seed CD */
	const char *iso;     /* install ISO (boot once from it), or NULL */
	const char *kernel;  /* direct kernel boot, or NULL */
	const char *initrd;  /* or NULL */
	const char *run_dir; /* run/NAME */
};

/* The qemu-system-x86_64 argv (NULL-terminated, malloc'd; free with qemu_argv_free). Pure. */
char **qemu_argv(const struct vmm_profile *p, const struct qemu_host *hc,
		 const struct qemu_files *f);
void qemu_argv_free(char **argv);
/* The argv as one line a POSIX shell reads back to the same words (malloc'd). */
char *qemu_argv_line(char *const argv[]);

/* Is TCP port free on the address (an IPv4 literal; other values are not checked)? 1 free,
 * 0 taken, -1 on error. */
int qemu_port_free(const char *addr, int port);

/*
 * The serial console: copy in_fd to the guest and the guest to out_fd. Detach on Ctrl-] when
 * raw (in_fd is a terminal, put in raw mode and restored), at EOF of the socket, or when
 * idle_ms > 0 and the guest was silent that long (after in_fd's EOF on a pipe: idle_ms, or
 * 3 s when idle_ms is 0).
 */
int qemu_console(const struct vmm_home *h, const struct vmm_profile *p, int in_fd, int out_fd,
		 int idle_ms);

/*
 * What start refuses before changing anything (also checked by start itself): the disk, the ISO
 * for --install, kernel/initrd, qemu-system-x86_64, already running, the VNC port taken, the tap
 * held by another process.
 */
int qemu_preflight(const struct vmm_home *h, const struct vmm_profile *p,
		   const struct vmm_start_opts *o);

/* The backend ops. start runs under the home lock, which the caller holds. */
extern const struct vmm_backend qemu_backend;

#endif
