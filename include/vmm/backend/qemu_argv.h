/* SPDX-License-Identifier: MIT */
/* qemu_argv.h: the qemu-system-x86_64 argv from a profile, and as one line for a shell (pure) */
#ifndef VMM_QEMU_ARGV_H
#define VMM_QEMU_ARGV_H

#include <stddef.h>

#include "vmm/backend/qemu_host.h"
#include "vmm/config/profile.h"
#include "vmm/storage/chain.h"

struct qemu_devices;

#define QEMU_BINARY "qemu-system-x86_64"

/* Files under run/NAME/ (root's when vmm runs as root: QEMU gets descriptors, never the folder;
 * the VNC socket is QEMU's own, made in a folder of its uid and linked in by vmm). */
#define QEMU_PIDFILE "pid"            /* written by vmm, with its start time (store.h) */
#define QEMU_QMP_SOCK "qmp.sock"      /* bound by vmm, QEMU gets the listening socket */
#define QEMU_SERIAL_SOCK "serial.sock"
#define QEMU_SERIAL_LOG "serial.log"  /* everything the guest wrote on its serial port */
#define QEMU_VNC_DIR "vnc"            /* run/NAME/vnc: the one folder QEMU's uid may write */

/* The descriptors QEMU inherits (vmm opens everything; QEMU's user needs no path): the tap,
 * /dev/vhost-net when vhost is used, the QMP and serial listening sockets, the serial log, the
 * lock of the guest's uid (held, never used), sealed memory copies of the kernel and initrd
 * (-kernel /proc/self/fd/N), the seed, the ISO, the folder for the VNC socket (reached through
 * /proc/self/fd/N, not through run/), and the disk with its backing files from QEMU_DISK_FD on
 * (-add-fd: /dev/fdset/N). */
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
#define QEMU_VNC_DIR_FD 13
#define QEMU_DISK_FD 14
/* After the disk's layers (CHAIN_MAX of them): the devices' descriptors (qemu_devices.h), OVMF's
 * code and the guest's UEFI variables, the TPM's control channel, a connection to each virtiofs
 * share's daemon. */
#define QEMU_DEV_FD (QEMU_DISK_FD + CHAIN_MAX)
#define QEMU_DEV_FDS 16
#define QEMU_SANDBOX "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"

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
	const struct qemu_devices *dev; /* firmware, shares, TPM (qemu_devices.h), or NULL */
	/* false: descriptors, as vmm runs QEMU. true: the line a person types (--dry-run): QEMU
	 * opens each file by its path, the tap by name (ifname=tap), and makes its sockets in
	 * run_dir (qmp.sock, serial.sock, vnc.sock; passt's passt.sock, swtpm's swtpm.sock,
	 * virtiofsd's vfs-TAG.sock for the helpers started by hand first). */
	bool by_path;
	const char *tap; /* by_path: the guest's tap */
};

/* The qemu-system-x86_64 argv (NULL-terminated, malloc'd; free with util_argv_free). Pure. */
char **qemu_argv(const struct vmm_profile *p, const struct qemu_host *hc,
		 const struct qemu_files *f);
/* The argv as one line a POSIX shell reads back to the same words (malloc'd). */
char *qemu_argv_line(char *const argv[]);

#endif
