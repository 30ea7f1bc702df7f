// SPDX-License-Identifier: MIT
/* store.c: where a home's profiles, images and run state live, its lock, and guest state */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vmm/sys/access.h"
#include "vmm/sys/error.h"
#include "vmm/sys/parallel.h"
#include "vmm/sys/proc.h"
#include "vmm/config/store.h"
#include "vmm/sys/trust.h"
#include "vmm/sys/util.h"
#include "vmm/config/validate.h"

static char *xdg(const char *var, const char *fallback_rel)
{
	const char *v = getenv(var);
	if (v && *v == '/')
		return util_fmt("%s/vmm", v);
	const char *home = getenv("HOME");
	if (!home || !*home)
		home = "/tmp";
	return util_fmt("%s/%s/vmm", home, fallback_rel);
}

/*
 * StrictModes for the home (issue 17, item 6): the folders, and the files read before any profile
 * (net.cfg, the journal, the image entries), are refused unless root or the caller controls them
 * and every folder above. Before anything is made or read, and again once the folders exist.
 */
static int trust_home(const struct vmm_home *h, const char *dir, bool run)
{
	uid_t me = geteuid();
	const char *folders[] = { dir, h->profiles, h->images, run ? h->run : NULL };
	for (size_t i = 0; i < ARRAY_SIZE(folders); i++)
		if (folders[i] && *folders[i] && trust_path(folders[i], me, true) < 0)
			return -1;
	char *files[] = { store_net_path(h), util_fmt("%s/images.cfg", h->images),
			  run ? util_fmt("%s/net.state", h->run) : NULL /* journal.h */ };
	int rc = 0;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		if (rc == 0 && files[i] && trust_path(files[i], me, true) < 0)
			rc = -1;
		free(files[i]);
	}
	return rc;
}

