// SPDX-License-Identifier: MIT
/* access.c: the users QEMU runs as (a uid per guest), and POSIX ACLs for libvirt's QEMU user */
#include <dirent.h>
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
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmm/sys/access.h"
#include "vmm/sys/error.h"
#include "vmm/sys/safepath.h"
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

/* A login shell: anything but nologin or false. */
static bool login_shell(const char *shell)
{
	const char *base = strrchr(shell, '/');
	base = base ? base + 1 : shell;
	return *shell && strcmp(base, "nologin") && strcmp(base, "false");
}

/* The account vmm must be no more than a system account: its group runs every QEMU. */
static int check_qemu_account(const struct passwd *pw)
{
	const char *n = ACCESS_QEMU_USER;
	struct stat st;
	if (pw->pw_uid == 0 || pw->pw_gid == 0)
		return vmm_fail("user %s: %s 0 (root); QEMU must not run as root: fix: userdel %s "
				"(vmm makes it again, a system user without shell or home)",
				n, pw->pw_uid == 0 ? "uid" : "gid", n);
	if (login_shell(pw->pw_shell))
		return vmm_fail("user %s: has the login shell %s; fix: usermod -s "
				"/usr/sbin/nologin %s",
				n, pw->pw_shell, n);
	if (pw->pw_dir && *pw->pw_dir && stat(pw->pw_dir, &st) == 0)
		return vmm_fail("user %s: has the home %s; fix: usermod -d /nonexistent %s", n,
				pw->pw_dir, n);
	return 0;
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
	struct passwd *pw = getpwnam(ACCESS_QEMU_USER);
	if (pw)
		return check_qemu_account(pw) < 0 ? -1 : access_lookup(ACCESS_QEMU_USER, u);
	/* first need: a system user with no shell and no home (a concurrent start may win the
	 * race: then the user is there all the same) */
	char *argv[] = { "useradd", "--system", "--user-group", "--no-create-home",
			 "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
			 "--comment", "vmm QEMU guests", ACCESS_QEMU_USER, NULL };
	char *err = NULL;
	int st = util_run_clean(argv, NULL, &err);
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
	pw = getpwnam(ACCESS_QEMU_USER);
	if (pw && check_qemu_account(pw) < 0)
		return -1;
	return access_lookup(ACCESS_QEMU_USER, u);
}

void access_guest_range(uid_t *first, unsigned *count)
{
	*first = ACCESS_GUEST_UID_FIRST;
	*count = ACCESS_GUEST_UID_COUNT;
	char *text = util_exists(ACCESS_SUBUID) ? util_read_file(ACCESS_SUBUID, NULL) : NULL;
	vmm_error_clear();
	for (char *l = text, *next; l && *l; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		unsigned long a, c;
		char user[64];
		/* "vmm:FIRST:COUNT"; a range that reaches root or wraps is ignored */
		if (sscanf(l, "%63[^:]:%lu:%lu", user, &a, &c) == 3 &&
		    !strcmp(user, ACCESS_QEMU_USER) && a > 0 && c > 0 && c <= UINT_MAX &&
		    a + c - 1 < UINT_MAX) {
			*first = (uid_t)a;
			*count = (unsigned)c;
			break;
		}
	}
	free(text);
}

/* Try one uid: its lock taken (non-blocking) means no running QEMU has it. */
static int uid_try_lock(int dir, uid_t uid, const char *tag)
{
	char name[16];
	snprintf(name, sizeof(name), "%u", (unsigned)uid);
	int fd = openat(dir, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return -1;
	}
	/* for the admin: which guest holds it */
	if (ftruncate(fd, 0) < 0 || write(fd, tag, strlen(tag)) < 0 || write(fd, "\n", 1) < 0)
		vmm_error_clear();
	return fd;
}

