// SPDX-License-Identifier: MIT
/* passt.c: a guest's own user-mode network: passt on a socket pair, QEMU on the other end */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/backend/passt.h"
#include "vmm/config/forward_spec.h"
#include "vmm/sys/error.h"
#include "vmm/sys/proc.h"
#include "vmm/sys/util.h"

_Static_assert(PASST_FD == PROC_KEEP_FD, "passt's socket is the descriptor it is spawned with");

char **passt_argv(const struct vmm_profile *p)
{
	return passt_argv_at(p, NULL);
}

char **passt_argv_at(const struct vmm_profile *p, const char *sock)
{
	size_t n = 0;
	char **v = calloc(14 + 2 * p->n_forwards, sizeof(*v));
	if (!v)
		abort();
	v[n++] = util_strdup(PASST_BINARY);
	v[n++] = util_strdup("-q");
	if (sock) {
		v[n++] = util_strdup("--socket");
		v[n++] = util_strdup(sock);
	} else {
		v[n++] = util_strdup("-f");
		v[n++] = util_strdup("--fd");
		v[n++] = util_fmt("%d", PASST_FD);
	}
	/* the gateway stays the LAN's: else passt answers for its address itself (as the host's
	 * loopback), and the guest cannot reach a LAN host that is the gateway */
	v[n++] = util_strdup("--no-map-gw");
	for (int k = 0; k < 2; k++) {
		int proto = k ? IPPROTO_UDP : IPPROTO_TCP;
		bool any = false;
		for (size_t i = 0; i < p->n_forwards; i++) {
			const struct vmm_forward *f = &p->forwards[i];
			char a[16] = "";
			if (f->proto != proto)
				continue;
			if (f->addr)
				util_format_ipv4(f->addr, a);
			v[n++] = util_strdup(k ? "-u" : "-t");
			v[n++] = util_fmt("%s%s%u:%u", a, *a ? "/" : "", (unsigned)f->host_port,
					  (unsigned)f->guest_port);
			any = true;
		}
		if (!any) {
			v[n++] = util_strdup(k ? "-u" : "-t");
			v[n++] = util_strdup("none");
		}
	}
	return v;
}

int passt_start(const char *run_dir, const struct vmm_profile *p, int *qemu_fd)
{
	int sp[2] = { -1, -1 }, log = -1, rc = -1;
	char *path = util_which(PASST_BINARY), *logp = util_fmt("%s/" PASST_LOG, run_dir);
	char **argv = passt_argv(p);
	pid_t pid = 0;
	*qemu_fd = -1;
	if (!path) {
		vmm_fail("%s: " PASST_BINARY ": not found (install the passt package; network = "
			 "\"user\" needs it)", p->name);
		goto out;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		vmm_fail("%s: socketpair: %s", p->name, util_strerror(errno));
		goto out;
	}
	log = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (log < 0) {
		vmm_fail("%s: %s", logp, util_strerror(errno));
		goto out;
	}
	if (proc_spawn_detached(path, argv, log, sp[0], &pid) < 0) {
		vmm_error_prefix("%s", p->name);
		goto out;
	}
	*qemu_fd = sp[1]; /* the caller owns it now */
	sp[1] = -1;
	rc = 0;
out:
	for (int i = 0; i < 2; i++)
		if (sp[i] >= 0)
			close(sp[i]); /* passt holds its end now */
	if (log >= 0)
		close(log);
	util_argv_free(argv);
	free(path);
	free(logp);
	return rc;
}