int store_open(struct vmm_home *h, const char *dir)
{
	memset(h, 0, sizeof(*h));
	bool checked = false; /* run/ outside XDG_RUNTIME_DIR: checked to be a private folder */
	char *state = NULL;   /* then its parent, $XDG_STATE_HOME/vmm */
	if (!dir || !*dir)
		dir = getenv("VMM_HOME");
	if (dir && *dir) {
		h->profiles = util_fmt("%s/profiles", dir);
		h->images = util_fmt("%s/images", dir);
		h->run = util_fmt("%s/run", dir);
	} else if (geteuid() == 0) {
		h->profiles = util_strdup("/etc/vmm");
		h->images = util_strdup("/var/lib/vmm/images");
		h->run = util_strdup("/run/vmm");
	} else {
		h->profiles = xdg("XDG_CONFIG_HOME", ".config");
		char *data = xdg("XDG_DATA_HOME", ".local/share");
		h->images = util_fmt("%s/images", data);
		free(data);
		/* run state in XDG_RUNTIME_DIR (gone at logout or reboot, as a crash's leftovers
		 * should be); without it, a private folder in the user's state home, not /tmp
		 * (writable by all, or by none on some hosts; passt may write only under /tmp
		 * and the home) */
		const char *rt = getenv("XDG_RUNTIME_DIR");
		checked = !(rt && *rt == '/');
		state = checked ? xdg("XDG_STATE_HOME", ".local/state") : NULL;
		h->run = checked ? util_fmt("%s/run", state) : util_fmt("%s/vmm", rt);
	}
	/* disks, seeds and run state are their owner's alone (QEMU's user gets ACL entries) */
	/* (run/ outside XDG_RUNTIME_DIR is checked more strictly by access_private_dir first) */
	if (trust_home(h, dir, !checked) < 0 || (state && util_mkdir_p(state, 0700) < 0) ||
	    util_mkdir_p(h->profiles, 0755) < 0 || util_mkdir_p(h->images, 0700) < 0 ||
	    (checked ? access_private_dir(h->run) : util_mkdir_p(h->run, 0700)) < 0 ||
	    trust_home(h, dir, true) < 0) {
		free(state);
		store_close(h);
		return -1;
	}
	free(state);
	h->run_fd = open(h->run, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return 0;
}

void store_close(struct vmm_home *h)
{
	if (h->run_fd > 0)
		close(h->run_fd);
	free(h->profiles);
	free(h->images);
	free(h->run);
	memset(h, 0, sizeof(*h));
}

char *store_profile_path(const struct vmm_home *h, const char *name)
{
	return util_fmt("%s/%s.cfg", h->profiles, name);
}

char *store_net_path(const struct vmm_home *h)
{
	return util_fmt("%s/net.cfg", h->profiles);
}

char *store_image_path(const struct vmm_home *h, const char *rel)
{
	if (rel[0] == '/')
		return util_strdup(rel);
	return util_fmt("%s/%s", h->images, rel);
}

char *store_disk_path(const struct vmm_home *h, const struct vmm_profile *p)
{
	return store_image_path(h, p->disk_path);
}

char *store_seed_path(const struct vmm_home *h, const char *name)
{
	return util_fmt("%s/%s-seed.iso", h->images, name);
}

char *store_run_dir(const struct vmm_home *h, const char *name)
{
	return util_fmt("%s/%s", h->run, name);
}

int store_lock(const struct vmm_home *h)
{
	char *path = util_fmt("%s/.lock", h->profiles);
	int fd = util_lock(path);
	free(path);
	return fd;
}

/* Load one profile and check it against net (a hand-edited profile is checked like one vmm
 * wrote). */
/* dirfd >= 0: the name comes from reading the profiles folder open as dirfd (checked by
 * store_open), so the file is read relative to it and checked on its descriptor: one lookup per
 * guest in a list, not one per folder above (a profile removed since fails with its reason).
 * me: the caller's euid, whom the file must belong to (or root). */
static int load_checked(const struct vmm_home *h, const char *name, const struct vmm_netcfg *n,
			struct vmm_profile *p, int dirfd, uid_t me)
{
	profile_init(p);
	char *path = store_profile_path(h, name);
	if (profile_check_name(name) < 0) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", vmm_errmsg());
		vmm_invalid("%s: %s", path, msg);
		free(path);
		return -1;
	}
	int rc;
	if (dirfd >= 0) { /* StrictModes: before a byte is read (the folder was checked) */
		char file[VMM_NAME_MAX + 8];
		snprintf(file, sizeof(file), "%s.cfg", name);
		char *text = trust_read_at(dirfd, file, path, me);
		rc = text ? profile_parse(text, path, name, p) : -1;
		free(text);
	} else if (trust_path(path, me, true) < 0) {
		rc = -1;
	} else if (!util_exists(path)) {
		rc = vmm_invalid("%s: no such guest (see vmm list)", name);
	} else {
		rc = profile_load(path, name, p);
	}
	if (rc == 0 && profile_validate(p, n) < 0) {
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s", vmm_errmsg());
		rc = vmm_invalid("%s: %s", path, msg);
		profile_free(p);
	}
	free(path);
	return rc;
}

int store_load(const struct vmm_home *h, const char *name, struct vmm_profile *p)
{
	struct vmm_netcfg n;
	profile_init(p);
	int rc = store_load_net(h, &n);
	if (rc == 0)
		rc = load_checked(h, name, &n, p, -1, geteuid());
	netcfg_free(&n);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct vmm_profile *)a)->name, ((const struct vmm_profile *)b)->name);
}

static int bad_by_name(const void *a, const void *b)
{
	return strcmp(((const struct store_invalid *)a)->name,
		      ((const struct store_invalid *)b)->name);
}

static void *grow(void *v, size_t cnt, size_t *cap, size_t size)
{
	if (cnt < *cap)
		return v;
	*cap = *cap ? *cap * 2 : 8;
	v = realloc(v, *cap * size);
	if (!v)
		abort();
	return v;
}

/* ---- loading every profile, on as many threads as there are CPUs ---- */

/* One profile of the folder, and how its load went. */
struct load_slot {
	char name[VMM_NAME_MAX + 2];
	struct vmm_profile p;
	int code;     /* VMM_OK when p loaded, else the error's kind */
	char *reason; /* then why */
};

/* What every load shares. */
struct load_work {
	const struct vmm_home *h;
	const struct vmm_netcfg *net;
	struct load_slot *slots;
	int dirfd;
	uid_t me;
};

static void load_slot(void *arg, size_t i)
{
	const struct load_work *w = arg;
	struct load_slot *s = &w->slots[i];
	if (load_checked(w->h, s->name, w->net, &s->p, w->dirfd, w->me) == 0) {
		s->code = VMM_OK;
		return;
	}
	s->code = vmm_errcode() == VMM_OK ? VMM_EFAIL : vmm_errcode();
	s->reason = util_strdup(*vmm_errmsg() ? vmm_errmsg() : "does not load");
	vmm_error_clear();
}

