// SPDX-License-Identifier: MIT
/* stop.c: `vmm stop NAME`: ACPI powerdown, then quit, then signals; the tap and run state go away */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "vmm/guest/lifecycle.h"
#include "vmm/cmd/cmd.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

struct stop_args {
	bool force;
	unsigned long timeout;
};

static const struct cmd_option stop_options[] = {
	OPT_FLAG(0, "force", struct stop_args, force,
		 "quit QEMU at once instead of asking the guest to power off"),
	OPT_UINT(0, "timeout", struct stop_args, timeout, 0, 86400, "S",
		 "seconds the guest gets to power off before QEMU is quit (default: the profile's stop_timeout, else 30)"),
	OPT_END,
};

const struct cmd_spec cmd_stop_spec = {
	.name = "stop",
	.args = "NAME",
	.summary = "stop a guest: ACPI power button, then quit QEMU, then signals",
	.options = stop_options,
	.complete = CMD_COMPLETE_PROFILE,
};

int cmd_stop(struct vmm_ctx *ctx, int argc, char **argv)
{
	struct stop_args a = { .timeout = (unsigned long)-1 };
	struct vmm_profile p;
	int rc = cmd_parse(&cmd_stop_spec, argc, argv, &a);
	if (rc || (rc = cmd_load_one(ctx, "stop", argc, argv, &p)))
		return rc;
	bool force = a.force;
	unsigned long timeout = a.timeout;
	if (timeout == (unsigned long)-1) /* not given: the profile's */
		timeout = p.stop_timeout ? p.stop_timeout : VMM_STOP_TIMEOUT;
	const char *name = argv[optind];
	enum vmm_state was;
	enum vmm_stop_end end = VMM_STOP_NOT_RUNNING;
	if (ctx->dry_run) {
		cmd_note(ctx, "would stop %s%s", name, force ? " (forced)" : "");
		goto out;
	}
	if (lifecycle_stop(&ctx->home, &p, force, (int)timeout, &was, &end) < 0) {
		rc = cmd_report();
		goto out;
	}
	/* say which way it ended: only "powered off" means the guest shut itself down */
	if (was == VMM_CRASHED)
		cmd_note(ctx, "vmm: %s: had crashed; its run state is cleaned up", name);
	else if (was == VMM_STOPPED || end == VMM_STOP_NOT_RUNNING)
		cmd_note(ctx, "vmm: %s: not running", name);
	else if (end == VMM_STOP_POWEROFF)
		cmd_note(ctx, "vmm: %s: powered off (ACPI)", name);
	else if (end == VMM_STOP_QUIT && force)
		cmd_note(ctx, "vmm: %s: quit (--force)", name);
	else if (end == VMM_STOP_QUIT)
		cmd_note(ctx, "vmm: %s: did not power off in %lu s, quit", name, timeout);
	else if (end == VMM_STOP_TERM)
		cmd_note(ctx, "vmm: %s: did not quit, terminated (SIGTERM)", name);
	else
		cmd_note(ctx, "vmm: %s: killed (SIGKILL)", name);
out:
	profile_free(&p);
	return rc;
}
