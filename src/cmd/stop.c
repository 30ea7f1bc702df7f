// SPDX-License-Identifier: MIT
/* stop.c: `vmm stop NAME`: ACPI powerdown, then quit, then signals; the tap and run state go away */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "vmm/lifecycle.h"
#include "vmm/cmd.h"
#include "vmm/error.h"
#include "vmm/util.h"

const char cmd_stop_usage[] = "stop NAME [--force] [--timeout S]";
const char cmd_stop_summary[] = "stop a guest: ACPI power button, then quit QEMU, then signals";
const char cmd_stop_help[] =
	"  --force          quit QEMU at once instead of asking the guest to power off\n"
	"  --timeout S      seconds the guest gets to power off before QEMU is quit (default 30)\n";

int cmd_stop(struct vmm_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool force = false;
	unsigned long timeout = 30;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			force = true;
			break;
		case 't':
			if (util_parse_uint("--timeout", optarg, 0, 86400, &timeout) < 0)
				return cmd_report();
			break;
		default:
			return cmd_opt_common("stop", c, argv);
		}
	}
	struct vmm_profile p;
	int rc = cmd_load_one(ctx, "stop", argc, argv, &p);
	if (rc)
		return rc;
	const char *name = argv[optind];
	enum vmm_state was;
	if (ctx->dry_run) {
		cmd_note(ctx, "would stop %s%s", name, force ? " (forced)" : "");
		goto out;
	}
	if (lifecycle_stop(&ctx->home, &p, force, (int)timeout, &was) < 0) {
		rc = cmd_report();
		goto out;
	}
	if (was == VMM_STOPPED)
		cmd_note(ctx, "vmm: %s: not running", name);
	else if (was == VMM_CRASHED)
		cmd_note(ctx, "vmm: %s: had crashed; its run state is cleaned up", name);
	else
		cmd_note(ctx, "vmm: %s: stopped", name);
out:
	profile_free(&p);
	return rc;
}