/* fewer profiles than this per CPU: a thread costs more than it saves */
#define LOAD_PER_THREAD 128

/* The names of the profiles in the folder open as d (net.cfg and names vmm would not write left
 * out). */
static struct load_slot *profile_names(DIR *d, size_t *n)
{
	struct load_slot *slots = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 4, ".cfg") || !strcmp(e->d_name, "net.cfg"))
			continue;
		if (len - 4 > VMM_NAME_MAX)
			continue; /* not a name vmm would write */
		slots = grow(slots, cnt, &cap, sizeof(*slots));
		memset(&slots[cnt], 0, sizeof(slots[cnt]));
		snprintf(slots[cnt].name, sizeof(slots[cnt].name), "%.*s", (int)(len - 4), e->d_name);
		cnt++;
	}
	*n = cnt;
	return slots;
}

int store_load_all(const struct vmm_home *h, struct vmm_profile **out, size_t *n,
		   struct store_invalid **bad, size_t *n_bad)
{
	*out = NULL;
	*n = 0;
	if (bad) {
		*bad = NULL;
		*n_bad = 0;
	}
	struct vmm_netcfg net;
	if (store_load_net(h, &net) < 0) {
		netcfg_free(&net);
		return -1;
	}
	DIR *d = opendir(h->profiles);
	if (!d) {
		netcfg_free(&net);
		return vmm_fail("%s: %s", h->profiles, util_strerror(errno));
	}
	size_t total;
	struct load_slot *slots = profile_names(d, &total);
	struct load_work w = { .h = h, .net = &net, .slots = slots, .dirfd = dirfd(d),
			       .me = geteuid() };
	parallel_for(total, LOAD_PER_THREAD, load_slot, &w);
	closedir(d);
	netcfg_free(&net);
	size_t cnt = 0, nb = 0;
	for (size_t i = 0; i < total; i++)
		slots[i].code == VMM_OK ? cnt++ : nb++;
	struct vmm_profile *v = calloc(cnt ? cnt : 1, sizeof(*v));
	struct store_invalid *b = calloc(nb ? nb : 1, sizeof(*b));
	if (!v || !b)
		abort();
	int rc = 0;
	cnt = nb = 0;
	for (size_t i = 0; i < total; i++) {
		if (slots[i].code == VMM_OK) {
			v[cnt++] = slots[i].p;
			continue;
		}
		/* one broken profile is one broken guest: keep its name and why */
		if (!bad && rc == 0)
			rc = slots[i].code == VMM_EINVAL ? vmm_invalid("%s", slots[i].reason)
							 : vmm_fail("%s", slots[i].reason);
		snprintf(b[nb].name, sizeof(b[nb].name), "%s", slots[i].name);
		b[nb++].reason = slots[i].reason;
	}
	free(slots);
	if (rc < 0) {
		store_free_all(v, cnt);
		store_free_invalid(b, nb);
		return -1;
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), by_name);
	if (nb)
		qsort(b, nb, sizeof(*b), bad_by_name);
	*out = v;
	*n = cnt;
	if (bad) {
		*bad = b;
		*n_bad = nb;
	} else {
		store_free_invalid(b, nb);
	}
	return 0;
}

void store_free_invalid(struct store_invalid *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(b[i].reason);
	free(b);
}

void store_free_all(struct vmm_profile *ps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		profile_free(&ps[i]);
	free(ps);
}

int store_load_net(const struct vmm_home *h, struct vmm_netcfg *n)
{
	char *path = store_net_path(h);
	int rc = netcfg_load(path, n);
	free(path);
	return rc;
}

/* net.cfg's text with the ipv6 line's "auto" replaced by p; NULL when no such line. */
static char *ipv6_auto_replaced(const char *text, const char *p)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *k = l + strspn(l, " \t");
		if (strncmp(k, "ipv6", 4))
			continue;
		const char *v = k + 4 + strspn(k + 4, " \t");
		if (*v != '=' && *v != ':')
			continue;
		v += 1 + strspn(v + 1, " \t");
		if (strncmp(v, "\"auto\"", 6))
			continue;
		return util_fmt("%.*s\"%s\"%s", (int)(v - text), text, p, v + 6);
	}
	return NULL;
}

