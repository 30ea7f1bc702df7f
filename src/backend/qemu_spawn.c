// SPDX-License-Identifier: MIT
/* qemu_spawn.c: QEMU's descriptors (vmm opens every file), its uid of its own, and its spawn */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/backend/qemu_spawn.h"
#include "vmm/storage/image.h"
#include "vmm/sys/error.h"
#include "vmm/sys/safepath.h"
#include "vmm/sys/util.h"

void qemu_spawn_init(struct qemu_spawn *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < QEMU_FD_SLOTS; i++)
		s->fd[i] = -1;
	s->log = -1;
}

void qemu_spawn_close(struct qemu_spawn *s)
{
	for (int i = 0; i < QEMU_FD_SLOTS; i++) {
		/* the chain's descriptors are the chain's */
		if (s->fd[i] >= 0 && (i < QEMU_DISK_FD || i >= QEMU_DISK_FD + (int)s->chain.n))
			close(s->fd[i]);
		s->fd[i] = -1;
	}
	if (s->log >= 0)
		close(s->log);
	s->log = -1;
	chain_close(&s->chain);
}

/* A sealed memory copy of the file fd: QEMU reopens it through /proc/self/fd, which works for
 * a memfd whoever holds it, and no one can change it under QEMU. Copied in the kernel
 * (sendfile), not through a buffer. */
static int memfd_copy(const char *what, const char *path, int fd)
{
	int m = memfd_create(what, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (m < 0)
		return vmm_fail("%s %s: memfd: %s", what, path, util_strerror(errno));
	for (;;) {
		ssize_t r = sendfile(m, fd, NULL, 1 << 30);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			break;
		if (r < 0) {
			int e = errno;
			close(m);
			return vmm_fail("%s %s: %s", what, path, util_strerror(e));
		}
	}
	if (fcntl(m, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		int e = errno;
		close(m);
		return vmm_fail("%s %s: seal: %s", what, path, util_strerror(e));
	}
	return m;
}

/* One read-only file into slot: opened the safe way; without keep, only checked. copy: QEMU
 * reopens it through /proc/self/fd/N (-kernel takes no fd set), which checks the file's own
 * mode only: a file that all may read is handed over as it is, any other as a memory copy. */
static int open_ro(const char *what, const char *path, bool keep, bool copy, int *slot)
{
	int fd = safepath_open(what, path, O_RDONLY, NULL);
	if (fd < 0)
		return -1;
	struct stat st;
	if (keep && copy && (fstat(fd, &st) < 0 || !(st.st_mode & S_IROTH))) {
		int m = memfd_copy(what, path, fd);
		close(fd);
		fd = m;
	}
	if (fd >= 0 && keep)
		*slot = fd;
	else if (fd >= 0)
		close(fd);
	return fd < 0 ? -1 : 0;
}

int qemu_spawn_files(const struct vmm_home *h, const struct vmm_profile *p,
		     const struct store_guest_files *f, const char *seed, const char *run_dir,
		     bool open_all, struct qemu_spawn *s)
{
	char *backing = p->backing ? store_image_path(h, p->backing) : NULL;
	char *cache = image_cache_dir(h);
	struct chain_allow allow = { backing, cache };
	int rc = chain_open(f->disk, open_all, &allow, &s->chain);
	free(backing);
	free(cache);
	if (rc < 0)
		return vmm_error_prefix("%s", p->name);
	for (size_t i = 0; i < s->chain.n; i++) {
		s->fd[QEMU_DISK_FD + i] = s->chain.v[i].fd;
		s->layers[i] = (struct qemu_layer){ s->chain.v[i].path, s->chain.v[i].fmt };
	}
	bool have_seed = seed && (open_all || util_exists(seed));
	int *fd = s->fd;
	if ((have_seed && open_ro("seed", seed, open_all, false, &fd[QEMU_SEED_FD]) < 0) ||
	    (f->iso && open_ro("iso", f->iso, open_all, false, &fd[QEMU_ISO_FD]) < 0) ||
	    (f->kernel && open_ro("kernel", f->kernel, open_all, true, &fd[QEMU_KERNEL_FD]) < 0) ||
	    (f->initrd && open_ro("initrd", f->initrd, open_all, true, &fd[QEMU_INITRD_FD]) < 0))
		return vmm_error_prefix("%s", p->name);
	s->files = (struct qemu_files){ .layers = s->layers, .n_layers = s->chain.n, .seed = seed,
					.iso = f->iso, .kernel = f->kernel, .initrd = f->initrd,
					.run_dir = run_dir };
	return 0;
}

/* A unix socket vmm listens on at dir/name; QEMU accepts on it (server=on). */
static int listen_unix(const char *dir, const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return vmm_fail("%s/%s: socket path too long", dir, name);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vmm_fail("%s: %s", sa.sun_path, util_strerror(errno));
	mode_t old = umask(077);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 4) < 0) {
		int e = errno;
		close(fd);
		return vmm_fail("%s: %s", sa.sun_path, util_strerror(e));
	}
	return fd;
}

