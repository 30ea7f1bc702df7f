// SPDX-License-Identifier: MIT
/* start.c: `vmm start NAME`: network up if needed, then the guest's backend starts it; --wait pings */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm/cmd.h"
#include "vmm/error.h"
#include "vmm/guest_wait.h"
#include "vmm/lifecycle.h"
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

/* The progress line on a terminal while waiting. */
static void show_progress(void *arg, const char *what, uint64_t elapsed_ms)
{
	const char *name = arg;
	fprintf(stderr, "\r\033[Kvmm: waiting for %s to answer %s... %llu s", name, what,
		(unsigned long long)(elapsed_ms / 1000));
}

static int wait_guest(struct vmm_ctx *ctx, const struct vmm_profile *p, const struct guest_wait *w)
{
	bool tty = util_isatty(2) && ctx->verbose >= 0;
	uint64_t ms = 0;
	char ip[16] = "";
	enum guest_wait_kind kind = lifecycle_wait_kind(p, w);
	int rc = lifecycle_wait(&ctx->home, p, w, tty ? show_progress : NULL, (void *)p->name, &ms);
	if (tty)
		fprintf(stderr, "\r\033[K");
	if (rc < 0)
		return cmd_report();
	profile_ip(p, ip);
	cmd_note(ctx, "vmm: %s: %s at %s after %.1f s", p->name,
		 kind == GUEST_WAIT_SSH ? "SSH answers" : "answers ping", ip, (double)ms / 1000.0);
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
	struct lifecycle_start_opts so = { 0 };
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
			so.wait_secs = (int)wait.secs;
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
	struct lifecycle_started res;
	if (ctx->dry_run) {
		char *text = NULL;
		rc = lifecycle_plan(&ctx->home, &p, &so, &text) < 0 ? cmd_report() : 0;
		if (text) {
			fputs(text, stdout); /* the dry run's product */
			free(text);
			rc = cmd_flush();
		}
		goto out;
	}
	if (lifecycle_start(&ctx->home, &p, &so, &res) < 0) {
		rc = cmd_report();
		goto out;
	}
	if (res.st.tcg)
		cmd_note(ctx, "vmm: %s: no KVM, using TCG (slow)", name);
	if (res.st.pid > 0)
		cmd_note(ctx, "vmm: %s: running (pid %ld), vnc %s:%d, serial: vmm console %s", name,
			 (long)res.st.pid, res.st.vnc_host, res.st.vnc_port, name);
	else
		cmd_note(ctx, "vmm: %s: running", name);
	rc = wait.kind != GUEST_WAIT_NONE ? wait_guest(ctx, &p, &wait) : 0;
out:
	profile_free(&p);
	return rc;
}
