/* SPDX-License-Identifier: MIT */
/* qemu.h: the QEMU backend: start (spawn, QMP readiness), stop, status, console; its argv is in
 * qemu_argv.h */
#ifndef VMM_QEMU_H
#define VMM_QEMU_H

#include <stdbool.h>

#include "vmm/backend/backend.h"
#include "vmm/backend/qemu_argv.h"
#include "vmm/backend/qemu_spawn.h"
#include "vmm/config/profile.h"
#include "vmm/config/store.h"

/* Files under run/NAME/ besides those the argv names (qemu_argv.h). */
#define QEMU_TAP_FILE "tap"           /* the tap this start used */
#define QEMU_BACKEND_FILE "backend"   /* "qemu" */


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
 * for --install, kernel/initrd (each opened the safe way, the disk's backing chain read), an
 * account vmm that is more than a system account, qemu-system-x86_64, already running, the VNC
 * port taken. (A tap held by another process is the lifecycle's refusal: it opens the tap.)
 */
int qemu_preflight(const struct vmm_home *h, const struct vmm_profile *p,
		   const struct vmm_start_opts *o);

/* The backend ops. start runs under the home lock, which the caller holds. */
extern const struct vmm_backend qemu_backend;

#endif
