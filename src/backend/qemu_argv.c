// SPDX-License-Identifier: MIT
/* qemu_argv.c: the qemu-system-x86_64 argv from a profile, and as one line for a shell (pure) */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/backend/backend.h"
#include "vmm/backend/qemu_argv.h"
#include "vmm/backend/qemu_devices.h"
#include "vmm/sys/util.h"
#include "vmm/config/validate.h"

/* ---- argv ---- */

#define QEMU_STR_(x) #x
#define QEMU_STR(x) QEMU_STR_(x)

struct args {
	char **v;
	size_t n, cap;
};

static void add(struct args *a, char *s) /* a now owns s */
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->v = realloc(a->v, a->cap * sizeof(*a->v));
		if (!a->v)
			abort();
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

static void add2(struct args *a, const char *opt, char *val)
{
	add(a, util_strdup(opt));
	add(a, val);
}

/* QEMU option values separate keys with ',': a literal comma is written twice. */
static char *qesc(const char *s)
{
	size_t n = 0;
	for (const char *c = s; *c; c++)
		n += *c == ',' ? 2 : 1;
	char *r = malloc(n + 1), *o = r;
	if (!r)
		abort();
	for (const char *c = s; *c; c++) {
		*o++ = *c;
		if (*c == ',')
			*o++ = ',';
	}
	*o = '\0';
	return r;
}

/* -add-fd for descriptor fd, in the fd set of the same number; the path is only its label. */
static void add_fd(struct args *a, int fd, const char *path)
{
	char *e = qesc(path);
	add2(a, "-add-fd", util_fmt("fd=%d,set=%d,opaque=%s", fd, fd, e));
	free(e);
}

/* The disk and its backing files as block nodes, the deepest first (a node names its backing
 * node, so QEMU opens no file by the name in a header), each from its descriptor. */
static void add_disk(struct args *a, const struct qemu_files *f)
{
	for (size_t i = f->n_layers; i-- > 0;) {
		int fd = QEMU_DISK_FD + (int)i;
		const char *ro = i ? ",read-only=on" : "";
		add_fd(a, fd, f->layers[i].path);
		add2(a, "-blockdev",
		     util_fmt("driver=file,node-name=file%zu,filename=/dev/fdset/%d%s", i, fd, ro));
		char *backing = i + 1 < f->n_layers ? util_fmt(",backing=disk%zu", i + 1) : NULL;
		add2(a, "-blockdev", util_fmt("driver=%s,node-name=disk%zu,file=file%zu%s%s",
					      f->layers[i].fmt, i, i, ro, backing ? backing : ""));
		free(backing);
	}
	add2(a, "-device", util_strdup("virtio-blk-pci,drive=disk0"));
}

/* A read-only CD-ROM from descriptor fd (raw: nothing is probed). */
static void add_cdrom(struct args *a, int fd, const char *path)
{
	add_fd(a, fd, path);
	add2(a, "-drive", util_fmt("file=/dev/fdset/%d,media=cdrom,readonly=on,format=raw", fd));
}

/* QMP and the serial port on the sockets vmm listens on; the serial port also logged. */
static void add_consoles(struct args *a, const struct qemu_files *f)
{
	add2(a, "-chardev", util_fmt("socket,id=qmp,fd=%d,server=on,wait=off", QEMU_QMP_FD));
	add2(a, "-mon", util_strdup("chardev=qmp,mode=control"));
	char *log = util_fmt("%s/" QEMU_SERIAL_LOG, f->run_dir);
	add_fd(a, QEMU_SERIAL_LOG_FD, log);
	free(log);
	add2(a, "-chardev",
	     util_fmt("socket,id=serial0,fd=%d,server=on,wait=off,logfile=/dev/fdset/%d",
		      QEMU_SERIAL_FD, QEMU_SERIAL_LOG_FD));
	add2(a, "-serial", util_strdup("chardev:serial0"));
}

