// SPDX-License-Identifier: MIT
/* access.c: the user QEMU runs as, and POSIX ACLs so that it reaches just the files it needs */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/acl.h>
#include <acl/libacl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmm/sys/access.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

int access_lookup(const char *name, struct access_user *u)
{
	memset(u, 0, sizeof(*u));
	struct passwd *pw;
	errno = 0;
	if (name[0] == '+') {
		unsigned long id;
		if (util_parse_uint("user", name + 1, 0, UINT_MAX - 1, &id) < 0)
			return -1;
		pw = getpwuid((uid_t)id);
		if (!pw) { /* a bare uid: its own group */
			snprintf(u->name, sizeof(u->name), "%s", name);
			u->uid = (uid_t)id;
			u->gid = (gid_t)id;
			return 0;
		}
	} else {
		pw = getpwnam(name);
	}
	if (!pw)
		return vmm_fail("user %s: %s", name, errno ? util_strerror(errno) : "no such user");
	snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	int n = (int)(sizeof(u->groups) / sizeof(u->groups[0])) - 1;
	if (getgrouplist(pw->pw_name, pw->pw_gid, u->groups, &n) < 0)
		n = 0;
	u->n_groups = n;
	/* QEMU uses /dev/kvm when it can: the kvm group opens it */
	struct group *kvm = access("/dev/kvm", F_OK) == 0 ? getgrnam("kvm") : NULL;
	if (kvm) {
		bool have = false;
		for (int i = 0; i < u->n_groups; i++)
			have |= u->groups[i] == kvm->gr_gid;
		if (!have)
			u->groups[u->n_groups++] = kvm->gr_gid;
	}
	return 0;
}

bool access_drops(const struct access_user *u)
{
	return geteuid() == 0 && u->uid != 0;
}

int access_qemu_user(struct access_user *u, bool *created)
{
	*created = false;
	if (geteuid() != 0) {
		struct passwd *pw = getpwuid(geteuid());
		if (pw)
			return access_lookup(pw->pw_name, u);
		memset(u, 0, sizeof(*u));
		snprintf(u->name, sizeof(u->name), "+%u", (unsigned)geteuid());
		u->uid = geteuid();
		u->gid = getegid();
		return 0;
	}
	if (getpwnam(ACCESS_QEMU_USER))
		return access_lookup(ACCESS_QEMU_USER, u);
	/* first need: a system user with no shell and no home (a concurrent start may win the
	 * race: then the user is there all the same) */
	char *argv[] = { "useradd", "--system", "--user-group", "--no-create-home",
			 "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
			 "--comment", "vmm QEMU guests", ACCESS_QEMU_USER, NULL };
	char *err = NULL;
	int st = util_run(argv, NULL, &err);
	if (st < 0) {
		free(err);
		return -1;
	}
	if (st != 0 && !getpwnam(ACCESS_QEMU_USER)) {
		err[strcspn(err, "\n")] = '\0';
		vmm_fail("user " ACCESS_QEMU_USER ": useradd failed: %s", *err ? err : "exit status not 0");
		free(err);
		return -1;
	}
	free(err);
	*created = st == 0;
	return access_lookup(ACCESS_QEMU_USER, u);
}

/* `user = "NAME"` in libvirt's qemu.conf (comments and other keys skipped). */
int access_libvirt_user(struct access_user *u)
{
	const char *conf = getenv("VMM_LIBVIRT_QEMU_CONF");
	if (!conf || !*conf)
		conf = ACCESS_LIBVIRT_QEMU_CONF;
	char name[64];
	snprintf(name, sizeof(name), "%s", ACCESS_LIBVIRT_DEFAULT_USER);
	char *text = util_exists(conf) ? util_read_file(conf, NULL) : NULL;
	vmm_error_clear();
	for (char *l = text, *next; l && *l; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		while (*l == ' ' || *l == '\t')
			l++;
		if (strncmp(l, "user", 4))
			continue;
		char *s = l + 4;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s++ != '=')
			continue;
		char *q1 = strchr(s, '"'), *q2 = q1 ? strchr(q1 + 1, '"') : NULL;
		if (q1 && q2 && q2 > q1 + 1 && (size_t)(q2 - q1 - 1) < sizeof(name))
			snprintf(name, sizeof(name), "%.*s", (int)(q2 - q1 - 1), q1 + 1);
	}
	free(text);
	if (access_lookup(name, u) < 0) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s", vmm_errmsg());
		return vmm_fail("%s (libvirt's QEMU user, from %s)", msg, conf);
	}
	return 0;
}

/* ---- checks under the user's identity ---- */

struct item {
	char *path;
	int mode; /* R_OK|W_OK|X_OK as access(2) */
	bool dir;
	bool ok;
	const char *what;
	long parent; /* index of the folder above, -1 for the top */
};

