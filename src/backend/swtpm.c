// SPDX-License-Identifier: MIT
/* swtpm.c: the guest's TPM 2.0 emulator: started before QEMU, exits with it, stopped by pid */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int swtpm_state_ensure(const struct vmm_home *h, const char *name, const struct access_user *u)
{
	char *dir = swtpm_state_dir(h, name);
	int rc = 0;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		rc = vmm_fail("%s: tpm state %s: %s", name, dir, util_strerror(errno));
	else if (u && access_drops(u) && chown(dir, u->uid, u->gid) < 0)
		rc = vmm_fail("%s: tpm state %s: %s", name, dir, util_strerror(errno));
	free(dir);
	return rc;
}

int swtpm_start(const struct vmm_home *h, const char *name, const char *run_dir,
		const struct access_user *u)
{
	char *path = util_which(SWTPM_BINARY);
	if (!path)
		return vmm_fail("%s: " SWTPM_BINARY ": not found (install the swtpm package)", name);
	char *dir = swtpm_state_dir(h, name);
	char *sock = util_fmt("%s/" SWTPM_SOCK, run_dir);
	char *state = util_fmt("dir=%s,mode=0600", dir);
	char *ctrl = util_fmt("type=unixio,path=%s,mode=0600", sock);
	char *pidfile = util_fmt("%s/" SWTPM_PIDFILE, run_dir);
	char *log = util_fmt("%s/" SWTPM_LOG, run_dir);
	char *what = util_fmt("%s: swtpm", name);
	char *argv[] = { "swtpm", "socket", "--tpm2", "--tpmstate", state, "--ctrl", ctrl,
			 "--terminate", NULL };
	struct helper_spec s = { .what = what, .path = path, .argv = argv, .sock = sock,
				 .pidfile = pidfile, .log = log, .as = u, .timeout_ms = 10000 };
	pid_t pid;
	int rc = helper_start(&s, &pid);
	free(what);
	free(log);
	free(pidfile);
	free(ctrl);
	free(state);
	free(sock);
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
