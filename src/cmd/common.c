// SPDX-License-Identifier: MIT
/* common.c: pieces several command handlers share: the one NAME, backend checks */
#include <getopt.h>
#include <stdio.h>

#include "vmm/backend.h"
#include "vmm/cmd.h"

int cmd_one_name(const char *cmd, int argc, char **argv, const char **name)
{
	if (argc - optind != 1)
		return cmd_usage_error(cmd, "needs exactly one NAME");
	*name = argv[optind];
	if (profile_check_name(*name) < 0)
		return cmd_report();
	return 0;
}

int cmd_load_one(struct vmm_ctx *ctx, const char *cmd, int argc, char **argv,
		 struct vmm_profile *p)
{
	const char *name = NULL;
	int rc = cmd_one_name(cmd, argc, argv, &name);
	if (rc)
		return rc;
	if (store_load(&ctx->home, name, p) < 0)
		return cmd_report();
	return 0;
}

