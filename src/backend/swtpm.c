// SPDX-License-Identifier: MIT
/* swtpm.c: the guest's TPM 2.0 emulator: started before QEMU, exits with it, stopped by pid */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/backend/helper.h"
#include "vmm/backend/swtpm.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

char *swtpm_state_dir(const struct vmm_home *h, const char *name)
{
	return util_fmt("%s/%s-tpm", h->images, name);
}

char **swtpm_argv(const char *state, const char *sock)
{
	char **v = calloc(11, sizeof(*v));
	size_t n = 0;
	if (!v)
		abort();
	v[n++] = util_strdup(SWTPM_BINARY);
	v[n++] = util_strdup("socket");
	v[n++] = util_strdup("--tpm2");
	v[n++] = util_strdup("--tpmstate");
	v[n++] = util_fmt("dir=%s,mode=0600", state);
	v[n++] = util_strdup("--ctrl");
	v[n++] = sock ? util_fmt("type=unixio,path=%s", sock)
		      : util_strdup("type=unixio,clientfd=3");
	v[n++] = util_strdup("--terminate");
	if (sock)
		v[n++] = util_strdup("--daemon");
	return v;
}

/* The state folder, made when missing, and everything in it given to u (QEMU's uid may differ
 * from one start to the next). Only plain files are expected there; nothing is followed. */
static int state_for(const char *name, const char *dir, const struct access_user *u)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return vmm_fail("%s: tpm state %s: %s", name, dir, util_strerror(errno));
	if (!access_drops(u))
		return 0;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	int rc = 0;
	if (!d || fchown(dfd, u->uid, u->gid) < 0)
		rc = vmm_fail("%s: tpm state %s: %s", name, dir, util_strerror(errno));
	for (struct dirent *e; rc == 0 && (e = readdir(d));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fchownat(dfd, e->d_name, u->uid, u->gid, AT_SYMLINK_NOFOLLOW) < 0)
			rc = vmm_fail("%s: tpm state %s/%s: %s", name, dir, e->d_name,
				      util_strerror(errno));
	}
	if (d)
		closedir(d);
	else if (dfd >= 0)
		close(dfd);
	return rc;
}

int swtpm_start(const struct vmm_home *h, const char *name, const char *run_dir,
		const struct access_user *u, int *qemu_fd)
{
	char *path = util_which(SWTPM_BINARY), *dir = swtpm_state_dir(h, name);
	char *pidfile = util_fmt("%s/" SWTPM_PIDFILE, run_dir);
	char *log = util_fmt("%s/" SWTPM_LOG, run_dir), *what = util_fmt("%s: swtpm", name);
	char **argv = NULL;
	int sv[2] = { -1, -1 }, rc = -1;
	pid_t pid;
	*qemu_fd = -1;
	if (!path) {
		vmm_fail("%s: " SWTPM_BINARY ": not found (install the swtpm package)", name);
		goto out;
	}
	if (state_for(name, dir, u) < 0)
		goto out;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		vmm_fail("%s: socketpair: %s", what, util_strerror(errno));
		goto out;
	}
	/* its state "." is the folder it runs in */
	argv = swtpm_argv(".", NULL);
	struct helper_spec s = { .what = what, .path = path, .argv = argv, .sock = NULL,
				 .pass_fd = sv[0], .cwd = dir, .pidfile = pidfile, .log = log,
				 .as = u, .timeout_ms = 10000 };
	if (helper_start(&s, &pid) < 0)
		goto out;
	*qemu_fd = sv[1]; /* the caller owns it */
	sv[1] = -1;
	rc = 0;
out:
	for (int i = 0; i < 2; i++)
		if (sv[i] >= 0)
			close(sv[i]);
	util_argv_free(argv);
	free(what);
	free(log);
	free(pidfile);
	free(dir);
	free(path);
	return rc;
}

int swtpm_stop(const char *run_dir)
{
	char *pidfile = util_fmt("%s/" SWTPM_PIDFILE, run_dir);
	int rc = helper_stop(pidfile, 3000, NULL);
	free(pidfile);
	return rc;
}
