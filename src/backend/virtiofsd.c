// SPDX-License-Identifier: MIT
/* virtiofsd.c: a virtiofs share's daemon: started before QEMU as root, its socket handed to QEMU */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/backend/helper.h"
#include "vmm/backend/virtiofsd.h"
#include "vmm/config/share.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

bool virtiofsd_available(void)
{
	return access(share_virtiofsd_path(), X_OK) == 0;
}

char *virtiofsd_sock(const char *run_dir, const char *tag)
{
	return util_fmt("%s/vfs-%s.sock", run_dir, tag);
}

char **virtiofsd_argv(const char *sock, const char *dir, bool by_hand)
{
	char **v = calloc(8, sizeof(*v));
	size_t n = 0;
	if (!v)
		abort();
	v[n++] = util_strdup("virtiofsd");
	if (!by_hand)
		v[n++] = util_strdup("-f");
	v[n++] = util_fmt("--socket-path=%s", sock);
	v[n++] = util_strdup("-o");
	v[n++] = util_fmt("source=%s", dir);
	v[n++] = util_strdup("-o");
	v[n++] = util_strdup("cache=auto");
	return v;
}

/* A connection to the unix socket at path (the caller owns it). */
static int connect_unix(const char *what, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return vmm_fail("%s: %s: socket path too long", what, path);
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return vmm_fail("%s: %s: %s", what, path, util_strerror(e));
	}
	return fd;
}

int virtiofsd_start(const char *name, const char *run_dir, const char *tag, const char *dir,
		    int *qemu_fd)
{
	char *sock = virtiofsd_sock(run_dir, tag), **argv = virtiofsd_argv(sock, dir, false);
	char *pidfile = util_fmt("%s/vfs-%s.pid", run_dir, tag);
	char *log = util_fmt("%s/virtiofsd-%s.log", run_dir, tag);
	char *what = util_fmt("%s: virtiofsd for share %s", name, tag);
	struct helper_spec s = { .what = what, .path = share_virtiofsd_path(), .argv = argv,
				 .sock = sock, .pass_fd = -1, .pidfile = pidfile, .log = log,
				 .as = NULL, .timeout_ms = 10000 };
	pid_t pid;
	*qemu_fd = -1;
	int rc = helper_start(&s, &pid);
	if (rc == 0 && (*qemu_fd = connect_unix(what, sock)) < 0) {
		rc = -1;
		helper_stop(pidfile, 2000, NULL);
	}
	free(what);
	free(log);
	free(pidfile);
	util_argv_free(argv);
	free(sock);
	return rc;
}

int virtiofsd_stop_all(const char *run_dir)
{
	DIR *d = opendir(run_dir);
	int rc = 0;
	if (!d)
		return errno == ENOENT ? 0 : vmm_fail("%s: %s", run_dir, util_strerror(errno));
	for (struct dirent *e; (e = readdir(d));) {
		size_t n = strlen(e->d_name);
		if (strncmp(e->d_name, "vfs-", 4) || n < 8 || strcmp(e->d_name + n - 4, ".pid"))
			continue;
		char *pidfile = util_fmt("%s/%s", run_dir, e->d_name);
		if (helper_stop(pidfile, 3000, NULL) < 0)
			rc = -1;
		free(pidfile);
	}
	closedir(d);
	return rc;
}
