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

const char cmd_start_usage[] = "start NAME [--install] [--wait[=SECS]]";
const char cmd_start_summary[] =
	"start a guest (bringing the network up if it is down) and return once it runs";
const char cmd_start_help[] =
	"  --install        attach the profile's ISO and boot from it once\n"
	"  --wait[=SECS]    then wait until the guest answers ping at its address (default 120)\n"
	"With --dry-run, print the exact qemu-system-x86_64 command line and do nothing.\n"
	"KVM is used when /dev/kvm works (else TCG, slow), vhost-net when /dev/vhost-net opens;\n"
	"the environment variables VMM_ACCEL=kvm|tcg and VMM_VHOST=on|off override the probe.\n";

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

static void start_note(void *arg, const char *line)
{
	cmd_note(arg, "%s", line);
}

int cmd_start(struct vmm_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "install", no_argument, NULL, 'i' },
		{ "wait", optional_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vmm_start_opts so = { .dry_run = ctx->dry_run, .note = start_note, .note_arg = ctx };
	int wait_secs = 0, c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			so.install = true;
			break;
		case 'w': {
			unsigned long v = 120;
			if (optarg && util_parse_uint("--wait", optarg, 1, 86400, &v) < 0)
				return cmd_report();
			wait_secs = (int)v;
			break;
		}
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
			struct store_invalid *bad = NULL;
			size_t n_bad = 0;
			int e = store_load_all(&ctx->home, &all, &n_all, &bad, &n_bad);
			for (size_t i = 0; i < n_bad; i++)
				cmd_note(ctx, "vmm: net up: skipped %s: %s", bad[i].name,
					 bad[i].reason);
			store_free_invalid(bad, n_bad);
			if (e < 0 || hostnet_up(&ctx->home, &n, all, n_all) < 0) {
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
	if (st.pid > 0 && st.vnc_port > 0)
		cmd_note(ctx, "vmm: %s: running (pid %ld), vnc %s:%d, serial: vmm console %s", name,
			 (long)st.pid, st.vnc_host, st.vnc_port, name);
	else if (st.pid > 0)
		cmd_note(ctx, "vmm: %s: running (pid %ld), no display, serial: vmm console %s",
			 name, (long)st.pid, name);
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