static int open_log(const char *dir, const char *name)
{
	char *path = util_fmt("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		vmm_fail("%s: %s", path, util_strerror(errno));
	free(path);
	return fd;
}

int qemu_spawn_run(const char *run_dir, struct qemu_spawn *s)
{
	if ((s->fd[QEMU_QMP_FD] = listen_unix(run_dir, QEMU_QMP_SOCK)) < 0 ||
	    (s->fd[QEMU_SERIAL_FD] = listen_unix(run_dir, QEMU_SERIAL_SOCK)) < 0 ||
	    (s->fd[QEMU_SERIAL_LOG_FD] = open_log(run_dir, QEMU_SERIAL_LOG)) < 0 ||
	    (s->log = open_log(run_dir, QEMU_LOG)) < 0)
		return -1;
	return 0;
}

int qemu_spawn_user(const char *run_dir, struct qemu_spawn *s)
{
	struct access_user vmm;
	bool made = false;
	if (access_qemu_user(&vmm, &made) < 0)
		return -1;
	if (made)
		vmm_notice("created the system user " ACCESS_QEMU_USER
			   " whose group QEMU runs with");
	if (!access_drops(&vmm)) {
		s->user = vmm;
		return 0;
	}
	return access_guest_user(&vmm, run_dir, &s->user, &s->fd[QEMU_UID_LOCK_FD]);
}

int qemu_spawn_vnc_dir(const char *run_dir, struct qemu_spawn *s)
{
	char *path = util_fmt("%s/" QEMU_VNC_DIR, run_dir);
	int rc = -1;
	if (mkdir(path, 0700) < 0) {
		vmm_fail("%s: %s", path, util_strerror(errno));
		goto out;
	}
	/* run/NAME is vmm's alone: nothing can be swapped in between */
	if (access_drops(&s->user) && chown(path, s->user.uid, s->user.gid) < 0) {
		vmm_fail("%s: %s", path, util_strerror(errno));
		goto out;
	}
	s->fd[QEMU_VNC_DIR_FD] = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->fd[QEMU_VNC_DIR_FD] < 0) {
		vmm_fail("%s: %s", path, util_strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(path);
	return rc;
}

static bool is_socket(int dirfd, const char *name)
{
	struct stat st;
	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISSOCK(st.st_mode);
}

int qemu_spawn_vnc_link(const char *run_dir)
{
	int dir = open(run_dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int vdir = dir < 0 ? -1 : openat(dir, QEMU_VNC_DIR, O_PATH | O_DIRECTORY | O_NOFOLLOW |
					 O_CLOEXEC);
	int rc = -1;
	if (vdir < 0) {
		vmm_fail("%s/" QEMU_VNC_DIR ": %s", run_dir, util_strerror(errno));
		goto out;
	}
	/* linkat without AT_SYMLINK_FOLLOW links what is there, never what it points to; what
	 * landed in vmm's folder is checked once more (QEMU may have swapped it meanwhile) */
	if (!is_socket(vdir, BACKEND_VNC_SOCK) ||
	    linkat(vdir, BACKEND_VNC_SOCK, dir, BACKEND_VNC_SOCK, 0) < 0 ||
	    !is_socket(dir, BACKEND_VNC_SOCK)) {
		unlinkat(dir, BACKEND_VNC_SOCK, 0);
		vmm_fail("vnc socket %s/" QEMU_VNC_DIR "/" BACKEND_VNC_SOCK
			 ": not a socket QEMU made", run_dir);
		goto out;
	}
	rc = 0;
out:
	if (vdir >= 0)
		close(vdir);
	if (dir >= 0)
		close(dir);
	return rc;
}

/* The child, after fork: only async-signal-safe calls. Every descriptor is first moved above
 * the slots, then put in its slot, so that no source is overwritten before it is copied. */
static void child(const char *path, char *const argv[], const struct qemu_spawn *s)
{
	int hi[QEMU_FD_SLOTS];
	setsid();
	umask(077);
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	int log = fcntl(s->log, F_DUPFD_CLOEXEC, 64);
	if (nul < 0 || log < 0 || dup2(nul, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
		_exit(126);
	for (int i = 3; i < QEMU_FD_SLOTS; i++) {
		hi[i] = s->fd[i] >= 0 ? fcntl(s->fd[i], F_DUPFD_CLOEXEC, 64) : -1;
		if (s->fd[i] >= 0 && hi[i] < 0)
			_exit(126);
	}
	for (int i = 3; i < QEMU_FD_SLOTS; i++) {
		if (hi[i] < 0)
			close(i); /* an empty slot holds nothing of vmm's */
		else if (dup2(hi[i], i) < 0)
			_exit(126);
	}
	closefrom(QEMU_FD_SLOTS);
	const struct access_user *u = &s->user;
	if (access_drops(u) && (setgroups((size_t)u->n_groups, u->groups) < 0 ||
				setresgid(u->gid, u->gid, u->gid) < 0 ||
				setresuid(u->uid, u->uid, u->uid) < 0)) {
		static const char msg[] = "vmm: cannot take the identity of QEMU's user\n";
		if (write(2, msg, sizeof(msg) - 1) < 0)
			_exit(126);
		_exit(126);
	}
	execve(path, argv, (char *const *)util_clean_env());
	static const char msg[] = QEMU_BINARY ": cannot execute it\n";
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(127);
	_exit(127);
}

pid_t qemu_spawn(const char *path, char *const argv[], const struct qemu_spawn *s)
{
	pid_t pid = fork();
	if (pid < 0)
		return vmm_fail("fork: %s", util_strerror(errno));
	if (pid == 0)
		child(path, argv, s);
	return pid;
}
