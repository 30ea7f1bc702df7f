/* SPDX-License-Identifier: MIT */
/* virtiofsd.h: one virtiofsd per virtiofs share of a guest, beside its QEMU (vhost-user-fs) */
#ifndef VMM_VIRTIOFSD_H
#define VMM_VIRTIOFSD_H

#include <stdbool.h>

#include "vmm/sys/access.h"

/* Is share_virtiofsd_path() (config/share.h) there and executable? */
bool virtiofsd_available(void);
/* run_dir/vfs-TAG.sock (malloc'd): the socket QEMU's vhost-user-fs-pci connects to. */
char *virtiofsd_sock(const char *run_dir, const char *tag);
/*
 * Start virtiofsd for folder dir as tag: as root (it sandboxes itself: namespaces, seccomp,
 * capabilities), socket run_dir/vfs-TAG.sock handed to u (QEMU's user, which needs no access to
 * the folder itself), pid file run_dir/vfs-TAG.pid, log run_dir/virtiofsd-TAG.log. It exits
 * when QEMU disconnects.
 */
int virtiofsd_start(const char *name, const char *run_dir, const char *tag, const char *dir,
		    const struct access_user *u);
/* Stop every virtiofsd of run_dir by its pid file (those still running after QEMU went). */
int virtiofsd_stop_all(const char *run_dir);

#endif
