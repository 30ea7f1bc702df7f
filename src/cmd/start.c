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
#include "vmm/net/hostnet.h"
#include "vmm/backend/qemu.h"
#include "vmm/util.h"

struct start_args {
	bool install;
	unsigned long wait;
};

static const struct cmd_option start_options[] = {
	OPT_FLAG(0, "install", struct start_args, install, "attach the profile's ISO and boot from it once"),
	OPT_UINT_OPTIONAL(0, "wait", struct start_args, wait, 1, 86400, 120, "SECS",
			  "then wait until the guest answers ping at its address (default 120)"),
	OPT_END,
};

const struct cmd_spec cmd_start_spec = {
	.name = "start",
	.args = "NAME",
	.summary = "start a guest (bringing the network up if it is down) and return once it runs",
	.options = start_options,
	.notes = "With --dry-run, print the exact qemu-system-x86_64 command line and do nothing.\n"
		 "KVM is used when /dev/kvm works (else TCG, slow), vhost-net when /dev/vhost-net opens;\n"
		 "the environment variables VMM_ACCEL=kvm|tcg and VMM_VHOST=on|off override the probe.\n",
	.complete = CMD_COMPLETE_PROFILE,
};

/* Ping the guest until it answers or secs pass; a progress line on a terminal. */
static int wait_ping(struct vmm_ctx *ctx, const struct vmm_profile *p, int secs)
{
	char ip[16];
	if (profile_ip(p, ip) < 0)
		return cmd_report();
	bool tty = util_isatty(2) && ctx->verbose >= 0;
	uint64_t start = util_now_ms(), end = start + (uint64_t)secs * 1000;
	char *argv[] = { "ping", "-n", "-q", "-c", "1", "-W", "1", ip, NULL };
	for (;;) {
		uint64_t t0 = util_now_ms();
		int r = util_run(argv, NULL, NULL);
		if (r < 0) {
			if (tty)
				fputc('\n', stderr);
			return cmd_report();
		}
		uint64_t now = util_now_ms();
		if (r == 0) {
			if (tty)
				fprintf(stderr, "\r\033[K");
			cmd_note(ctx, "vmm: %s: answers ping at %s after %.1f s", p->name, ip,
				 (double)(now - start) / 1000.0);
			return 0;
		}
		if (now >= end) {
			if (tty)
				fputc('\n', stderr);
			return cmd_error(1, "%s: no answer to ping at %s after %d s (the guest still runs)",
					 p->name, ip, secs);
		}
		if (tty)
			fprintf(stderr, "\rvmm: waiting for %s to answer ping at %s... %llu s", p->name,
				ip, (unsigned long long)((now - start) / 1000));
		if (now - t0 < 500) {
			struct timespec ts = { 0, 500 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
}

int cmd_start(struct vmm_ctx *ctx, int argc, char **argv)
{
	struct start_args a = { 0 };
	struct vmm_profile p;
	int rc = cmd_parse(&cmd_start_spec, argc, argv, &a);
	if (rc || (rc = cmd_load_one(ctx, "start", argc, argv, &p)))
		return rc;
	struct vmm_start_opts so = { .dry_run = ctx->dry_run, .install = a.install };
	int wait_secs = (int)a.wait;
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
	rc = wait_secs > 0 ? wait_ping(ctx, &p, wait_secs) : 0;
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
