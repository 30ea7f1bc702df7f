// SPDX-License-Identifier: MIT
/* trust.c: StrictModes for vmm: a path is believed only when root or the caller controls it */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/sys/error.h"
#include "vmm/sys/trust.h"
#include "vmm/sys/util.h"

#define MAX_LINKS 40 /* as the kernel's own limit on symlinks in one lookup */

static void user_name(uid_t uid, char *buf, size_t size)
{
	struct passwd *pw = getpwuid(uid);
	if (pw)
		snprintf(buf, size, "%s", pw->pw_name);
	else
		snprintf(buf, size, "uid %u", (unsigned)uid);
}

/* One component that exists and is not a symlink; last: it is the path asked about. */
static int check_one(const char *path, const struct stat *st, uid_t me, bool last)
{
	if (st->st_uid != 0 && st->st_uid != me) {
		char who[64], mine[64];
		user_name(st->st_uid, who, sizeof(who));
		user_name(me, mine, sizeof(mine));
		if (me == 0)
			return vmm_invalid("%s: owned by %s, not root: refused "
					   "(fix: chown root %s)", path, who, path);
		return vmm_invalid("%s: owned by %s, not by you (%s) or root: refused "
				   "(fix: chown %s %s)", path, who, mine, mine, path);
	}
	bool shared = (st->st_mode & (S_IWGRP | S_IWOTH)) != 0;
	bool sticky_above = !last && S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX);
	if (shared && !sticky_above)
		return vmm_invalid("%s: writable by group or others: refused (fix: chmod go-w %s)",
				   path, path);
	if (!last && !S_ISDIR(st->st_mode))
		return vmm_invalid("%s: %s", path, util_strerror(ENOTDIR));
	return 0;
}

/* The absolute form of path in buf (the current folder before a relative one). */
static int absolute(const char *path, char *buf, size_t size)
{
	char cwd[PATH_MAX];
	if (path[0] == '/') {
		if (snprintf(buf, size, "%s", path) >= (int)size)
			return vmm_invalid("%s: %s", path, util_strerror(ENAMETOOLONG));
		return 0;
	}
	if (!getcwd(cwd, sizeof(cwd)))
		return vmm_fail("current folder: %s", util_strerror(errno));
	if (snprintf(buf, size, "%s/%s", cwd, path) >= (int)size)
		return vmm_invalid("%s: %s", path, util_strerror(ENAMETOOLONG));
	return 0;
}

/* todo holds a symlink's target followed by rest: "TARGET/REST"; cur restarts at / when the
 * target is absolute. */
static int follow(const char *link, const char *rest, char *cur, char *todo, size_t size)
{
	char target[PATH_MAX];
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return vmm_fail("%s: %s", link, util_strerror(errno));
	target[n] = '\0';
	if (target[0] == '/')
		cur[0] = '\0';
	char *next = util_fmt("%s/%s", target, rest);
	int rc = 0;
	if (strlen(next) >= size)
		rc = vmm_invalid("%s: %s", link, util_strerror(ENAMETOOLONG));
	else
		memcpy(todo, next, strlen(next) + 1);
	free(next);
	return rc;
}

int trust_path(const char *path, uid_t me, bool missing_ok)
{
	char todo[PATH_MAX], cur[PATH_MAX] = "", next[PATH_MAX * 2];
	struct stat st;
	int links = 0;
	if (absolute(path, todo, sizeof(todo)) < 0)
		return -1;
	if (lstat("/", &st) < 0 || check_one("/", &st, me, false) < 0)
		return -1;
	char *p = todo;
	while (*p) {
		while (*p == '/')
			p++;
		size_t len = strcspn(p, "/");
		char *rest = p + len + strspn(p + len, "/");
		if (len == 0 || (len == 1 && p[0] == '.')) {
			p = rest;
			continue;
		}
		if (len == 2 && !strncmp(p, "..", 2)) { /* cur has no symlink: ".." is lexical */
			char *slash = strrchr(cur, '/');
			if (slash)
				*slash = '\0';
			p = rest;
			continue;
		}
		snprintf(next, sizeof(next), "%s/%.*s", cur, (int)len, p);
		if (lstat(next, &st) < 0) {
			if (errno == ENOENT && missing_ok)
				return 0; /* the rest is made by vmm, in folders just checked */
			return vmm_invalid("%s: %s", next, util_strerror(errno));
		}
		if (S_ISLNK(st.st_mode)) {
			if (++links > MAX_LINKS)
				return vmm_invalid("%s: %s", path, util_strerror(ELOOP));
			char *tail = util_strdup(rest);
			int rc = follow(next, tail, cur, todo, sizeof(todo));
			free(tail);
			if (rc < 0)
				return -1;
			p = todo;
			continue;
		}
		if (check_one(next, &st, me, *rest == '\0') < 0)
			return -1;
		if (strlen(next) >= sizeof(cur))
			return vmm_invalid("%s: %s", path, util_strerror(ENAMETOOLONG));
		memcpy(cur, next, strlen(next) + 1);
		p = rest;
	}
	return 0;
}

char *trust_read_at(int dirfd, const char *name, const char *path, uid_t me)
{
	/* not following a link, and not waiting on a FIFO: both are looked at before a read */
	int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
	int fd = openat(dirfd, name, flags | O_NOATIME);
	if (fd < 0 && errno == EPERM) /* O_NOATIME is for the file's owner only */
		fd = openat(dirfd, name, flags);
	if (fd < 0 && errno == ELOOP) { /* a symlink: where it points is checked the long way */
		if (trust_path(path, me, false) < 0)
			return NULL;
		return util_read_file(path, NULL);
	}
	if (fd < 0) {
		vmm_fail("%s: %s", path, util_strerror(errno));
		return NULL;
	}
	struct stat st;
	int rc = fstat(fd, &st) < 0 ? vmm_fail("%s: %s", path, util_strerror(errno))
				     : check_one(path, &st, me, true);
	if (rc == 0 && !S_ISREG(st.st_mode))
		rc = vmm_invalid("%s: not a regular file: refused", path);
	if (rc < 0) {
		close(fd);
		return NULL;
	}
	return util_read_fd(fd, path, true, NULL);
}
