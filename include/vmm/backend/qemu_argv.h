/* SPDX-License-Identifier: MIT */
/* qemu_argv.h: the qemu-system-x86_64 argv from a profile, and as one line for a shell (pure) */
#ifndef VMM_QEMU_ARGV_H
#define VMM_QEMU_ARGV_H

#include "vmm/backend/qemu_host.h"
#include "vmm/config/profile.h"

#define QEMU_BINARY "qemu-system-x86_64"

/* Files under run/NAME/ that the argv names. */
#define QEMU_PIDFILE "pid"
#define QEMU_QMP_SOCK "qmp.sock"
#define QEMU_SERIAL_SOCK "serial.sock"
#define QEMU_SERIAL_LOG "serial.log"  /* everything the guest wrote on its serial port */

/* The descriptors QEMU inherits: the tap, and /dev/vhost-net when vhost is used. */
#define QEMU_TAP_FD 3
#define QEMU_VHOST_FD 4
#define QEMU_VHOST_FD_STR "4"
#define QEMU_SANDBOX "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"

/* Everything the argv needs besides the profile (all absolute paths). */
struct qemu_files {
	const char *disk;
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

#endif