int access_guest_user(const struct access_user *qemu, const char *tag, struct access_user *out,
		      int *lock_fd)
{
	uid_t first;
	unsigned count;
	*lock_fd = -1;
	access_guest_range(&first, &count);
	if (access_private_dir(ACCESS_UID_LOCKS) < 0)
		return -1;
	int dir = open(ACCESS_UID_LOCKS, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0)
		return vmm_fail(ACCESS_UID_LOCKS ": %s", util_strerror(errno));
	/* a guest usually gets the same uid each time (easier to follow in ps), and the lock
	 * files stay few: the search starts at a hash of its name */
	const char *name = strrchr(tag, '/') ? strrchr(tag, '/') + 1 : tag;
	unsigned start = util_hash(UTIL_HASH_INIT, name) % count;
	for (unsigned k = 0; k < count && *lock_fd < 0; k++) {
		uid_t uid = first + (start + k) % count;
		if (getpwuid(uid))
			continue; /* an account's uid is never a guest's */
		*lock_fd = uid_try_lock(dir, uid, tag);
		if (*lock_fd < 0)
			continue;
		*out = *qemu;
		snprintf(out->name, sizeof(out->name), "+%u", (unsigned)uid);
		out->uid = uid;
		/* the account vmm's group and kvm; none of the account's other groups */
		out->n_groups = 0;
		struct group *kvm = access("/dev/kvm", F_OK) == 0 ? getgrnam("kvm") : NULL;
		if (kvm)
			out->groups[out->n_groups++] = kvm->gr_gid;
	}
	close(dir);
	if (*lock_fd < 0)
		return vmm_fail("guest uids %u-%u: all in use or taken by accounts (give the user "
				ACCESS_QEMU_USER " another range in " ACCESS_SUBUID ")",
				(unsigned)first, (unsigned)(first + count - 1));
	return 0;
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

/* ---- grants (libvirt's QEMU opens files by path) ---- */

/* One folder or file QEMU's user must reach, open as the walk found it. */
struct item {
	int fd;       /* O_PATH or O_RDONLY; the item owns it */
	char *path;
	dev_t dev;
	ino_t ino;
	int mode;     /* R_OK|W_OK|X_OK as access(2) */
	bool dir;
	bool ok;
	const char *what;
};

struct items {
	struct item *v;
	size_t n, cap;
};

static void items_free(struct items *it)
{
	for (size_t i = 0; i < it->n; i++) {
		close(it->v[i].fd);
		free(it->v[i].path);
	}
	free(it->v);
	memset(it, 0, sizeof(*it));
}

/* Add fd (the list now owns it) for path with mode; the same inode twice is one item. */
static void items_add(struct items *it, int fd, const char *path, int mode, bool dir,
		      const char *what)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		memset(&st, 0, sizeof(st));
	for (size_t i = 0; i < it->n; i++) {
		if (it->v[i].dev == st.st_dev && it->v[i].ino == st.st_ino) {
			it->v[i].mode |= mode;
			close(fd);
			return;
		}
	}
	if (it->n == it->cap) {
		it->cap = it->cap ? it->cap * 2 : 16;
		it->v = realloc(it->v, it->cap * sizeof(*it->v));
		if (!it->v)
			abort();
	}
	it->v[it->n++] = (struct item){ fd, util_strdup(path), st.st_dev, st.st_ino, mode, dir,
					false, what };
}

/* Open need->path the safe way; its folders and itself become items. */
static int items_add_need(struct items *it, const struct access_need *need)
{
	struct safepath_walk w = { 0 };
	int fd = safepath_open(need->what, need->path, need->dir ? O_PATH | O_DIRECTORY : O_PATH,
			       &w);
	if (fd < 0) {
		safepath_walk_free(&w);
		return -1;
	}
	for (size_t i = 0; i < w.n; i++) {
		items_add(it, w.v[i].fd, w.v[i].path, X_OK, true, "folder");
		w.v[i].fd = -1;
	}
	int mode = need->dir ? (R_OK | W_OK | X_OK) : need->write ? (R_OK | W_OK) : R_OK;
	items_add(it, fd, need->path, mode, need->dir, need->what);
	for (size_t i = 0; i < w.n; i++)
		free(w.v[i].path);
	free(w.v);
	return 0;
}

/* Ask the kernel, as u, whether each item (by its descriptor) allows what it needs: one child
 * takes u's identity and answers one byte per item on a pipe. */