int store_net_resolve(const struct vmm_home *h, struct vmm_netcfg *n)
{
	int changed = netcfg_ipv6_resolve(n);
	if (changed <= 0)
		return changed;
	char *path = store_net_path(h);
	char *text = util_exists(path) ? util_read_file(path, NULL) : NULL;
	char *out = text ? ipv6_auto_replaced(text, n->ipv6) : NULL;
	if (!out) /* the line is not as vmm writes it: the whole file, from the table */
		out = netcfg_format(n);
	int rc = util_write_file(path, out, strlen(out), 0644);
	if (rc == 0)
		vmm_notice("net.cfg: ipv6 \"auto\" is %s from now on", n->ipv6);
	free(out);
	free(text);
	free(path);
	return rc;
}

bool store_exists(const struct vmm_home *h, const char *name)
{
	char *path = store_profile_path(h, name);
	bool r = util_exists(path);
	free(path);
	return r;
}

int store_save(const struct vmm_home *h, const struct vmm_profile *p)
{
	char *path = store_profile_path(h, p->name);
	char *text = profile_format(p);
	int rc = util_write_file(path, text, strlen(text), 0644);
	free(text);
	free(path);
	return rc;
}

const char *store_state_name(enum vmm_state s)
{
	switch (s) {
	case VMM_RUNNING: return "running";
	case VMM_CRASHED: return "crashed";
	case VMM_STOPPED: break;
	}
	return "stopped";
}

/* ---- run state: run/NAME belongs to vmm's user, and nothing in it is followed ---- */

/* The run folder opened (O_PATH) when it is what vmm made: a real folder of vmm's user that
 * no one else may write; -1 otherwise (errno ENOENT when absent). */
