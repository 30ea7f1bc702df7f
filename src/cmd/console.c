// SPDX-License-Identifier: MIT
/* console.c: `vmm console NAME`: the guest's serial console, raw on a terminal, plain on a pipe */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "vmm/guest/lifecycle.h"
#include "vmm/cmd/cmd.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

struct console_args {
	unsigned long timeout;
};

static const struct cmd_option console_options[] = {
	OPT_UINT(0, "timeout", struct console_args, timeout, 1, 86400, "S",
		 "leave after S seconds without output from the guest"),
	OPT_END,
};

const struct cmd_spec cmd_console_spec = {
	.name = "console",
	.args = "NAME",
	.summary = "attach to a guest's serial console (Ctrl-] detaches)",
	.options = console_options,
	.notes = "On a terminal the console is raw and Ctrl-] detaches. On a pipe, stdin goes to the guest\n"
		 "and its output to stdout; after stdin ends vmm leaves once the guest is silent for S\n"
		 "seconds (3 without --timeout), so `echo CMD | vmm console NAME` prints CMD's output.\n",
	.complete = CMD_COMPLETE_PROFILE,
};

int cmd_console(struct vmm_ctx *ctx, int argc, char **argv)
{
	struct console_args a = { 0 };
	struct vmm_profile p;
	int rc = cmd_parse(&cmd_console_spec, argc, argv, &a);
	if (rc || (rc = cmd_load_one(ctx, "console", argc, argv, &p)))
		return rc;
	unsigned long timeout = a.timeout;
	const char *name = argv[optind];
	bool tty = util_isatty(0);
	if (tty)
		cmd_note(ctx, "vmm: %s: serial console, Ctrl-] detaches", name);
	int r = lifecycle_console(&ctx->home, &p, (int)timeout * 1000);
	if (tty)
		cmd_note(ctx, "%s", "");
	if (r < 0)
		rc = cmd_report();
	profile_free(&p);
	return rc;
}
