// SPDX-License-Identifier: MIT
/* console.c: `vmm console NAME`: the guest's serial console, raw on a terminal, plain on a pipe */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "vmm/lifecycle.h"
#include "vmm/cmd.h"
#include "vmm/error.h"
#include "vmm/util.h"

const char cmd_console_usage[] = "console NAME [--timeout S]";
const char cmd_console_summary[] = "attach to a guest's serial console (Ctrl-] detaches)";
const char cmd_console_help[] =
	"  --timeout S      leave after S seconds without output from the guest\n"
	"On a terminal the console is raw and Ctrl-] detaches. On a pipe, stdin goes to the guest\n"
	"and its output to stdout; after stdin ends vmm leaves once the guest is silent for S\n"
	"seconds (3 without --timeout), so `echo CMD | vmm console NAME` prints CMD's output.\n";

int cmd_console(struct vmm_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long timeout = 0;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (util_parse_uint("--timeout", optarg, 1, 86400, &timeout) < 0)
				return cmd_report();
			break;
		default:
			return cmd_opt_common("console", c, argv);
		}
	}
	struct vmm_profile p;
	int rc = cmd_load_one(ctx, "console", argc, argv, &p);
	if (rc)
		return rc;
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