static int open_run_dir(const struct vmm_home *h, const char *name)
{
	/* one short lookup (a list asks this of every guest): run/ itself may be a link, NAME not;
	 * most guests of a list are stopped, and a stat that fails costs half an open that does */
	int flags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, fd = -1;
	char path[PATH_MAX];
	struct stat st;
	if (h->run_fd > 0 && fstatat(h->run_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		fd = -1;
	else if (h->run_fd > 0)
		fd = openat(h->run_fd, name, flags);
	else if (snprintf(path, sizeof(path), "%s/%s", h->run, name) >= (int)sizeof(path))
		errno = ENAMETOOLONG;
	else
		fd = open(path, flags);
	int e = errno;
	if (fd >= 0 && (fstat(fd, &st) < 0 || st.st_uid != geteuid() ||
			(st.st_mode & (S_IWGRP | S_IWOTH)))) {
		close(fd);
		fd = -1;
		e = EPERM;
	}
	errno = e;
	return fd;
}

/* A small file of the run folder: read without following a link, and only when vmm's user
 * wrote it (no one else may). */
static int read_run_file(int dir, const char *file, char *buf, size_t len)
{
	int fd = openat(dir, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	ssize_t n = -1;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
	    !(st.st_mode & (S_IWGRP | S_IWOTH)))
		n = read(fd, buf, len - 1);
	if (fd >= 0)
		close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

unsigned long long store_proc_starttime(pid_t pid)
{
	char state;
	unsigned long long t = 0;
	return proc_stat(pid, &state, &t, NULL, 0) ? t : 0;
}

/* The pid vmm recorded, when that process is still the one it started (same start time). */
static pid_t recorded_pid(const struct vmm_home *h, const char *name, bool *had)
{
	char pbuf[32], sbuf[32];
	int dir = open_run_dir(h, name);
	*had = false;
	if (dir < 0)
		return 0;
	bool ok = read_run_file(dir, STORE_PID_FILE, pbuf, sizeof(pbuf)) == 0;
	*had = ok || faccessat(dir, STORE_PID_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	ok = ok && read_run_file(dir, STORE_STARTTIME_FILE, sbuf, sizeof(sbuf)) == 0;
	close(dir);
	char *end;
	long p = ok ? strtol(pbuf, &end, 10) : 0;
	unsigned long long t = ok ? strtoull(sbuf, NULL, 10) : 0;
	if (p <= 0 || p > INT_MAX || t == 0 || !proc_is((pid_t)p, t))
		return 0;
	return (pid_t)p;
}

enum vmm_state store_state(const struct vmm_home *h, const char *name, pid_t *pid)
{
	bool had;
	pid_t p = recorded_pid(h, name, &had);
	if (pid)
		*pid = p;
	return p > 0 ? VMM_RUNNING : had ? VMM_CRASHED : VMM_STOPPED;
}

int store_pidfd(const struct vmm_home *h, const char *name, pid_t *pid)
{
	bool had;
	pid_t p = recorded_pid(h, name, &had);
	*pid = 0;
	if (p <= 0)
		return -1;
	int fd = (int)syscall(SYS_pidfd_open, p, 0);
	/* checked again once the descriptor holds the process: the pid cannot be reused now */
	if (fd >= 0 && recorded_pid(h, name, &had) != p) {
		close(fd);
		fd = -1;
	}
	if (fd >= 0)
		*pid = p;
	return fd;
}

int store_pid_write(const struct vmm_home *h, const char *name, pid_t pid)
{
	unsigned long long t = store_proc_starttime(pid);
	if (!t)
		return vmm_fail("%s: pid %ld: no start time in /proc", name, (long)pid);
	char *dir = store_run_dir(h, name);
	char *pf = util_fmt("%s/" STORE_PID_FILE, dir);
	char *sf = util_fmt("%s/" STORE_STARTTIME_FILE, dir);
	char pbuf[32], sbuf[32];
	snprintf(pbuf, sizeof(pbuf), "%ld\n", (long)pid);
	snprintf(sbuf, sizeof(sbuf), "%llu\n", t);
	/* the start time first: a pid file is never there without it */
	int rc = util_write_file(sf, sbuf, strlen(sbuf), 0600) < 0 ||
			 util_write_file(pf, pbuf, strlen(pbuf), 0600) < 0
		 ? -1
		 : 0;
	free(pf);
	free(sf);
	free(dir);
	return rc;
}

int store_run_remove(const struct vmm_home *h, const char *name)
{
	int run = open(h->run, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (run < 0)
		return errno == ENOENT ? 0 : vmm_fail("%s: %s", h->run, util_strerror(errno));
	int rc = util_remove_at(run, name);
	close(run);
	return rc < 0 ? vmm_error_prefix("%s", h->run) : 0;
}

int store_run_create(const struct vmm_home *h, const char *name)
{
	if (store_run_remove(h, name) < 0)
		return -1;
	char *dir = store_run_dir(h, name);
	int rc = 0;
	if (mkdir(dir, 0700) < 0)
		rc = vmm_fail("%s: %s", dir, util_strerror(errno));
	free(dir);
	return rc;
}

int store_guest_lock(const struct vmm_home *h, const char *name)
{
	/* beside run/NAME, never inside: run/NAME comes and goes, the lock must not */
	char *path = util_fmt("%s/.%s.lock", h->run, name);
	int fd = util_lock(path);
	free(path);
	return fd;
}

char *store_grants_path(const struct vmm_home *h, const char *name)
{
	return util_fmt("%s/%s.grants", h->run, name);
}

static int guest_file(const struct vmm_home *h, const char *name, const char *what,
		      const char *rel, char **out)
{
	*out = store_image_path(h, rel);
	if (!util_exists(*out))
		return vmm_fail("%s: %s %s: no such file%s", name, what, *out,
				strcmp(what, "disk") ? "" : " (create it with vmm create)");
	return util_check_readable(what, *out);
}

int store_guest_files(const struct vmm_home *h, const struct vmm_profile *p, bool install,
		      struct store_guest_files *f)
{
	memset(f, 0, sizeof(*f));
	f->disk = store_disk_path(h, p);
	if (!util_exists(f->disk))
		return vmm_fail("%s: disk %s: no such file (create it with vmm create)", p->name,
				f->disk);
	if (util_check_readable("disk", f->disk) < 0)
		return -1;
	if (install && !p->iso)
		return vmm_invalid("%s: --install needs an ISO in the profile (vmm set %s iso=FILE)",
				   p->name, p->name);
	if (install && guest_file(h, p->name, "iso", p->iso, &f->iso) < 0)
		return -1;
	if (p->kernel && guest_file(h, p->name, "kernel", p->kernel, &f->kernel) < 0)
		return -1;
	if (p->kernel && p->initrd && guest_file(h, p->name, "initrd", p->initrd, &f->initrd) < 0)
		return -1;
	return 0;
}

void store_guest_files_free(struct store_guest_files *f)
{
	free(f->disk);
	free(f->iso);
	free(f->kernel);
	free(f->initrd);
	memset(f, 0, sizeof(*f));
}
