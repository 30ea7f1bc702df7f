// SPDX-License-Identifier: MIT
/* safepath.c: paths opened as root one component at a time, links followed only when trusted */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/sys/error.h"
#include "vmm/sys/safepath.h"
#include "vmm/sys/util.h"

#define SAFEPATH_MAX_LINKS 32

void safepath_walk_free(struct safepath_walk *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n; i++) {
		close(w->v[i].fd);
		free(w->v[i].path);
	}
	free(w->v);
	memset(w, 0, sizeof(*w));
}

/* The walk keeps fd (it now owns it), or the fd is closed when there is no walk. */
static void walk_keep(struct safepath_walk *w, int fd, const char *path)
{
	if (!w) {
		close(fd);
		return;
	}
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 8;
		w->v = realloc(w->v, w->cap * sizeof(*w->v));
		if (!w->v)
			abort();
	}
	w->v[w->n].fd = fd;
	w->v[w->n].path = util_strdup(*path ? path : "/");
	w->n++;
}

static bool trusted_uid(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* A link may be followed when no one but root (or the caller) could have made it or can change
 * it: the link and its folder belong to them, and no one else may write that folder. */
static bool link_trusted(int dirfd, const char *name)
{
	struct stat d, l;
	if (fstat(dirfd, &d) < 0 || fstatat(dirfd, name, &l, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	return trusted_uid(d.st_uid) && trusted_uid(l.st_uid) &&
	       !(d.st_mode & (S_IWGRP | S_IWOTH));
}

/* The walk's state: the folder reached, its path, what is left to walk. */
struct walker {
	int dir;
	char done[PATH_MAX];
	char *todo; /* malloc'd */
	int links;
};

/* Continue at a link's target (absolute: from "/") followed by rest, what came after the link. */
static int walker_follow(struct walker *k, const char *name, const char *rest,
			 struct safepath_walk *w)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(k->dir, name, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	if (++k->links > SAFEPATH_MAX_LINKS)
		return -ELOOP;
	if (target[0] == '/') {
		int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (root < 0)
			return -errno;
		walk_keep(w, k->dir, k->done);
		k->dir = root;
		k->done[0] = '\0';
	}
	char *next = util_fmt("%s/%s", target, rest);
	free(k->todo);
	k->todo = next;
	return 0;
}

/* Step into the folder name below k->dir; rest is what is left to walk. */
static int walker_enter(struct walker *k, const char *name, const char *rest,
			struct safepath_walk *w)
{
	bool up = !strcmp(name, "..");
	int nd = openat(k->dir, name, O_PATH | O_DIRECTORY | O_CLOEXEC | (up ? 0 : O_NOFOLLOW));
	if (nd < 0)
		return -errno;
	walk_keep(w, k->dir, k->done);
	k->dir = nd;
	size_t len = strlen(k->done);
	char *slash = strrchr(k->done, '/');
	if (up && slash)
		*slash = '\0';
	else if (!up && len + strlen(name) + 2 < sizeof(k->done))
		snprintf(k->done + len, sizeof(k->done) - len, "/%s", name);
	char *next = util_strdup(rest);
	free(k->todo);
	k->todo = next;
	return 0;
}

/* Open the last component with the caller's flags and check what it is. */
static int open_final(int dirfd, const char *name, int flags)
{
	bool want_dir = flags & O_DIRECTORY, path_only = (flags & O_PATH) != 0;
	int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC | (path_only ? 0 : O_NONBLOCK));
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	if (!want_dir && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	if (!path_only && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

/* One component: name, and rest what follows it. Returns 1 when the final object is open in
 * *out, 0 to go on (k->todo is what is left), or -errno. A refused link is -EPERM with the
 * link's path in k->done. */
static int walker_step(struct walker *k, const char *name, const char *rest, int flags,
		       struct safepath_walk *w, int *out)
{
	bool last = rest[strspn(rest, "/")] == '\0';
	bool up = !strcmp(name, "..");
	struct stat st;
	if (!strcmp(name, ".")) {
		char *next = util_strdup(rest);
		free(k->todo);
		k->todo = next;
		return 0;
	}
	if (!up && fstatat(k->dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!up && S_ISLNK(st.st_mode)) {
		if (!link_trusted(k->dir, name)) {
			size_t len = strlen(k->done);
			snprintf(k->done + len, sizeof(k->done) - len, "/%s", name);
			return -EPERM;
		}
		return walker_follow(k, name, rest, w);
	}
	if (!last || up || (S_ISDIR(st.st_mode) && *rest == '/'))
		return walker_enter(k, name, rest, w);
	int fd = open_final(k->dir, name, flags);
	if (fd < 0)
		return fd;
	*out = fd;
	return 1;
}

static int walk_error(const char *what, const char *path, struct walker *k, int e)
{
	if (e == -EPERM)
		return vmm_invalid("%s %s: %s is a symlink another user can change (name the file "
				   "it points to)",
				   what, path, k->done);
	if (e == -EISDIR)
		return vmm_invalid("%s %s: is a folder", what, path);
	if (e == -EINVAL)
		return vmm_invalid("%s %s: not a regular file", what, path);
	if (e == -ELOOP)
		return vmm_invalid("%s %s: too many symlinks", what, path);
	return vmm_fail("%s %s: %s", what, path, util_strerror(-e));
}

int safepath_open(const char *what, const char *path, int flags, struct safepath_walk *walk)
{
	if (path[0] != '/')
		return vmm_invalid("%s %s: not an absolute path", what, path);
	struct walker k = { .dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC),
			    .todo = util_strdup(path) };
	int fd = -1, r = 0;
	if (k.dir < 0) {
		free(k.todo);
		return vmm_fail("/: %s", util_strerror(errno));
	}
	while (r == 0) {
		const char *p = k.todo + strspn(k.todo, "/");
		if (!*p) { /* the path ends at a folder (a trailing "/", "/" itself, a link) */
			r = (flags & O_DIRECTORY) ? 1 : -EISDIR;
			if (r == 1 && (fd = openat(k.dir, ".", flags | O_CLOEXEC)) < 0)
				r = -errno;
			break;
		}
		size_t len = strcspn(p, "/");
		if (len > NAME_MAX) {
			r = -ENAMETOOLONG;
			break;
		}
		char name[NAME_MAX + 1];
		memcpy(name, p, len);
		name[len] = '\0';
		char *rest = util_strdup(p + len); /* k.todo changes under the step */
		r = walker_step(&k, name, rest, flags, walk, &fd);
		free(rest);
	}
	walk_keep(walk, k.dir, k.done);
	free(k.todo);
	if (r < 0)
		return walk_error(what, path, &k, r);
	return fd;
}
