/* SPDX-License-Identifier: MIT */
/* safepath.h: opening a path as root without following a link that another user could change */
#ifndef VMM_SAFEPATH_H
#define VMM_SAFEPATH_H

#include <stdbool.h>
#include <stddef.h>

/* The folders a walk went through, in order (O_PATH descriptors and their paths). */
struct safepath_walk {
	struct safepath_dir {
		int fd;
		char *path;
	} *v;
	size_t n, cap;
};

/*
 * Open the absolute path, one component at a time below the folder before it (openat with
 * O_NOFOLLOW), so that no symlink or folder swapped in by someone else redirects it. A symlink is
 * followed only when it belongs to root (or to the caller) and sits in a folder that only its
 * owner, root or the caller, may write; any other symlink is refused:
 * "WHAT PATH: COMPONENT is a symlink another user can change (name the file it points to)"
 * (invalid input). flags are the final open's (O_RDONLY, O_RDWR, O_PATH; O_DIRECTORY for a
 * folder); O_NOFOLLOW and O_CLOEXEC are added. Without O_DIRECTORY the object must be a regular
 * file or a block device. Returns the descriptor, or -1 with the error slot set. walk (may be
 * NULL) receives every folder walked through, "/" first; free it with safepath_walk_free.
 */
int safepath_open(const char *what, const char *path, int flags, struct safepath_walk *walk);
void safepath_walk_free(struct safepath_walk *w);

#endif