/* Ask the kernel, as u, whether each item is reachable: one child takes u's identity and
 * answers one byte per item on a pipe. */
static int check_as(const struct access_user *u, struct item *it, size_t n)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return vmm_fail("pipe: %s", util_strerror(errno));
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return vmm_fail("fork: %s", util_strerror(errno));
	}
	if (pid == 0) {
		close(p[0]);
		if (setgroups((size_t)u->n_groups, u->groups) < 0 ||
		    setresgid(u->gid, u->gid, u->gid) < 0 || setresuid(u->uid, u->uid, u->uid) < 0)
			_exit(1);
		for (size_t i = 0; i < n; i++) {
			char c = access(it[i].path, it[i].mode) == 0 ? '1' : '0';
			if (write(p[1], &c, 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	close(p[1]);
	size_t got = 0;
	char c;
	while (got < n) {
		ssize_t r = read(p[0], &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		it[got++].ok = c == '1';
	}
	close(p[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (got < n)
		return vmm_fail("user %s: cannot take its identity to check access", u->name);
	return 0;
}

/* Add (or widen) the ACL entry of u on path to hold perms (ACL_READ/WRITE/EXECUTE bits). */
static int acl_grant(const char *path, uid_t uid, int perms)
{
	acl_t acl = acl_get_file(path, ACL_TYPE_ACCESS);
	acl_entry_t e = NULL, it;
	acl_permset_t ps;
	int rc = -1;
	if (!acl)
		return -1;
	for (int w = ACL_FIRST_ENTRY; acl_get_entry(acl, w, &it) == 1; w = ACL_NEXT_ENTRY) {
		acl_tag_t tag;
		if (acl_get_tag_type(it, &tag) < 0)
			goto out;
		if (tag != ACL_USER)
			continue;
		uid_t *q = acl_get_qualifier(it);
		bool mine = q && *q == uid;
		acl_free(q);
		if (mine) {
			e = it;
			break;
		}
	}
	if (!e) {
		if (acl_create_entry(&acl, &e) < 0 || acl_set_tag_type(e, ACL_USER) < 0 ||
		    acl_set_qualifier(e, &uid) < 0)
			goto out;
		if (acl_get_permset(e, &ps) < 0 || acl_clear_perms(ps) < 0)
			goto out;
	}
	if (acl_get_permset(e, &ps) < 0)
		goto out;
	if (((perms & ACL_READ) && acl_add_perm(ps, ACL_READ) < 0) ||
	    ((perms & ACL_WRITE) && acl_add_perm(ps, ACL_WRITE) < 0) ||
	    ((perms & ACL_EXECUTE) && acl_add_perm(ps, ACL_EXECUTE) < 0) ||
	    acl_set_permset(e, ps) < 0)
		goto out;
	/* the mask becomes the union of the group class: the owning group keeps its own bits */
	if (acl_calc_mask(&acl) < 0 || acl_set_file(path, ACL_TYPE_ACCESS, acl) < 0)
		goto out;
	rc = 0;
out:
	acl_free(acl);
	return rc;
}

static int acl_perms(int mode)
{
	return ((mode & R_OK) ? ACL_READ : 0) | ((mode & W_OK) ? ACL_WRITE : 0) |
	       ((mode & X_OK) ? ACL_EXECUTE : 0);
}

static void items_free(struct item *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

static void note_add(char **note, bool search, const char *path)
{
	char *old = *note;
	*note = util_fmt("%s%s%s%s", old ? old : "", old ? ", " : "", search ? "search on " : "",
			 path);
	free(old);
}

/* A list of items that grows by doubling. */
struct items {
	struct item *v;
	size_t n, cap;
};

/* The folder above path: the index of the last item with that path, -1 when none (or /). */
static long items_parent(const struct items *it, char *path)
{
	long parent = -1;
	char *slash = strrchr(path, '/');
	if (slash && slash != path) {
		*slash = '\0';
		for (size_t k = 0; k < it->n; k++)
			if (!strcmp(it->v[k].path, path))
				parent = (long)k;
		*slash = '/';
	}
	return parent;
}

/* Add every folder above need->path (once each), then the path itself with the access it
 * needs. */
static int items_add_need(struct items *it, const struct access_need *need)
{
	char *real = realpath(need->path, NULL);
	if (!real)
		return vmm_fail("%s %s: %s", need->what, need->path, util_strerror(errno));
	for (char *s = real + 1;; s++) {
		bool end = *s == '\0';
		if (*s != '/' && !end)
			continue;
		char c = *s;
		*s = '\0';
		bool seen = false;
		for (size_t k = 0; k < it->n && !seen; k++)
			seen = !strcmp(it->v[k].path, real);
		long parent = items_parent(it, real);
		if (!seen || end) {
			if (it->n == it->cap) {
				it->cap = it->cap ? it->cap * 2 : 16;
				it->v = realloc(it->v, it->cap * sizeof(*it->v));
				if (!it->v)
					abort();
			}
			int mode = X_OK;
			if (end && need->dir) /* a folder: search and list it, write in it */
				mode = need->write ? (R_OK | W_OK | X_OK) : (R_OK | X_OK);
			else if (end)
				mode = need->write ? (R_OK | W_OK) : R_OK;
			it->v[it->n++] = (struct item){ util_strdup(real), mode, !end || need->dir,
							false, need->what, parent };
		}
		*s = c;
		if (end)
			break;
	}
	free(real);
	return 0;
}

/* Grant u what item i lacks, or fail naming the folder or file and the fix. */
static int item_grant(const struct access_user *u, const struct item *i, char **note)
{
	bool search = i->dir && i->mode == X_OK;
	if (acl_grant(i->path, u->uid, acl_perms(i->mode)) < 0) {
		int e = errno;
		if (search)
			return vmm_fail("folder %s: user %s cannot search it and vmm cannot "
					"grant it (%s); fix: setfacl -m u:%s:x %s",
					i->path, u->name, util_strerror(e), u->name, i->path);
		return vmm_fail("%s %s: user %s cannot %s it and vmm cannot grant "
				"it (%s); fix: setfacl -m u:%s:%s %s",
				i->what, i->path, u->name, (i->mode & W_OK) ? "write" : "read",
				util_strerror(e), u->name, (i->mode & W_OK) ? "rw" : "r", i->path);
	}
	note_add(note, search, i->path);
	return 0;
}

/* Top down: what lies below a closed folder looks closed too, so a round grants only where
 * the folder above is open, and the next round looks again. */
static int items_grant(const struct access_user *u, struct item *v, size_t nv, char **note)
{
	for (bool granted = true; granted;) {
		granted = false;
		if (check_as(u, v, nv) < 0)
			return -1;
		for (size_t i = 0; i < nv; i++) {
			if (v[i].ok || (v[i].parent >= 0 && !v[v[i].parent].ok))
				continue;
			granted = true;
			if (item_grant(u, &v[i], note) < 0)
				return -1;
		}
	}
	return 0;
}

/* After grants, the kernel has the last word: every item must now be reachable. */
static int items_verify(const struct access_user *u, struct item *v, size_t nv)
{
	if (check_as(u, v, nv) < 0)
		return -1;
	for (size_t i = 0; i < nv; i++)
		if (!v[i].ok)
			return vmm_fail("%s: user %s still cannot reach it after an ACL grant "
					"(a security module?)",
					v[i].path, u->name);
	return 0;
}

int access_ensure(const struct access_user *u, const struct access_need *needs, size_t n,
		  char **note)
{
	*note = NULL;
	if (!access_drops(u))
		return 0; /* QEMU runs as vmm's own user (or root): what vmm reaches, it reaches */
	struct items it = { NULL, 0, 0 };
	int rc = -1;
	for (size_t i = 0; i < n; i++)
		if (needs[i].path && items_add_need(&it, &needs[i]) < 0)
			goto out;
	if (items_grant(u, it.v, it.n, note) < 0)
		goto out;
	if (*note) {
		if (items_verify(u, it.v, it.n) < 0)
			goto out;
		char *full = util_fmt("gave user %s (POSIX ACL) %s", u->name, *note);
		free(*note);
		*note = full;
	}
	rc = 0;
out:
	if (rc < 0) {
		free(*note);
		*note = NULL;
	}
	items_free(it.v, it.n);
	return rc;
}

int access_private_dir(const char *path)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return vmm_fail("%s: %s", path, util_strerror(errno));
	struct stat st;
	if (lstat(path, &st) < 0)
		return vmm_fail("%s: %s", path, util_strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return vmm_fail("run folder %s: not a real folder (%s); remove it or set "
				"XDG_RUNTIME_DIR",
				path, S_ISLNK(st.st_mode) ? "a symlink" : "not a directory");
	if (st.st_uid != geteuid())
		return vmm_fail("run folder %s: owned by uid %u, not by you (uid %u); remove it or "
				"set XDG_RUNTIME_DIR",
				path, (unsigned)st.st_uid, (unsigned)geteuid());
	if ((st.st_mode & 07777) != 0700)
		return vmm_fail("run folder %s: mode %04o, not 0700; chmod 700 it or set "
				"XDG_RUNTIME_DIR",
				path, (unsigned)(st.st_mode & 07777));
	return 0;
}
