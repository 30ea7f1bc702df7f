/* SPDX-License-Identifier: MIT */
/* access.h: who QEMU runs as (the vmm system user, libvirt's QEMU user) and what it may reach */
#ifndef VMM_ACCESS_H
#define VMM_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define ACCESS_QEMU_USER "vmm" /* the system user QEMU runs as when vmm runs as root */
#define ACCESS_LIBVIRT_QEMU_CONF "/etc/libvirt/qemu.conf"
#define ACCESS_LIBVIRT_DEFAULT_USER "libvirt-qemu" /* Debian's default for qemu.conf `user` */

struct access_user {
	char name[64];
	uid_t uid;
	gid_t gid;
	gid_t groups[32]; /* supplementary groups (its own, and kvm when /dev/kvm exists) */
	int n_groups;
};

/* The user by name (or "+UID"), with its groups. */
int access_lookup(const char *name, struct access_user *u);
/* The user QEMU runs as: vmm's own user when vmm is not root; as root the system user "vmm",
 * created (useradd --system, no shell, no home) when missing. *created says so. */
int access_qemu_user(struct access_user *u, bool *created);
/* Is QEMU to drop privileges to u (vmm runs as root and u is not root)? */
bool access_drops(const struct access_user *u);
/* The user libvirt's QEMU runs as on this host: `user = "..."` in qemu.conf (the path in
 * $VMM_LIBVIRT_QEMU_CONF, else /etc/libvirt/qemu.conf), default libvirt-qemu. */
int access_libvirt_user(struct access_user *u);

/* One file QEMU opens and how. */
struct access_need {
	const char *what; /* "disk", "seed", "iso", "kernel", ... for messages */
	const char *path;
	bool write;       /* read-write (a disk), else read-only */
	bool dir;         /* the path is a folder: QEMU lists it (r-x) and, with write, creates
			   * files in it (rwx) */
};

/*
 * Make every path in needs reachable by u, checked by the kernel under u's identity: search on
 * every folder above it, read (and write) on the file itself. What u lacks is granted with a
 * POSIX ACL entry for u alone on just that folder or file (like virt-manager), never by
 * widening a mode. *note (malloc'd, NULL when nothing changed) is one line saying what was
 * granted. When a grant is impossible (no ACL support), fails with the folder and the fix.
 * Without root (u is vmm's own user) there is nothing to do.
 */
int access_ensure(const struct access_user *u, const struct access_need *needs, size_t n,
		  char **note);

/* A folder that holds secrets (run state, sockets): a real folder (not a symlink) owned by
 * the caller with mode 0700, created so when missing. */
int access_private_dir(const char *path);

#endif
