// SPDX-License-Identifier: MIT
/* common.c: pieces several command handlers share: option cases, the one NAME, backend checks */
#include <getopt.h>
#include <stdio.h>

#include "vmm/backend.h"
#include "vmm/cmd.h"

int cmd_opt_common(const char *cmd, int c, char **argv)
{
	switch (c) {
	case 'h':
		cmd_print_help(stdout, cmd);
		return cmd_flush();
	case ':':
		return cmd_usage_error(cmd, "option \"%s\" needs a value", argv[optind - 1]);
	default:
		return cmd_usage_error(cmd, "unknown option \"%s\"", argv[optind - 1]);
	}
}

int cmd_load_one(struct vmm_ctx *ctx, const char *cmd, int argc, char **argv,
		 struct vmm_profile *p)
{
	if (argc - optind != 1)
		return cmd_usage_error(cmd, "needs exactly one NAME");
	if (store_load(&ctx->home, argv[optind], p) < 0)
		return cmd_report();
	return 0;
}

