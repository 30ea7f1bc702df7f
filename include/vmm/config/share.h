/* SPDX-License-Identifier: MIT */
/* share.h: shared folders (profile key `shares`): "HOSTDIR[:TAG][:ro][:9p]" specs, parsed */
#ifndef VMM_SHARE_H
#define VMM_SHARE_H

#include <stdbool.h>
#include <stddef.h>

/* 9p's mount_tag holds at most 31 bytes (virtiofs' 36): one limit for both kinds. */
#define SHARE_TAG_MAX 31
/* Where the seed mounts a share in the guest: SHARE_MOUNT_DIR "/" TAG. */
#define SHARE_MOUNT_DIR "/mnt"

/* How a share reaches the guest. */
enum share_kind {
	SHARE_AUTO,     /* virtiofs when it can run (root, read-write, virtiofsd present), else 9p */
	SHARE_9P,       /* QEMU's own 9p server (-virtfs, security_model=mapped-xattr) */
	SHARE_VIRTIOFS, /* virtiofsd beside QEMU (vhost-user-fs); needs root, no read-only */
};

struct vmm_share {
	char dir[4096];               /* absolute host folder */
	char tag[SHARE_TAG_MAX + 1];  /* mount tag: [A-Za-z0-9_.-], the guest mounts /mnt/TAG */
	bool ro;                      /* the guest may not write */
	enum share_kind kind;         /* as asked in the spec (SHARE_AUTO unless :9p / :virtiofs) */
};

/*
 * Parse "HOSTDIR[:TAG][:ro][:9p|:virtiofs]". HOSTDIR must be absolute, without ':' or a newline
 * (it is not checked on disk here: share_check_dir does). TAG defaults to HOSTDIR's last
 * component with every character outside [A-Za-z0-9_.-] made '_' (cut to SHARE_TAG_MAX).
 * Refused: an empty or bad tag, ":ro" with ":virtiofs" (virtiofsd has no read-only mode), an
 * unknown word. 0, or -1 with vmm_invalid `share "SPEC": why`.
 */
int share_parse(const char *spec, struct vmm_share *s);
/* The canonical spec "DIR:TAG[:ro][:9p|:virtiofs]" (malloc'd): what the profile stores. */
char *share_format(const struct vmm_share *s);
/* Parse a list of specs; tags must differ. *out (malloc'd, NULL when n is 0) has n entries. */
int share_parse_all(char *const *specs, size_t n, struct vmm_share **out);
/* Is the folder there? `share "SPEC": DIR: no such folder` (invalid input) when it is not. */
int share_check_dir(const struct vmm_share *s);
/* The kind a share gets on this host: virtiofs needs root (as_root), write access and
 * virtiofsd (have_virtiofsd); a spec that asks for virtiofs where it cannot run is refused
 * (-1, vmm_invalid); 9p is always possible. */
int share_resolve_kind(const struct vmm_share *s, bool as_root, bool have_virtiofsd,
		       enum share_kind *kind);
/* virtiofsd: QEMU 7.2's C daemon (package qemu-system-common); $VMM_VIRTIOFSD names another. */
#define SHARE_VIRTIOFSD "/usr/lib/qemu/virtiofsd"
const char *share_virtiofsd_path(void);
/* The kind a share gets here: its own, or for SHARE_AUTO virtiofs when vmm runs as root, the
 * share is read-write and virtiofsd is installed, else 9p. */
enum share_kind share_kind_here(const struct vmm_share *s);
/* "9p" or "virtiofs" ("auto" for SHARE_AUTO). */
const char *share_kind_name(enum share_kind k);

#endif
