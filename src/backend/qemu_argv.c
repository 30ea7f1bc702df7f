// SPDX-License-Identifier: MIT
/* qemu_argv.c: the qemu-system-x86_64 argv from a profile, and as one line for a shell (pure) */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/backend/backend.h"
#include "vmm/backend/passt.h"
#include "vmm/backend/qemu_argv.h"
#include "vmm/backend/qemu_devices.h"
#include "vmm/backend/qemu_words.h"
#include "vmm/sys/util.h"
#include "vmm/config/validate.h"

/* ---- argv ---- */

#define QEMU_STR_(x) #x
#define QEMU_STR(x) QEMU_STR_(x)

/* The disk and its backing files as block nodes, the deepest first (a node names its backing
 * node, so QEMU opens no file by the name in a header), each from its descriptor. */
static void add_disk(struct qemu_words *a, const struct qemu_files *f)
{
	for (size_t i = f->n_layers; i-- > 0;) {
		const char *ro = i ? ",read-only=on" : "";
		char *file = qemu_words_file(a, QEMU_DISK_FD + (int)i, f->layers[i].path, f->by_path);
		qemu_words_add2(a, "-blockdev",
		     util_fmt("driver=file,node-name=file%zu,filename=%s%s", i, file, ro));
		free(file);
		char *backing = i + 1 < f->n_layers ? util_fmt(",backing=disk%zu", i + 1) : NULL;
		qemu_words_add2(a, "-blockdev", util_fmt("driver=%s,node-name=disk%zu,file=file%zu%s%s",
					      f->layers[i].fmt, i, i, ro, backing ? backing : ""));
		free(backing);
	}
	qemu_words_add2(a, "-device", util_strdup("virtio-blk-pci,drive=disk0"));
}

/* A read-only CD-ROM from descriptor fd (raw: nothing is probed). */
static void add_cdrom(struct qemu_words *a, const struct qemu_files *f, int fd, const char *path)
{
	char *file = qemu_words_file(a, fd, path, f->by_path);
	qemu_words_add2(a, "-drive", util_fmt("file=%s,media=cdrom,readonly=on,format=raw", file));
	free(file);
}

/* run_dir/name as an option value (by_path: a socket QEMU or a helper makes there). */
static char *run_path(const struct qemu_files *f, const char *name)
{
	char *path = util_fmt("%s/%s", f->run_dir, name), *e = qemu_opt_escape(path);
	free(path);
	return e;
}

/* A listening socket: vmm's descriptor fd, or (by_path) QEMU's own in run_dir. */
static char *listener(const struct qemu_files *f, const char *id, int fd, const char *sock)
{
	if (!f->by_path)
		return util_fmt("socket,id=%s,fd=%d,server=on,wait=off", id, fd);
	char *e = run_path(f, sock), *r = util_fmt("socket,id=%s,path=%s,server=on,wait=off", id, e);
	free(e);
	return r;
}

/* QMP and the serial port on the sockets vmm listens on; the serial port also logged. */
static void add_consoles(struct qemu_words *a, const struct qemu_files *f)
{
	qemu_words_add2(a, "-chardev", listener(f, "qmp", QEMU_QMP_FD, QEMU_QMP_SOCK));
	qemu_words_add2(a, "-mon", util_strdup("chardev=qmp,mode=control"));
	char *path = util_fmt("%s/" QEMU_SERIAL_LOG, f->run_dir);
	char *log = qemu_words_file(a, QEMU_SERIAL_LOG_FD, path, f->by_path);
	char *serial = listener(f, "serial0", QEMU_SERIAL_FD, QEMU_SERIAL_SOCK);
	qemu_words_add2(a, "-chardev", util_fmt("%s,logfile=%s", serial, log));
	qemu_words_add2(a, "-serial", util_strdup("chardev:serial0"));
	free(serial);
	free(log);
	free(path);
}

/* The network: the tap (or the guest's passt) on descriptors, or by name and path. */
static void add_netdev(struct qemu_words *a, const struct vmm_profile *p, const struct qemu_host *hc,
		       const struct qemu_files *f)
{
	const char *vhost = !hc->vhost ? "" : f->by_path ? ",vhost=on" : ",vhost=on,vhostfd="
										   QEMU_VHOST_FD_STR;
	if (profile_net_user(p) && f->by_path) {
		char *e = run_path(f, PASST_SOCK);
		qemu_words_add2(a, "-netdev",
		     util_fmt("stream,id=n0,server=off,addr.type=unix,addr.path=%s", e));
		free(e);
	} else if (profile_net_user(p)) {
		qemu_words_add2(a, "-netdev", util_fmt("stream,id=n0,server=off,addr.type=fd,addr.str=%d",
					     QEMU_TAP_FD));
	} else if (f->by_path) {
		qemu_words_add2(a, "-netdev",
		     util_fmt("tap,id=n0,ifname=%s,script=no,downscript=no%s", f->tap, vhost));
	} else {
		qemu_words_add2(a, "-netdev", util_fmt("tap,id=n0,fd=%d%s", QEMU_TAP_FD, vhost));
	}
	qemu_words_add2(a, "-device", util_fmt("virtio-net-pci,netdev=n0,mac=%s", p->mac));
}

