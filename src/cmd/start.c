// SPDX-License-Identifier: MIT
/* start.c: `vmm start NAME`: network up if needed, then the guest's backend starts it; --wait waits
 * for its SSH server or ping */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm/cmd/cmd.h"
#include "vmm/sys/error.h"
#include "vmm/guest/wait.h"
#include "vmm/guest/lifecycle.h"
#include "vmm/sys/util.h"
#include "vmm/config/validate.h"

struct start_args {
	bool install;
	const char *wait; /* NULL: no --wait; "": a bare --wait */
};

static const struct cmd_option start_options[] = {
	OPT_FLAG(0, "install", struct start_args, install, "attach the profile's ISO and boot from it once"),
	OPT_STRING_OPTIONAL(0, "wait", struct start_args, wait, "HOW",
			    "then wait until it is ready: HOW = ssh (the SSH banner on port 22; the "
			    "default with SSH keys), ping, SECS, ssh:SECS or ping:SECS (120 s)"),
	OPT_END,
};

const struct cmd_spec cmd_start_spec = {
	.name = "start",
	.args = "NAME",
	.summary = "start a guest (bringing the network up if it is down) and return once it runs",
	.options = start_options,
	.notes = "With --dry-run, print the guest as a person would start it by hand and do nothing:\n"
		 "a line for each helper to start first (passt, swtpm, virtiofsd), then the\n"
		 "qemu-system-x86_64 command line with the files by path, the tap by name\n"
		 "(ifname=TAP,script=no,downscript=no) and QEMU's own sockets in run/NAME; vmm\n"
		 "itself hands QEMU every file, the tap and the sockets as descriptors.\n"
		 "KVM is used when /dev/kvm works (else TCG, slow), vhost-net when /dev/vhost-net opens;\n"
		 "the environment variables VMM_ACCEL=kvm|tcg and VMM_VHOST=on|off override the probe.\n",
	.complete = CMD_COMPLETE_PROFILE,
};

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
	int rc = lifecycle_wait(&ctx->home, p, w, tty ? show_progress : NULL, (void *)p->name,
				&ms);
	if (tty)
		fprintf(stderr, "\r\033[K");
	unsigned port = 22;
	if (rc < 0 || lifecycle_wait_where(p, w, ip, &port) < 0)
		return cmd_report();
	char where[32];
	snprintf(where, sizeof(where), port == 22 ? "%s" : "%s:%u", ip, port);
	cmd_note(ctx, "vmm: %s: %s at %s after %.1f s", p->name,
		 kind == GUEST_WAIT_SSH ? "SSH answers" : "answers ping", where, (double)ms / 1000.0);
	return 0;
}

int cmd_start(struct vmm_ctx *ctx, int argc, char **argv)
{
	struct start_args a = { 0 };
	struct vmm_profile p;
	int rc = cmd_parse(&cmd_start_spec, argc, argv, &a);
	if (rc || (rc = cmd_load_one(ctx, "start", argc, argv, &p)))
		return rc;
	struct guest_wait w = { GUEST_WAIT_NONE, 0 };
	if (a.wait && guest_wait_parse(*a.wait ? a.wait : NULL, &w) < 0) {
		profile_free(&p);
		return cmd_report();
	}
	struct lifecycle_start_opts so = { .install = a.install, .wait_secs = (int)w.secs };
	const char *name = argv[optind];
	struct lifecycle_started res;
	if (ctx->dry_run) {
		char *text = NULL;
		rc = lifecycle_plan(&ctx->home, &p, &so, &text) < 0 ? cmd_report() : 0;
		if (text) {
			fputs(text, stdout); /* the dry run's product */
			free(text);
			rc = 0;
		}
		goto out;
	}
	char wip[16];
	unsigned wport;
	/* a --wait that cannot work starts nothing */
	if (w.kind != GUEST_WAIT_NONE && lifecycle_wait_where(&p, &w, wip, &wport) < 0) {
		rc = cmd_report();
		goto out;
	}
	if (lifecycle_start(&ctx->home, &p, &so, &res) < 0) {
		rc = cmd_report();
		goto out;
	}
	if (res.st.tcg)
		cmd_note(ctx, "vmm: %s: no KVM, using TCG (slow)", name);
	if (res.st.pid > 0 && p.vnc_display == VMM_VNC_NONE)
		cmd_note(ctx, "vmm: %s: running (pid %ld), no display, serial: vmm console %s", name,
			 (long)res.st.pid, name);
	else if (res.st.pid > 0) {
		char vnc[160];
		cmd_vnc_where(&p, &res.st, vnc, sizeof(vnc));
		cmd_note(ctx, "vmm: %s: running (pid %ld), vnc %s, serial: vmm console %s", name,
			 (long)res.st.pid, vnc, name);
	} else {
		cmd_note(ctx, "vmm: %s: running", name);
	}
	rc = w.kind != GUEST_WAIT_NONE ? wait_guest(ctx, &p, &w) : 0;
out:
	profile_free(&p);
	return rc;
}
