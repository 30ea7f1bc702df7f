// SPDX-License-Identifier: MIT
/* main.c: the command table and the global options; dispatch to the handlers */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm/cmd/cmd.h"
#include "vmm/net/userns.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

struct help_args {
	bool man, bash;
};

static const struct cmd_option help_options[] = {
	OPT_FLAG(0, "man", struct help_args, man, "print the manual page (troff) generated from the tables"),
	OPT_FLAG(0, "bash-completion", struct help_args, bash,
		 "print the bash completion script generated from the tables"),
	OPT_END,
};
static const struct cmd_spec cmd_help_spec = {
	.name = "help",
	.args = "[CMD]",
	.summary = "show help for vmm or one command",
	.options = help_options,
	.complete = CMD_COMPLETE_COMMAND,
};
static const struct cmd_spec cmd_version_spec = {
	.name = "version",
	.summary = "print the version",
};

static int cmd_help(struct vmm_ctx *ctx, int argc, char **argv);
static int cmd_version(struct vmm_ctx *ctx, int argc, char **argv);

#define ENTRY(n, f) { &cmd_##n##_spec, cmd_##n, f }

/* The commands, in the order `vmm help` and the man page list them. */
static const struct cmd_entry commands[] = {
	ENTRY(image, CMD_HOME),
	ENTRY(create, CMD_HOME),
	ENTRY(list, CMD_HOME),
	ENTRY(show, CMD_HOME),
	ENTRY(set, CMD_HOME),
	ENTRY(delete, CMD_HOME),
	ENTRY(forward, CMD_HOME),
	ENTRY(net, CMD_HOME),
	ENTRY(seed, CMD_HOME),
	ENTRY(start, CMD_HOME),
	ENTRY(stop, CMD_HOME),
	ENTRY(status, CMD_HOME),
	ENTRY(console, CMD_HOME),
	ENTRY(snapshot, CMD_HOME),
	ENTRY(clone, CMD_HOME),
	ENTRY(ssh, CMD_HOME),
	ENTRY(vnc, CMD_HOME),
	ENTRY(autostart, CMD_HOME),
	ENTRY(help, 0),
	ENTRY(version, 0),
};
#define N_COMMANDS ARRAY_SIZE(commands)

static const struct cmd_option global_options[] = {
	OPT_DIR(0, "home", struct vmm_ctx, home_dir, "DIR",
		"use DIR as the home (profiles/, images/, run/); also VMM_HOME"),
	OPT_FLAG(0, "json", struct vmm_ctx, json, "print tables and states as JSON"),
	OPT_FLAG(0, "dry-run", struct vmm_ctx, dry_run,
		 "resolve everything, print what would be done, change nothing"),
	OPT_SET('q', "quiet", struct vmm_ctx, verbose, -1, "print only errors"),
	OPT_COUNT('v', "verbose", struct vmm_ctx, verbose, "print more about what is done"),
	OPT_FLAG('h', "help", struct vmm_ctx, help, "show help"),
	OPT_END,
};
static const struct cmd_table table = { commands, N_COMMANDS, global_options };

static const struct cmd_entry *find(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].spec->name, name))
			return &commands[i];
	return NULL;
}

static int cmd_help(struct vmm_ctx *ctx, int argc, char **argv)
{
	struct help_args a = { 0 };
	int rc = cmd_parse(&cmd_help_spec, argc, argv, &a);
	if (rc)
		return rc;
	if (argc - optind > 1)
		return cmd_usage_error("help", "unexpected argument \"%s\"", argv[optind + 1]);
	if (a.man)
		cmd_help_man(stdout, &table);
	else if (a.bash)
		cmd_help_bash(stdout, &table);
	else if (optind < argc) {
		const struct cmd_entry *c = find(argv[optind]);
		if (!c)
			return cmd_error(VMM_EINVAL, "unknown command \"%s\", try \"vmm help\"",
					 argv[optind]);
		cmd_help_print(stdout, c->spec);
	} else {
		cmd_help_overview(stdout, &table);
	}
	return 0;
}
static int cmd_version(struct vmm_ctx *ctx, int argc, char **argv)
{
	int rc = cmd_parse(&cmd_version_spec, argc, argv, NULL);
	if (rc)
		return rc;
	if (optind < argc)
		return cmd_usage_error("version", "unexpected argument \"%s\"", argv[optind]);
	printf("vmm %s\n", VMM_VERSION);
	return 0;
}

