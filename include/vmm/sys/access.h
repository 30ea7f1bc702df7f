/* SPDX-License-Identifier: MIT */
/* access.h: who QEMU runs as (a uid of its own per guest, libvirt's user) and what it may reach */
#ifndef VMM_ACCESS_H
#define VMM_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define ACCESS_QEMU_USER "vmm" /* the system account whose group and uid range QEMU runs with */
#define ACCESS_LIBVIRT_QEMU_CONF "/etc/libvirt/qemu.conf"
#define ACCESS_LIBVIRT_DEFAULT_USER "libvirt-qemu" /* Debian's default for qemu.conf `user` */
#define ACCESS_SUBUID "/etc/subuid"
/* The guests' uids when the account vmm has no range in /etc/subuid: 65536 uids from 0x7f000000,
 * outside the ranges useradd, systemd and container tools hand out. */
#define ACCESS_GUEST_UID_FIRST 2130706432u
#define ACCESS_GUEST_UID_COUNT 65536u
/* One lock file per guest uid in use, held by the QEMU that runs with it (root's, 0700). */
#define ACCESS_UID_LOCKS "/run/vmm-uids"

struct access_user {
	char name[64];
	uid_t uid;
	gid_t gid;
	gid_t groups[32]; /* supplementary groups (its own, and kvm when /dev/kvm exists) */
	int n_groups;
};

/* The user by name (or "+UID"), with its groups. */
int access_lookup(const char *name, struct access_user *u);
/*
 * vmm's own user when vmm is not root. As root the system account "vmm", created (useradd
 * --system, no shell, no home) when missing; *created says so. An existing account is refused
 * when it could be more than that: uid or gid 0, a login shell, or a home that exists
 * ("user vmm: uid 0 (root); QEMU must not run as root: fix: userdel vmm (vmm makes it again)").
 */
int access_qemu_user(struct access_user *u, bool *created);
/* Is QEMU to drop privileges to u (vmm runs as root and u is not root)? */
bool access_drops(const struct access_user *u);
/* The user libvirt's QEMU runs as on this host: `user = "..."` in qemu.conf (the path in
 * $VMM_LIBVIRT_QEMU_CONF, else /etc/libvirt/qemu.conf), default libvirt-qemu. */
int access_libvirt_user(struct access_user *u);

/* The uids guests run as: the range /etc/subuid gives the account vmm ("vmm:FIRST:COUNT"), else
 * ACCESS_GUEST_UID_FIRST and ACCESS_GUEST_UID_COUNT. */
void access_guest_range(uid_t *first, unsigned *count);
/*
 * A uid of the guest's own, so that no QEMU can open another's files, descriptors (/proc/PID/fd)
 * or memory (ptrace): the first uid of the range, counted from a hash of tag's last component
 * (the guest's name), that no running
 * QEMU holds and no account has. *out runs with that uid, qemu's group (the account vmm's) and
 * the kvm group; *lock_fd holds the uid's lock (ACCESS_UID_LOCKS/UID, flock) until QEMU, which
 * inherits it, and vmm have both closed it. tag (the guest's run folder) is written in the lock.
 */
int access_guest_user(const struct access_user *qemu, const char *tag, struct access_user *out,
		      int *lock_fd);

/* One file QEMU opens and how. */
struct access_need {
	const char *what; /* "disk", "seed", "iso", "kernel", ... for messages */
	const char *path;
	bool write;       /* read-write (a disk), else read-only */
	bool dir;         /* the path is a folder QEMU creates files in (rwx) */
};

/*
 * Make every path in needs reachable by u (libvirt's QEMU, which opens files by path): search on
 * every folder walked through, read (and write) on the file. Each path is opened as
 * safepath_open does (no link another user can change is followed) and the kernel is asked,
 * under u's identity, about each opened folder and file (faccessat on the descriptor). What u
 * lacks is granted through the descriptor with a POSIX ACL entry for u alone (like
 * virt-manager), never by widening a mode: the other named entries and the owning group are
 * first narrowed to what the mask let them have, so that no one else gains a right. Each grant
 * is appended to record (a file; NULL: not recorded) for access_revoke. *note (malloc'd, NULL
 * when nothing changed) is one line saying what was granted. When a grant is impossible (no ACL
 * support), fails with the folder and the fix, having taken back what it granted. Without root
 * (u is vmm's own user) there is nothing to do.
 */
int access_ensure(const struct access_user *u, const struct access_need *needs, size_t n,
		  const char *record, char **note);
/*
 * Take back the grants listed in record and remove it: each path is opened again as
 * safepath_open does, and only when it is still the same file (device and inode) does u's entry
 * lose what was added (the entry goes when it was new). A grant that another record in the same
 * folder (another guest's) also holds stays. No record: nothing to do.
 */
int access_revoke(const char *record);

/* A folder that holds secrets (run state, sockets): a real folder (not a symlink) owned by
 * the caller with mode 0700, created so when missing. */
int access_private_dir(const char *path);

#endif
