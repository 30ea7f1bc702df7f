/* SPDX-License-Identifier: MIT */
/* qemu.h: the QEMU backend: host probing, the qemu-system-x86_64 argv, start/stop/status/console */
#ifndef VMM_QEMU_H
#define VMM_QEMU_H

#include <stdbool.h>

#include "vmm/backend/backend.h"
#include "vmm/config/profile.h"
#include "vmm/config/store.h"

#define QEMU_BINARY "qemu-system-x86_64"

/* Files under run/NAME/. */
#define QEMU_PIDFILE "pid"
#define QEMU_QMP_SOCK "qmp.sock"
#define QEMU_SERIAL_SOCK "serial.sock"
#define QEMU_SERIAL_LOG "serial.log"  /* everything the guest wrote on its serial port */
#define QEMU_TAP_FILE "tap"           /* the tap this start used */
#define QEMU_BACKEND_FILE "backend"   /* "qemu" */

/* QEMU's log (its stderr) in run/NAME/. */
#define QEMU_LOG "qemu.log"
/* The descriptors QEMU inherits: the tap, and /dev/vhost-net when vhost is used. */
#define QEMU_TAP_FD 3
#define QEMU_VHOST_FD 4
#define QEMU_VHOST_FD_STR "4"
#define QEMU_SANDBOX "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"

/* What the host offers. */
struct qemu_host {
	bool kvm;   /* /dev/kvm opens read-write, KVM_GET_API_VERSION works, CPU has vmx/svm */
	bool vhost; /* /dev/vhost-net opens read-write */
};

/* Probe the host. The environment can force the answers (golden tests, broken KVM):
 * VMM_ACCEL=kvm|tcg and VMM_VHOST=on|off. */
void qemu_probe(struct qemu_host *hc);

/* Everything the argv needs besides the profile (all absolute paths). */
struct qemu_files {
	const char *disk;
	const char *seed;    /* NULL: no seed CD */
	const char *iso;     /* install ISO (boot once from it), or NULL */
	const char *kernel;  /* direct kernel boot, or NULL */
	const char *initrd;  /* or NULL */
	const char *run_dir; /* run/NAME */
	/* NULL: the tap (and /dev/vhost-net) are the descriptors vmm hands QEMU (QEMU_TAP_FD,
	 * QEMU_VHOST_FD); a tap's name: QEMU opens it itself (ifname=, script=no), the line
	 * a person types (--dry-run) */
	const char *tap;
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
