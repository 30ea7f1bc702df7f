/* SPDX-License-Identifier: MIT */
/* trust.h: may vmm believe what a path holds? sshd's StrictModes for homes, profiles, journals */
#ifndef VMM_SYS_TRUST_H
#define VMM_SYS_TRUST_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * Is path safe to read for a vmm running as `me`: the file (or folder) and every folder above
 * it up to / are owned by root or by me, and none is writable by group or others, except a
 * folder above that has the sticky bit (like /tmp: others cannot rename or remove what is not
 * theirs). Every component is looked at with lstat: a symlink is not trusted for itself but
 * followed, and where it points is checked the same way (the folder holding it was checked, so
 * only a trusted owner could have placed it). With missing_ok, a path that does not exist (yet)
 * passes once the folders above it that do exist pass; without, it fails.
 * Returns 0, or -1 with vmm_invalid set to one line naming the file and the fix:
 *   "PATH: owned by nobody, not root: refused (fix: chown root PATH)"
 *   "PATH: writable by group or others: refused (fix: chmod go-w PATH)"
 */
int trust_path(const char *path, uid_t me, bool missing_ok);

/*
 * The whole text of the file name in the folder open as dirfd (malloc'd, NUL-terminated), read
 * only when trust_path would pass it: for a folder already found trustworthy, the file is opened
 * without following a link and its owner and mode checked on the open descriptor (one lookup
 * instead of one per folder above, for the many profiles of one folder). A symlink is checked
 * the long way, by path. path names the file in the error. NULL with vmm_invalid set as above,
 * or "PATH: not a regular file: refused".
 */
char *trust_read_at(int dirfd, const char *name, const char *path, uid_t me);

#endif
