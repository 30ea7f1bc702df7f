/* SPDX-License-Identifier: MIT */
/* swtpm.h: a guest's TPM 2.0 (profile key `tpm`): swtpm beside QEMU, its state kept */
#ifndef VMM_SWTPM_H
#define VMM_SWTPM_H

#include <stdbool.h>

#include "vmm/sys/access.h"
#include "vmm/config/store.h"

#define SWTPM_BINARY "swtpm"
/* In run/NAME/: the control socket QEMU connects to, swtpm's pid file and log. */
#define SWTPM_SOCK "swtpm.sock"
#define SWTPM_PIDFILE "swtpm.pid"
#define SWTPM_LOG "swtpm.log"

/* The TPM's state folder, images/NAME-tpm (malloc'd). It lives as long as the guest. */
char *swtpm_state_dir(const struct vmm_home *h, const char *name);
/* Make the state folder (0700, owned by u when vmm is root) when missing. */
int swtpm_state_ensure(const struct vmm_home *h, const char *name, const struct access_user *u);
/*
 * Start `swtpm socket --tpm2` for the guest as u (QEMU's user): state in swtpm_state_dir, the
 * control socket run_dir/SWTPM_SOCK, --terminate (it exits when QEMU disconnects), pid file
 * run_dir/SWTPM_PIDFILE. The state folder must exist and be reachable by u.
 */
int swtpm_start(const struct vmm_home *h, const char *name, const char *run_dir,
		const struct access_user *u);
/* Stop it by its pid file (when it did not go with QEMU); nothing to do is success. */
int swtpm_stop(const char *run_dir);

#endif
