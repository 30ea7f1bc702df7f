// SPDX-License-Identifier: MIT
/* store.c: where a home's profiles, images and run state live, its lock, and guest state */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/sys/access.h"
#include "vmm/sys/error.h"
#include "vmm/config/store.h"
#include "vmm/sys/util.h"

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

int store_open(struct vmm_home *h, const char *dir)
{
	memset(h, 0, sizeof(*h));
	bool shared_tmp = false; /* run/ in /tmp, where another user could have made it first */
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
		const char *rt = getenv("XDG_RUNTIME_DIR");
		shared_tmp = !(rt && *rt == '/');
		h->run = shared_tmp ? util_fmt("/tmp/vmm-%d", getuid()) : util_fmt("%s/vmm", rt);
	}
	/* disks, seeds and run state are their owner's alone (QEMU's user gets ACL entries) */
	if (util_mkdir_p(h->profiles, 0755) < 0 || util_mkdir_p(h->images, 0700) < 0 ||
	    (shared_tmp ? access_private_dir(h->run) : util_mkdir_p(h->run, 0700)) < 0) {
		store_close(h);
		return -1;
	}
	return 0;
}

void store_close(struct vmm_home *h)
{
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
/* dirfd >= 0: the name comes from reading the profiles folder open as dirfd, so the file is
 * there (a profile removed since then fails to read, with its reason) and is read relative to
 * it: one stat and most of a path lookup less per guest in a list; regular: readdir said it is a
 * regular file (one read then). */
static int load_checked(const struct vmm_home *h, const char *name, const struct vmm_netcfg *n,
			struct vmm_profile *p, int dirfd, bool regular)
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
	if (dirfd >= 0) {
		char file[VMM_NAME_MAX + 8];
		snprintf(file, sizeof(file), "%s.cfg", name);
		char *text = util_read_file_at(dirfd, file, path, regular, NULL);
		rc = text ? profile_parse(text, path, name, p) : -1;
		free(text);
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
		rc = load_checked(h, name, &n, p, -1, false);
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
	struct vmm_profile *v = NULL;
	struct store_invalid *b = NULL;
	size_t cnt = 0, cap = 0, nb = 0, bcap = 0;
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 4, ".cfg") || !strcmp(e->d_name, "net.cfg"))
			continue;
		char name[VMM_NAME_MAX + 2];
		if (len - 4 > VMM_NAME_MAX)
			continue; /* not a name vmm would write */
		snprintf(name, sizeof(name), "%.*s", (int)(len - 4), e->d_name);
		v = grow(v, cnt, &cap, sizeof(*v));
		if (load_checked(h, name, &net, &v[cnt], dirfd(d), e->d_type == DT_REG) == 0) {
			cnt++;
			continue;
		}
		if (!bad) {
			rc = -1;
			break;
		}
		/* one broken profile is one broken guest: keep its name and why */
		b = grow(b, nb, &bcap, sizeof(*b));
		snprintf(b[nb].name, sizeof(b[nb].name), "%s", name);
		b[nb].reason = util_strdup(*vmm_errmsg() ? vmm_errmsg() : "does not load");
		nb++;
		vmm_error_clear();
	}
	closedir(d);
	netcfg_free(&net);
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

/* Is pid a QEMU process (not a recycled pid of something else)? */
static bool is_qemu(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/exe", (long)pid);
	char target[512];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return errno == EACCES; /* not ours to inspect: trust the pid file */
	target[n] = '\0';
	return strstr(target, "qemu") != NULL;
}

enum vmm_state store_state(const struct vmm_home *h, const char *name, pid_t *pid)
{
	char *dir = store_run_dir(h, name);
	char *pidfile = util_fmt("%s/pid", dir);
	enum vmm_state st = VMM_STOPPED;
	pid_t p = 0;
	char *text = util_exists(pidfile) ? util_read_file(pidfile, NULL) : NULL;
	if (text) {
		p = (pid_t)strtol(text, NULL, 10);
		st = (p > 0 && util_pid_alive(p) && is_qemu(p)) ? VMM_RUNNING : VMM_CRASHED;
		free(text);
	}
	vmm_error_clear();
	if (pid)
		*pid = st == VMM_RUNNING ? p : 0;
	free(pidfile);
	free(dir);
	return st;
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
