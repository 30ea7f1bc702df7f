/* SPDX-License-Identifier: MIT */
/* cmd.h: what every command handler gets, and the handlers the table in src/main.c lists */
#ifndef VMM_CMD_H
#define VMM_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "vmm/store.h"

struct vmm_ctx {
	const char *home_dir; /* --home, or NULL */
	bool json;            /* --json */
	bool dry_run;         /* --dry-run */
	int verbose;          /* -1 with -q, 0 normal, 1+ with -v */
	struct vmm_home home; /* opened by main before the handler runs */
};

/*
 * A handler gets argv with argv[0] = the command name ("net" for "vmm net up": argv[1] = "up"),
 * options still in place (parse with getopt_long after `optind = 0`). It returns the exit code:
 * 0, VMM_EFAIL (1) or VMM_EINVAL (2). It prints errors with cmd_error()/cmd_die_usage() only.
 */
typedef int (*vmm_cmd_fn)(struct vmm_ctx *ctx, int argc, char **argv);

/* Print "vmm: MSG" for the error slot and return its code (1 when unset). */
int cmd_report(void);
/* Print "vmm: FMT..." and return code. */
int cmd_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print "vmm: CMD: MSG" + "usage: ..." hint for the command and return 2. */
int cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Informational line on stderr unless -q ("vmm: " prefix not added). */
void cmd_note(const struct vmm_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Flush stdout and check for write errors; returns 0 or 1. Call before returning 0 after printing. */
int cmd_flush(void);
/* Print the full help of one command (same text as `vmm help CMD`). */
void cmd_print_help(FILE *f, const char *cmd);

/* Shared by handlers (src/cmd/common.c). The getopt_long cases every command has: 'h' prints
 * the help of CMD, ':' is a missing value, anything else an unknown option; returns the exit code. */
int cmd_opt_common(const char *cmd, int c, char **argv);
/* After the options: exactly one NAME must be left (argv[optind]); load its profile into *p.
 * Returns 0, or the exit code after printing why (then there is nothing to free). */
int cmd_load_one(struct vmm_ctx *ctx, const char *cmd, int argc, char **argv,
		 struct vmm_profile *p);
/* The cached, verified copy of image NAME (pulled first when needed, with a progress bar on a
 * terminal); *user (may be NULL) gets its default user. 0, or -1 with the error slot set. */
int cmd_image_fetch(struct vmm_ctx *ctx, const char *name, char **path, char **user);

/* Each handler and its help text (options, one per line, "  --opt ARG   what") live in its file. */
#define VMM_CMD(n)                                                                   \
	int cmd_##n(struct vmm_ctx *ctx, int argc, char **argv);                     \
	extern const char cmd_##n##_usage[];                                         \
	extern const char cmd_##n##_summary[];                                       \
	extern const char cmd_##n##_help[]

VMM_CMD(image);
VMM_CMD(create);
VMM_CMD(list);
VMM_CMD(show);
VMM_CMD(set);
VMM_CMD(delete);
VMM_CMD(net);
VMM_CMD(seed);
VMM_CMD(start);
VMM_CMD(stop);
VMM_CMD(status);
VMM_CMD(console);
VMM_CMD(vnc);
VMM_CMD(ssh);

#endif