/* Pull the global options out of argv, wherever they stand (up to "--"): "--home DIR",
 * "--home=DIR", "-q"; anything else stays for the command. */
static int take_globals(struct vmm_ctx *ctx, int *argc, char **argv)
{
	int out = 1;
	bool rest = false;
	for (int i = 1; i < *argc; i++) {
		char *a = argv[i];
		const struct cmd_option *o = NULL;
		const char *value = NULL;
		if (!rest && !strcmp(a, "--"))
			rest = true;
		else if (!rest && a[0] == '-' && a[1] == '-')
			o = cmd_option_find(global_options, a + 2, strcspn(a + 2, "="), 0);
		else if (!rest && a[0] == '-' && a[1] && !a[2])
			o = cmd_option_find(global_options, NULL, 0, a[1]);
		if (!o) {
			argv[out++] = a;
			continue;
		}
		char *eq = strchr(a, '=');
		if (eq && (a[1] != '-' || o->has_arg == no_argument))
			return cmd_error(VMM_EINVAL, "--%s takes no value (see \"vmm help\")", o->name);
		if (eq)
			value = eq + 1;
		else if (o->has_arg == required_argument) {
			if (i + 1 >= *argc)
				return cmd_error(VMM_EINVAL, "--%s needs a value (see \"vmm help\")",
						 o->name);
			value = argv[++i];
		}
		if (cmd_option_apply(o, value, ctx) < 0)
			return cmd_report();
	}
	argv[out] = NULL;
	*argc = out;
	return 0;
}

/* Modules' announcements (vmm_notice): one line on stderr, unless -q. */
static bool quiet;
static void show_notice(const char *line)
{
	if (!quiet)
		fprintf(stderr, "vmm: %s\n", line);
}

/* The global options, then the command's handler. */
static int dispatch(int argc, char **argv)
{
	struct vmm_ctx ctx = { 0 };
	/* vmm re-executed by itself to hold a network namespace of the user's (userns.h) */
	if (argc == 3 && !strcmp(argv[1], USERNS_HOLDER_CMD))
		return userns_holder_main();
	int rc = take_globals(&ctx, &argc, argv);
	if (rc)
		return rc;
	quiet = ctx.verbose < 0;
	vmm_set_notice_handler(show_notice);
	const struct cmd_entry *c = NULL;
	if (argc >= 2) {
		const char *name = !strcmp(argv[1], "--version") ? "version" : argv[1];
		c = find(name);
		if (!c)
			return cmd_error(VMM_EINVAL, "unknown command \"%s\", try \"vmm help\"", name);
	}
	if (ctx.help) {
		if (c)
			cmd_help_print(stdout, c->spec);
		else
			cmd_help_overview(stdout, &table);
		return 0;
	}
	if (!c) {
		cmd_help_overview(stderr, &table);
		return VMM_EINVAL;
	}
	if (c->flags & CMD_HOME) {
		if (store_open(&ctx.home, ctx.home_dir) < 0)
			return cmd_report();
	}
	rc = c->fn(&ctx, argc - 1, argv + 1);
	if (c->flags & CMD_HOME)
		store_close(&ctx.home);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = dispatch(argc, argv);
	/* one check of stdout for every command: output lost to a full disk or a closed pipe is a
	 * failure, not a success */
	int f = cmd_flush();
	return rc ? rc : f;
}
