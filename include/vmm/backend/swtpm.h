/* SPDX-License-Identifier: MIT */
/* swtpm.h: a guest's TPM 2.0 (profile key `tpm`): swtpm beside QEMU, its state kept */
#ifndef VMM_SWTPM_H
#define VMM_SWTPM_H

#include <stdbool.h>

#include "vmm/sys/access.h"
#include "vmm/config/store.h"

#define SWTPM_BINARY "swtpm"
/* In run/NAME/: swtpm's pid file and log. */
#define SWTPM_PIDFILE "swtpm.pid"
#define SWTPM_LOG "swtpm.log"
/* run/NAME/swtpm.sock: its control socket when started by hand (--dry-run); vmm hands QEMU one
 * end of a socket pair instead */
#define SWTPM_SOCK "swtpm.sock"

/* The TPM's state folder, images/NAME-tpm (malloc'd). It lives as long as the guest. */
char *swtpm_state_dir(const struct vmm_home *h, const char *name);
/* swtpm's argv for a TPM 2.0 whose state is in folder state (NULL-terminated, malloc'd; free with
 * util_argv_free). sock NULL: as vmm runs it, in the foreground, controlled over the socket pair
 * it gets as fd 3; else as a person runs it (--dry-run): on the socket sock, going to the
 * background itself. Pure. */
char **swtpm_argv(const char *state, const char *sock);
/*
 * Start `swtpm socket --tpm2` for the guest as u (QEMU's uid): its state folder made when
 * missing (0700) and handed to u with what is in it, entered before the identity changes (u
 * needs no way through images/), the control channel one end of a socket pair whose other end
 * goes to *qemu_fd (QEMU's -chardev socket,fd=N): no socket file, nobody else can connect.
 * --terminate: it exits when QEMU closes its end. Pid file run_dir/SWTPM_PIDFILE.
 */
int swtpm_start(const struct vmm_home *h, const char *name, const char *run_dir,
		const struct access_user *u, int *qemu_fd);
/* Stop it by its pid file (when it did not go with QEMU); nothing to do is success. */
int swtpm_stop(const char *run_dir);

#endif