/* The display: none, the private socket (its folder a descriptor), or TCP. */
static void add_display(struct args *a, const struct vmm_profile *p)
{
	if (p->vnc_display == VMM_VNC_NONE) {
		/* a headless server: no display, no graphics card; the serial port is the
		 * console */
		add2(a, "-display", util_strdup("none"));
		add2(a, "-vga", util_strdup("none"));
	} else if (!profile_vnc_tcp(p)) {
		/* the screen on a socket QEMU makes in the one folder of run/NAME its uid may
		 * write, reached through the folder's descriptor: no port another account reaches
		 * or squats */
		add2(a, "-vnc", util_strdup("unix:/proc/self/fd/" QEMU_STR(QEMU_VNC_DIR_FD)
					    "/" BACKEND_VNC_SOCK));
	} else {
		/* a TCP display off loopback always has a password (the profile's, or vmm's) */
		bool pw = p->vnc_password_file || !profile_vnc_loopback(p);
		add2(a, "-vnc", util_fmt("%s:%d%s", profile_vnc_listen(p), p->vnc_display,
					 pw ? ",password=on" : ""));
	}
}

char **qemu_argv(const struct vmm_profile *p, const struct qemu_host *hc,
		 const struct qemu_files *f)
{
	struct args a = { 0 };
	add(&a, util_strdup(QEMU_BINARY));
	add2(&a, "-name", util_fmt("%s,process=vmm-%s", p->name, p->name));
	add2(&a, "-m", util_fmt("%u", p->memory));
	add2(&a, "-smp", util_fmt("%u", p->cpus));
	add2(&a, "-accel", util_strdup(hc->kvm ? "kvm" : "tcg"));
	if (hc->kvm)
		add2(&a, "-cpu", util_strdup("host"));
	add_disk(&a, f);
	if (f->iso) /* first CD-ROM: the one "-boot once=d" starts from */
		add_cdrom(&a, QEMU_ISO_FD, f->iso);
	if (f->seed)
		add_cdrom(&a, QEMU_SEED_FD, f->seed);
	if (f->iso)
		add2(&a, "-boot", util_strdup("once=d"));
	/* vmm opens the tap (and vhost-net) and hands QEMU the descriptors: QEMU needs no
	 * privilege for them once it runs as its own user; network = "user": the descriptor is
	 * QEMU's end of the guest's own passt (passt.h) */
	if (profile_net_user(p))
		add2(&a, "-netdev", util_fmt("stream,id=n0,server=off,addr.type=fd,addr.str=%d",
					     QEMU_TAP_FD));
	else
		add2(&a, "-netdev", util_fmt("tap,id=n0,fd=%d%s", QEMU_TAP_FD,
					     hc->vhost ? ",vhost=on,vhostfd=" QEMU_VHOST_FD_STR
						       : ""));
	add2(&a, "-device", util_fmt("virtio-net-pci,netdev=n0,mac=%s", p->mac));
	/* entropy from the host from the first boot on: sshd and cloud-init never wait for it */
	add2(&a, "-device", util_strdup("virtio-rng-pci"));
	add_display(&a, p);
	add_consoles(&a, f);
	/* QEMU's seccomp filter: no obsolete calls, no set*id, no fork/exec, no scheduler or
	 * cgroup games. (vmm itself starts QEMU as its user and in its own session: -runas and
	 * -daemonize would need exactly the set*id and fork calls this filter denies.) */
	add2(&a, "-sandbox", util_strdup(QEMU_SANDBOX));
	if (f->kernel) {
		/* -kernel and -initrd take no fd set: a sealed memory copy, reopened by QEMU
		 * through /proc/self/fd (a memfd opens for anyone who holds it) */
		add2(&a, "-kernel", util_strdup("/proc/self/fd/" QEMU_STR(QEMU_KERNEL_FD)));
		if (f->initrd)
			add2(&a, "-initrd", util_strdup("/proc/self/fd/" QEMU_STR(QEMU_INITRD_FD)));
		if (p->append)
			add2(&a, "-append", util_strdup(p->append));
	}
	if (f->dev) {
		char **dev = qemu_devices_argv(p, f->dev, QEMU_DEV_FD);
		for (char **w = dev; *w; w++)
			add(&a, *w); /* a now owns the word */
		free(dev);
	}
	return a.v;
}

void qemu_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **s = argv; *s; s++)
		free(*s);
	free(argv);
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
