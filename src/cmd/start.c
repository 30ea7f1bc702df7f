// SPDX-License-Identifier: MIT
/* start.c: `vmm start NAME`: network up if needed, then the guest's backend starts it; --wait pings */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm/backend.h"
#include "vmm/cmd.h"
#include "vmm/error.h"
#include "vmm/guest_wait.h"
#include "vmm/net/hostnet.h"
#include "vmm/backend/qemu.h"
#include "vmm/util.h"

const char cmd_start_usage[] = "start NAME [--install] [--wait[=ssh|ping][:SECS]]";
const char cmd_start_summary[] =
	"start a guest (bringing the network up if it is down) and return once it runs";
const char cmd_start_help[] =
	"  --install        attach the profile's ISO and boot from it once\n"
	"  --wait[=HOW]     then wait until the guest is ready: HOW is ssh (its SSH server's banner\n"
	"                   on port 22; the default when the profile has SSH keys), ping (the\n"
	"                   default otherwise), SECS, ssh:SECS or ping:SECS (default 120 s)\n"
	"With --dry-run, print the exact qemu-system-x86_64 command line and do nothing.\n"
	"KVM is used when /dev/kvm works (else TCG, slow), vhost-net when /dev/vhost-net opens;\n"
	"the environment variables VMM_ACCEL=kvm|tcg and VMM_VHOST=on|off override the probe.\n";

struct wait_line {
	const char *name, *what, *ip;
};

/* The progress line on a terminal: "vmm: waiting for NAME (ssh at IP)... N s". */
static void wait_progress(void *arg, uint64_t ms)
{
	const struct wait_line *l = arg;
	fprintf(stderr, "\r\033[Kvmm: waiting for %s (%s at %s)... %llu s", l->name, l->what,
		l->ip, (unsigned long long)(ms / 1000));
}

/* Wait until the guest is ready: its SSH banner when it has keys (or w says ssh), else ping. */
static int wait_ready(struct vmm_ctx *ctx, const struct vmm_profile *p, struct guest_wait w)
{
	char ip[16];
	if (profile_ip(p, ip) < 0)
		return cmd_report();
	if (w.kind == GUEST_WAIT_AUTO)
		w.kind = p->n_ssh_keys ? GUEST_WAIT_SSH : GUEST_WAIT_PING;
	bool tty = util_isatty(2) && ctx->verbose >= 0;
	struct wait_line l = { p->name, guest_wait_name(w.kind), ip };
	uint64_t ms = 0;
	int r = w.kind == GUEST_WAIT_SSH
			? guest_wait_ssh(ip, 22, w.secs, tty ? wait_progress : NULL, &l, &ms)
			: guest_wait_ping(ip, w.secs, tty ? wait_progress : NULL, &l, &ms);
	if (tty)
		fputs("\r\033[K", stderr);
	if (r < 0)
		return cmd_error(VMM_EFAIL, "%s: %s (the guest still runs)", p->name, vmm_errmsg());
	cmd_note(ctx, "vmm: %s: %s at %s after %.1f s", p->name,
		 w.kind == GUEST_WAIT_SSH ? "SSH answers" : "answers ping", ip, (double)ms / 1000.0);
	return 0;
}

int cmd_start(struct vmm_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "install", no_argument, NULL, 'i' },
		{ "wait", optional_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vmm_start_opts so = { .dry_run = ctx->dry_run };
	struct guest_wait wait = { GUEST_WAIT_NONE, 0 };
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			so.install = true;
			break;
		case 'w':
			if (guest_wait_parse(optarg, &wait) < 0)
				return cmd_report();
			break;
		default:
			return cmd_opt_common("start", c, argv);
		}
	}
	struct vmm_profile p;
	int rc = cmd_load_one(ctx, "start", argc, argv, &p);
	if (rc)
		return rc;
	const char *name = argv[optind];
	struct vmm_netcfg n;
	struct vmm_profile *all = NULL;
	size_t n_all = 0;
	int lock = -1;
	bool have_net = false;
	rc = 1;
	if (store_load_net(&ctx->home, &n) < 0) {
		rc = cmd_report();
		goto out_p;
	}
	have_net = true;
	const struct vmm_backend *b = backend_for(&p);
	if (!b || !b->start) {
		rc = cmd_no_backend(name, &p);
		goto out;
	}
	if (so.dry_run) {
		rc = b->start(&ctx->home, &n, &p, &so) < 0 ? cmd_report() : cmd_flush();
		goto out;
	}
	/* one start at a time per home: allocation, tap and spawn never collide */
	lock = store_lock(&ctx->home);
	if (lock < 0) {
		rc = cmd_report();
		goto out;
	}
	bool qemu = b == &qemu_backend;
	if (qemu) {
		/* refuse before touching the host */
		if (qemu_preflight(&ctx->home, &p, &so) < 0) {
			rc = cmd_report();
			goto out;
		}
		int up = hostnet_is_up(&n);
		if (up < 0) {
			rc = cmd_report();
			goto out;
		}
		if (up == 0) {
			cmd_note(ctx, "vmm: network %s was down, bringing it up", n.bridge);
			if (store_load_all(&ctx->home, &all, &n_all) < 0 ||
			    hostnet_up(&ctx->home, &n, all, n_all) < 0) {
				rc = cmd_report();
				goto out;
			}
		}
	}
	if (b->start(&ctx->home, &n, &p, &so) < 0) {
		rc = cmd_report();
		goto out;
	}
	close(lock);
	lock = -1;
	struct vmm_status st;
	memset(&st, 0, sizeof(st));
	if (qemu && b->status) /* (libvirt would need a second connection just for this note) */
		b->status(&ctx->home, &p, &st);
	vmm_error_clear();
	if (qemu) {
		struct qemu_host hc;
		qemu_probe(&hc);
		if (!hc.kvm)
			cmd_note(ctx, "vmm: %s: no KVM, using TCG (slow)", name);
	}
	if (st.pid > 0)
		cmd_note(ctx, "vmm: %s: running (pid %ld), vnc %s:%d, serial: vmm console %s", name,
			 (long)st.pid, st.vnc_host, st.vnc_port, name);
	else
		cmd_note(ctx, "vmm: %s: running", name);
	rc = wait.kind != GUEST_WAIT_NONE ? wait_ready(ctx, &p, wait) : 0;
out:
	if (lock >= 0)
		close(lock);
	store_free_all(all, n_all);
	if (have_net)
		netcfg_free(&n);
out_p:
	profile_free(&p);
	return rc;
}