static int check_as(const struct access_user *u, struct items *it)
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
		for (size_t i = 0; i < it->n; i++) {
			int ok = faccessat(it->v[i].fd, "", it->v[i].mode, AT_EMPTY_PATH) == 0;
			char c = ok ? '1' : '0';
			if (write(p[1], &c, 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	close(p[1]);
	size_t got = 0;
	char c;
	while (got < it->n) {
		ssize_t r = read(p[0], &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		it->v[got++].ok = c == '1';
	}
	close(p[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (got < it->n)
		return vmm_fail("user %s: cannot take its identity to check access", u->name);
	return 0;
}

static int acl_perms(int mode)
{
	return ((mode & R_OK) ? ACL_READ : 0) | ((mode & W_OK) ? ACL_WRITE : 0) |
	       ((mode & X_OK) ? ACL_EXECUTE : 0);
}

/* The perms of an entry as ACL_READ|ACL_WRITE|ACL_EXECUTE bits. */
static int entry_perms(acl_entry_t e)
{
	acl_permset_t ps;
	if (acl_get_permset(e, &ps) < 0)
		return 0;
	return (acl_get_perm(ps, ACL_READ) == 1 ? ACL_READ : 0) |
	       (acl_get_perm(ps, ACL_WRITE) == 1 ? ACL_WRITE : 0) |
	       (acl_get_perm(ps, ACL_EXECUTE) == 1 ? ACL_EXECUTE : 0);
}

static int entry_set(acl_entry_t e, int perms)
{
	acl_permset_t ps;
	if (acl_get_permset(e, &ps) < 0 || acl_clear_perms(ps) < 0)
		return -1;
	if (((perms & ACL_READ) && acl_add_perm(ps, ACL_READ) < 0) ||
	    ((perms & ACL_WRITE) && acl_add_perm(ps, ACL_WRITE) < 0) ||
	    ((perms & ACL_EXECUTE) && acl_add_perm(ps, ACL_EXECUTE) < 0))
		return -1;
	return acl_set_permset(e, ps);
}

/* The entry of tag (and uid for ACL_USER) in acl, or NULL. */
static acl_entry_t entry_find(acl_t acl, acl_tag_t want, uid_t uid)
{
	acl_entry_t e;
	for (int w = ACL_FIRST_ENTRY; acl_get_entry(acl, w, &e) == 1; w = ACL_NEXT_ENTRY) {
		acl_tag_t tag;
		if (acl_get_tag_type(e, &tag) < 0 || tag != want)
			continue;
		if (tag != ACL_USER)
			return e;
		uid_t *q = acl_get_qualifier(e);
		bool mine = q && *q == uid;
		acl_free(q);
		if (mine)
			return e;
	}
	return NULL;
}

/* No one else gains a right when the mask widens for u: every other entry of the group class
 * (named users and groups, the owning group) keeps just what the old mask let it have. */
static int clamp_group_class(acl_t acl, uid_t uid, int mask)
{
	acl_entry_t e;
	for (int w = ACL_FIRST_ENTRY; acl_get_entry(acl, w, &e) == 1; w = ACL_NEXT_ENTRY) {
		acl_tag_t tag;
		if (acl_get_tag_type(e, &tag) < 0)
			return -1;
		if (tag == ACL_USER) {
			uid_t *q = acl_get_qualifier(e);
			bool mine = q && *q == uid;
			acl_free(q);
			if (mine)
				continue;
		} else if (tag != ACL_GROUP && tag != ACL_GROUP_OBJ) {
			continue;
		}
		if (entry_set(e, entry_perms(e) & mask) < 0)
			return -1;
	}
	return 0;
}

/* Make sure acl has a mask (a new one stands for the owning group's bits); *old gets its bits.
 * Creating an entry may move the others: look them up again afterwards. */
static int mask_ensure(acl_t *acl, int *old)
{
	acl_entry_t m = entry_find(*acl, ACL_MASK, 0), g = entry_find(*acl, ACL_GROUP_OBJ, 0);
	if (m) {
		*old = entry_perms(m);
		return 0;
	}
	*old = g ? entry_perms(g) : 0;
	if (acl_create_entry(acl, &m) < 0 || acl_set_tag_type(m, ACL_MASK) < 0)
		return -1;
	return entry_set(m, *old);
}

/* Give uid perms on the inode fd refers to, through the descriptor (/proc/self/fd/N reaches the
 * inode itself, never a path). *added gets the bits that were not there, *created whether the
 * entry is new. */
static int acl_grant_fd(int fd, uid_t uid, int perms, int *added, bool *created)
{
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	acl_t acl = acl_get_file(self, ACL_TYPE_ACCESS);
	acl_entry_t e, m;
	int rc = -1, old_mask = 0;
	if (!acl)
		return -1;
	e = entry_find(acl, ACL_USER, uid);
	*created = !e;
	if (!e && (acl_create_entry(&acl, &e) < 0 || acl_set_tag_type(e, ACL_USER) < 0 ||
		   acl_set_qualifier(e, &uid) < 0 || entry_set(e, 0) < 0))
		goto out;
	if (mask_ensure(&acl, &old_mask) < 0 || clamp_group_class(acl, uid, old_mask) < 0)
		goto out;
	e = entry_find(acl, ACL_USER, uid);
	m = entry_find(acl, ACL_MASK, 0);
	if (!e || !m)
		goto out;
	*added = perms & ~entry_perms(e);
	if (entry_set(e, entry_perms(e) | perms) < 0 || entry_set(m, old_mask | perms) < 0)
		goto out;
	if (acl_valid(acl) < 0 || acl_set_file(self, ACL_TYPE_ACCESS, acl) < 0)
		goto out;
	rc = 0;
out:
	acl_free(acl);
	return rc;
}

/* Does acl still hold a named user or group? */
static bool acl_named(acl_t acl)
{
	acl_entry_t e;
	for (int w = ACL_FIRST_ENTRY; acl_get_entry(acl, w, &e) == 1; w = ACL_NEXT_ENTRY) {
		acl_tag_t tag;
		if (acl_get_tag_type(e, &tag) == 0 && (tag == ACL_USER || tag == ACL_GROUP))
			return true;
	}
	return false;
}

/* Take back what acl_grant_fd added; the mask shrinks to what the group class still holds. */
static int acl_revoke_fd(int fd, uid_t uid, int added, bool created)
{
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	acl_t acl = acl_get_file(self, ACL_TYPE_ACCESS);
	int rc = -1;
	if (!acl)
		return -1;
	acl_entry_t e = entry_find(acl, ACL_USER, uid);
	if (!e) {
		rc = 0;
		goto out;
	}
	int left = entry_perms(e) & ~added;
	if ((created && !left) ? acl_delete_entry(acl, e) < 0 : entry_set(e, left) < 0)
		goto out;
	/* every other entry is within the mask (clamped at the grant): the mask can only shrink;
	 * with no named entry left it goes, and the ACL is the mode again */
	acl_entry_t m = acl_named(acl) ? NULL : entry_find(acl, ACL_MASK, 0);
	if (m ? acl_delete_entry(acl, m) < 0 : acl_calc_mask(&acl) < 0)
		goto out;
	if (acl_set_file(self, ACL_TYPE_ACCESS, acl) < 0)
		goto out;
	rc = 0;
out:
	acl_free(acl);
	return rc;
}

static void note_add(char **note, bool search, const char *path)
{
	char *old = *note;
	*note = util_fmt("%s%s%s%s", old ? old : "", old ? ", " : "", search ? "search on " : "",
			 path);
	free(old);
}

/* A record line: "DEV INO UID ADDED NEW d|f PATH". */
static char *record_line(const struct item *i, uid_t uid, int added, bool created)
{
	return util_fmt("%llu %llu %u %d %d %c %s\n", (unsigned long long)i->dev,
			(unsigned long long)i->ino, (unsigned)uid, added, created ? 1 : 0,
			i->dir ? 'd' : 'f', i->path);
}

static int record_append(const char *record, const char *lines)
{
	if (!record || !*lines)
		return 0;
	char *old = util_exists(record) ? util_read_file(record, NULL) : NULL;
	char *text = util_fmt("%s%s", old ? old : "", lines);
	int rc = util_write_file(record, text, strlen(text), 0600);
	free(old);
	free(text);
	return rc;
}

/* Grant u what item i lacks, or fail naming the folder or file and the fix. */
static int item_grant(const struct access_user *u, const struct item *i, char **note,
		      char **lines)
{
	bool search = i->dir && i->mode == X_OK, created = false;
	int added = 0;
	if (acl_grant_fd(i->fd, u->uid, acl_perms(i->mode), &added, &created) < 0) {
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
	char *line = record_line(i, u->uid, added, created), *old = *lines;
	*lines = util_fmt("%s%s", old, line);
	free(old);
	free(line);
	note_add(note, search, i->path);
	return 0;
}

/* Grant everything the check found missing; the lines to record go to *lines. */
static int items_grant(const struct access_user *u, struct items *it, char **note, char **lines)
{
	if (check_as(u, it) < 0)
		return -1;
	for (size_t i = 0; i < it->n; i++)
		if (!it->v[i].ok && item_grant(u, &it->v[i], note, lines) < 0)
			return -1;
	if (!*note)
		return 0;
	/* the kernel has the last word: every item must now be reachable */
	if (check_as(u, it) < 0)
		return -1;
	for (size_t i = 0; i < it->n; i++)
		if (!it->v[i].ok)
			return vmm_fail("%s: user %s still cannot reach it after an ACL grant "
					"(a security module?)",
					it->v[i].path, u->name);
	return 0;
}

/* Undo grants listed in lines (one record's text), skipping those others still hold. */
static void revoke_lines(char *lines, const char *others)
{
	for (char *l = lines, *next; l && *l; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		unsigned long long dev, ino;
		unsigned uid;
		int added, created, off = 0;
		char kind;
		if (sscanf(l, "%llu %llu %u %d %d %c %n", &dev, &ino, &uid, &added, &created, &kind,
			   &off) != 6 || !off)
			continue;
		char key[96];
		snprintf(key, sizeof(key), "%llu %llu %u ", dev, ino, uid);
		bool held = false;
		for (const char *o = others; o && !held && (o = strstr(o, key)); o++)
			held = o == others || o[-1] == '\n';
		if (held)
			continue; /* another guest still needs it */
		int flags = kind == 'd' ? O_PATH | O_DIRECTORY : O_PATH;
		int fd = safepath_open("granted", l + off, flags, NULL);
		struct stat st;
		if (fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == (dev_t)dev &&
		    st.st_ino == (ino_t)ino)
			acl_revoke_fd(fd, (uid_t)uid, added, created);
		if (fd >= 0)
			close(fd);
		vmm_error_clear(); /* gone or replaced: nothing of ours is there */
	}
}

/* The text of every other record (*.grants) in the folder holding record. */
static char *other_records(const char *record)
{
	char *dir = util_strdup(record), *slash = strrchr(dir, '/');
	const char *self = slash ? slash + 1 : record;
	if (slash)
		*slash = '\0';
	DIR *d = opendir(slash ? (*dir ? dir : "/") : ".");
	char *all = util_strdup("");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 7 || strcmp(e->d_name + len - 7, ".grants") || !strcmp(e->d_name, self))
			continue;
		int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		char buf[65536];
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		char *more = util_fmt("%s%s%s", all, *all ? "\n" : "", buf);
		free(all);
		all = more;
	}
	if (d)
		closedir(d);
	free(dir);
	return all;
}

int access_revoke(const char *record)
{
	if (!record || !util_exists(record))
		return 0;
	char *lines = util_read_file(record, NULL);
	if (!lines)
		return -1;
	char *others = other_records(record);
	revoke_lines(lines, others);
	free(others);
	free(lines);
	if (unlink(record) < 0 && errno != ENOENT)
		return vmm_fail("%s: %s", record, util_strerror(errno));
	return 0;
}

int access_ensure(const struct access_user *u, const struct access_need *needs, size_t n,
		  const char *record, char **note)
{
	*note = NULL;
	if (!access_drops(u))
		return 0; /* QEMU runs as vmm's own user (or root): what vmm reaches, it reaches */
	struct items it = { NULL, 0, 0 };
	char *lines = util_strdup("");
	int rc = -1;
	for (size_t i = 0; i < n; i++)
		if (needs[i].path && items_add_need(&it, &needs[i]) < 0)
			goto out;
	if (items_grant(u, &it, note, &lines) < 0 || record_append(record, lines) < 0)
		goto out;
	if (*note) {
		char *full = util_fmt("gave user %s (POSIX ACL) %s", u->name, *note);
		free(*note);
		*note = full;
	}
	rc = 0;
out:
	if (rc < 0) {
		/* nothing half-done: what this call granted is taken back */
		struct vmm_saved_error e;
		vmm_error_save(&e);
		revoke_lines(lines, NULL);
		vmm_error_restore(&e);
		free(*note);
		*note = NULL;
	}
	free(lines);
	items_free(&it);
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
