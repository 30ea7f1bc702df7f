/* SPDX-License-Identifier: MIT */
/* virtiofsd.h: one virtiofsd per virtiofs share of a guest, beside its QEMU (vhost-user-fs) */
#ifndef VMM_VIRTIOFSD_H
#define VMM_VIRTIOFSD_H

#include <stdbool.h>

/* Is share_virtiofsd_path() (config/share.h) there and executable? */
bool virtiofsd_available(void);
/* run_dir/vfs-TAG.sock (malloc'd): the daemon's vhost-user socket. */
char *virtiofsd_sock(const char *run_dir, const char *tag);
/* virtiofsd's argv sharing folder dir on the vhost-user socket sock (NULL-terminated, malloc'd;
 * free with util_argv_free): in the foreground as vmm runs it, or (by_hand, --dry-run) going to
 * the background itself. Pure. */
char **virtiofsd_argv(const char *sock, const char *dir, bool by_hand);
/*
 * Start virtiofsd for folder dir as tag: as root (it sandboxes itself: namespaces, seccomp,
 * capabilities), its socket in run_dir (vmm's folder: nobody else reaches it), pid file
 * run_dir/vfs-TAG.pid, log run_dir/virtiofsd-TAG.log; then connect to it: *qemu_fd is that
 * connection, QEMU's -chardev socket,fd=N (QEMU's uid needs neither the socket nor the folder).
 * It exits when QEMU closes the connection.
 */
int virtiofsd_start(const char *name, const char *run_dir, const char *tag, const char *dir,
		    int *qemu_fd);
/* Stop every virtiofsd of run_dir by its pid file (those still running after QEMU went). */
int virtiofsd_stop_all(const char *run_dir);

#endif