/* The display: none, the private socket (its folder a descriptor), or TCP. */
static void add_display(struct qemu_words *a, const struct vmm_profile *p, const struct qemu_files *f)
{
	if (p->vnc_display == VMM_VNC_NONE) {
		/* a headless server: no display, no graphics card; the serial port is the
		 * console */
		qemu_words_add2(a, "-display", util_strdup("none"));
		qemu_words_add2(a, "-vga", util_strdup("none"));
	} else if (!profile_vnc_tcp(p) && f->by_path) {
		char *e = run_path(f, BACKEND_VNC_SOCK);
		qemu_words_add2(a, "-vnc", util_fmt("unix:%s", e));
		free(e);
	} else if (!profile_vnc_tcp(p)) {
		/* the screen on a socket QEMU makes in the one folder of run/NAME its uid may
		 * write, reached through the folder's descriptor: no port another account reaches
		 * or squats */
		qemu_words_add2(a, "-vnc", util_strdup("unix:/proc/self/fd/" QEMU_STR(QEMU_VNC_DIR_FD)
					    "/" BACKEND_VNC_SOCK));
	} else {
		/* a TCP display off loopback always has a password (the profile's, or vmm's) */
		bool pw = p->vnc_password_file || !profile_vnc_loopback(p);
		qemu_words_add2(a, "-vnc", util_fmt("%s:%d%s", profile_vnc_listen(p), p->vnc_display,
					 pw ? ",password=on" : ""));
	}
}

char **qemu_argv(const struct vmm_profile *p, const struct qemu_host *hc,
		 const struct qemu_files *f)
{
	struct qemu_words a = { 0 };
	qemu_words_add(&a, util_strdup(QEMU_BINARY));
	qemu_words_add2(&a, "-name", util_fmt("%s,process=vmm-%s", p->name, p->name));
	qemu_words_add2(&a, "-m", util_fmt("%u", p->memory));
	qemu_words_add2(&a, "-smp", util_fmt("%u", p->cpus));
	qemu_words_add2(&a, "-accel", util_strdup(hc->kvm ? "kvm" : "tcg"));
	if (hc->kvm)
		qemu_words_add2(&a, "-cpu", util_strdup("host"));
	add_disk(&a, f);
	if (f->iso) /* first CD-ROM: the one "-boot once=d" starts from */
		add_cdrom(&a, f, QEMU_ISO_FD, f->iso);
	if (f->seed)
		add_cdrom(&a, f, QEMU_SEED_FD, f->seed);
	if (f->iso)
		qemu_words_add2(&a, "-boot", util_strdup("once=d"));
	/* vmm opens the tap (and vhost-net) and hands QEMU the descriptors: QEMU needs no
	 * privilege for them once it runs as its own user; network = "user": the descriptor is
	 * QEMU's end of the guest's own passt (passt.h) */
	add_netdev(&a, p, hc, f);
	/* entropy from the host from the first boot on: sshd and cloud-init never wait for it */
	qemu_words_add2(&a, "-device", util_strdup("virtio-rng-pci"));
	add_display(&a, p, f);
	add_consoles(&a, f);
	/* QEMU's seccomp filter: no obsolete calls, no set*id, no fork/exec, no scheduler or
	 * cgroup games. (vmm itself starts QEMU as its user and in its own session: -runas and
	 * -daemonize would need exactly the set*id and fork calls this filter denies.) */
	qemu_words_add2(&a, "-sandbox", util_strdup(QEMU_SANDBOX));
	if (f->kernel) {
		/* -kernel and -initrd take no fd set: a sealed memory copy, reopened by QEMU
		 * through /proc/self/fd (a memfd opens for anyone who holds it) */
		qemu_words_add2(&a, "-kernel", util_strdup(f->by_path ? f->kernel
							   : "/proc/self/fd/" QEMU_STR(QEMU_KERNEL_FD)));
		if (f->initrd)
			qemu_words_add2(&a, "-initrd",
			     util_strdup(f->by_path ? f->initrd
						    : "/proc/self/fd/" QEMU_STR(QEMU_INITRD_FD)));
		if (p->append)
			qemu_words_add2(&a, "-append", util_strdup(p->append));
	}
	if (f->dev) {
		char **dev = qemu_devices_argv(p, f->dev, QEMU_DEV_FD, f->by_path ? f->run_dir : NULL);
		for (char **w = dev; *w; w++)
			qemu_words_add(&a, *w); /* a now owns the word */
		free(dev);
	}
	return a.v;
}

static bool shell_safe(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			    "@%_+=:,./-",
			    *s))
			return false;
	return true;
}

char *qemu_argv_line(char *const argv[])
{
	size_t cap = 256, len = 0;
	char *out = malloc(cap);
	if (!out)
		abort();
	out[0] = '\0';
	for (size_t i = 0; argv[i]; i++) {
		const char *s = argv[i];
		size_t need = strlen(s) * 4 + 4;
		while (cap - len < need) {
			cap *= 2;
			out = realloc(out, cap);
			if (!out)
				abort();
		}
		if (i)
			out[len++] = ' ';
		if (shell_safe(s)) {
			memcpy(out + len, s, strlen(s));
			len += strlen(s);
		} else {
			out[len++] = '\'';
			for (; *s; s++) {
				if (*s == '\'') {
					memcpy(out + len, "'\\''", 4);
					len += 4;
				} else
					out[len++] = *s;
			}
			out[len++] = '\'';
		}
		out[len] = '\0';
	}
	return out;
}
