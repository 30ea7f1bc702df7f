// SPDX-License-Identifier: MIT
/* main.c: the command table, global options, help and man page generated from the table */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm/cmd.h"
#include "vmm/error.h"
#include "vmm/util.h"

enum {
	CMD_HOME = 1 << 0, /* opens the home before running */
};

struct command {
	const char *name;
	vmm_cmd_fn fn;
	const char *usage;   /* after "vmm " */
	const char *summary; /* one line */
	const char *help;    /* options, one per line */
	unsigned flags;
};

#define ENTRY(n, f) { #n, cmd_##n, cmd_##n##_usage, cmd_##n##_summary, cmd_##n##_help, f }

static int cmd_help(struct vmm_ctx *ctx, int argc, char **argv);
static int cmd_version(struct vmm_ctx *ctx, int argc, char **argv);

static const struct command commands[] = {
	ENTRY(image, CMD_HOME),
	ENTRY(create, CMD_HOME),
	ENTRY(list, CMD_HOME),
	ENTRY(show, CMD_HOME),
	ENTRY(set, CMD_HOME),
	ENTRY(delete, CMD_HOME),
	ENTRY(net, CMD_HOME),
	ENTRY(seed, CMD_HOME),
	ENTRY(start, CMD_HOME),
	ENTRY(stop, CMD_HOME),
	ENTRY(status, CMD_HOME),
	ENTRY(console, CMD_HOME),
	ENTRY(ssh, CMD_HOME),
	ENTRY(vnc, CMD_HOME),
	{ "help", cmd_help, "help [CMD] | help --man", "show help for vmm or one command",
	  "  --man            print the manual page (troff) generated from this table\n", 0 },
	{ "version", cmd_version, "version", "print the version", "", 0 },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char global_help[] =
	"  --home DIR       use DIR as the home (profiles/, images/, run/); also VMM_HOME\n"
	"  --json           print tables and states as JSON\n"
	"  --dry-run        resolve everything, print what would be done, change nothing\n"
	"  -q, --quiet      print only errors\n"
	"  -v, --verbose    print more about what is done\n"
	"  -h, --help       show help\n";

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* ---- printing helpers for the handlers ---- */

int cmd_report(void)
{
	int code = vmm_errcode() ? vmm_errcode() : VMM_EFAIL;
	fprintf(stderr, "vmm: %s\n", *vmm_errmsg() ? vmm_errmsg() : "failed");
	return code;
}

int cmd_error(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("vmm: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return code;
}

int cmd_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "vmm: %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see \"vmm help %s\")\n", cmd);
	va_end(ap);
	return VMM_EINVAL;
}

void cmd_note(const struct vmm_ctx *ctx, const char *fmt, ...)
{
	if (ctx && ctx->verbose < 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int cmd_flush(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "vmm: stdout: %s\n", util_strerror(errno ? errno : EIO));
		return VMM_EFAIL;
	}
	return 0;
}

void cmd_print_help(FILE *f, const char *name)
{
	const struct command *c = find(name);
	if (!c)
		return;
	fprintf(f, "usage: vmm %s\n\n%s.\n", c->usage, c->summary);
	if (c->help && *c->help)
		fprintf(f, "\noptions:\n%s", c->help);
}

static void print_overview(FILE *f)
{
	fprintf(f, "usage: vmm [global options] COMMAND [options]\n\n"
		   "vmm runs QEMU guests on a shared bridge with NAT, one host or several.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nglobal options (before or after the command):\n%s", global_help);
	fprintf(f, "\n\"vmm help COMMAND\" or \"vmm COMMAND --help\" shows a command's options.\n"
		   "exit codes: 0 ok, 1 failure, 2 bad usage or invalid input.\n");
}

/* troff-escape a line: backslashes and leading dots/quotes. */
static void man_text(FILE *f, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
	}
}

/* Option lines "  --opt ARG   text" become .TP entries. */
static void man_options(FILE *f, const char *help)
{
	const char *line = help;
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[512];
		snprintf(buf, sizeof(buf), "%.*s", (int)len, line);
		char *s = buf;
		while (*s == ' ')
			s++;
		char *gap = strstr(s, "  ");
		if (gap && s[0] == '-') {
			*gap = '\0';
			char *text = gap + 2;
			while (*text == ' ')
				text++;
			fputs(".TP\n.B ", f);
			man_text(f, s);
			fputc('\n', f);
			man_text(f, text);
			fputc('\n', f);
		} else if (*s) {
			fputs(".IP\n", f);
			man_text(f, s);
			fputc('\n', f);
		}
		line = nl ? nl + 1 : NULL;
	}
}

static void print_man(FILE *f)
{
	fprintf(f, ".\\\" Generated by \"vmm help --man\" from the command table; do not edit.\n"
		   ".TH VMM 1 \"\" \"vmm %s\" \"User Commands\"\n"
		   ".SH NAME\nvmm \\- daemonless QEMU VM manager with built-in host networking\n"
		   ".SH SYNOPSIS\n.B vmm\n[\\fIglobal options\\fR] \\fICOMMAND\\fR [\\fIoptions\\fR]\n"
		   ".SH DESCRIPTION\n"
		   "vmm keeps guest profiles as libconfig files, creates qcow2 disks with qemu\\-img, "
		   "sets up a shared bridge with forwarding and NAT in\\-process (libnl\\-route\\-3, "
		   "libiptc), gives each guest a tap on that bridge, passes address, route and DNS to "
		   "the guest in a cloud\\-init NoCloud seed ISO, runs QEMU directly or through "
		   "libvirt, and shows a guest's screen in the terminal over VNC.\n"
		   ".SH COMMANDS\n",
		VMM_VERSION);
	for (size_t i = 0; i < N_COMMANDS; i++) {
		const struct command *c = &commands[i];
		fputs(".SS \"", f);
		man_text(f, c->usage);
		fputs("\"\n", f);
		man_text(f, c->summary);
		fputs(".\n", f);
		if (c->help && *c->help) {
			fputs(".RS\n", f);
			man_options(f, c->help);
			fputs(".RE\n", f);
		}
	}
	fputs(".SH GLOBAL OPTIONS\nThey may stand before or after the command.\n", f);
	man_options(f, global_help);
	fputs(".SH FILES\n"
	      ".TP\n.I HOME/profiles/NAME.cfg\nthe guest profile (libconfig)\n"
	      ".TP\n.I HOME/profiles/net.cfg\nthe bridge, its address, uplink, NAT and DNS\n"
	      ".TP\n.I HOME/images/\ndisks (NAME.qcow2) and seeds (NAME\\-seed.iso)\n"
	      ".TP\n.I HOME/run/NAME/\npid file, QMP and serial sockets of a running guest\n"
	      ".TP\n.I HOME/images/cache/\nverified cloud images (NAME\\-DIGEST.img with its digest "
	      "beside it), downloads in progress (NAME.part)\n"
	      ".TP\n.I HOME/images/images.cfg\nimages added with vmm image add\n"
	      ".TP\n.I HOME/images/ssh/\nthe home's key pair (id_ed25519) and each guest's host keys "
	      "and known_hosts (NAME/)\n"
	      ".TP\n.I PREFIX/share/vmm/images.cfg\nthe image catalog\n"
	      ".PP\nWith \\fB\\-\\-home\\fR or \\fBVMM_HOME\\fR, HOME is that folder. Otherwise root "
	      "uses /etc/vmm for profiles, /var/lib/vmm/images and /run/vmm; other users the XDG "
	      "folders (~/.config/vmm, ~/.local/share/vmm/images, $XDG_RUNTIME_DIR/vmm).\n"
	      ".SH ENVIRONMENT\n.TP\n.B VMM_HOME\nthe home, as \\fB\\-\\-home\\fR\n"
	      ".TP\n.B VMM_IMAGE_MIRROR\nreplaces the image catalog's base URLs (also image_mirror "
	      "in net.cfg)\n"
	      ".TP\n.B VMM_IMAGE_CATALOG\nread this image catalog instead of the installed one\n"
	      ".SH EXIT STATUS\n.TP\n.B 0\nsuccess\n.TP\n.B 1\nfailure while acting\n"
	      ".TP\n.B 2\nbad usage or invalid input; nothing was changed\n"
	      ".SH EXAMPLES\n.nf\n"
	      "vmm net up\n"
	      "vmm create ubuntu \\-\\-iso ubuntu.iso \\-\\-size 40G \\-\\-ram 2048 \\-\\-vnc :19\n"
	      "vmm start ubuntu \\-\\-install\n"
	      "vmm create web \\-\\-image debian\\-12 \\-\\-size 20G\n"
	      "vmm start web \\-\\-wait\n"
	      "vmm ssh web \\-\\- uptime\n"
	      "vmm vnc ubuntu\n"
	      "vmm list\n.fi\n",
	      f);
}

static int cmd_help(struct vmm_ctx *ctx, int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "--man")) {
		print_man(stdout);
		return cmd_flush();
	}
	if (argc >= 2) {
		if (!find(argv[1]))
			return cmd_error(VMM_EINVAL, "unknown command \"%s\", try \"vmm help\"",
					 argv[1]);
		cmd_print_help(stdout, argv[1]);
		return cmd_flush();
	}
	print_overview(stdout);
	return cmd_flush();
}

static int cmd_version(struct vmm_ctx *ctx, int argc, char **argv)
{
	printf("vmm %s\n", VMM_VERSION);
	return cmd_flush();
}

/* Pull the global options out of argv, wherever they stand (up to "--"). */
static int take_globals(struct vmm_ctx *ctx, int *argc, char **argv)
{
	int out = 1;
	bool rest = false;
	for (int i = 1; i < *argc; i++) {
		char *a = argv[i];
		if (rest || a[0] != '-') {
			argv[out++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			rest = true;
			argv[out++] = a;
		} else if (!strcmp(a, "--json"))
			ctx->json = true;
		else if (!strcmp(a, "--dry-run"))
			ctx->dry_run = true;
		else if (!strcmp(a, "-q") || !strcmp(a, "--quiet"))
			ctx->verbose = -1;
		else if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
			ctx->verbose = ctx->verbose < 0 ? 1 : ctx->verbose + 1;
		else if (!strcmp(a, "--home")) {
			if (i + 1 >= *argc)
				return cmd_error(VMM_EINVAL, "--home: needs a folder");
			ctx->home_dir = argv[++i];
		} else if (!strncmp(a, "--home=", 7))
			ctx->home_dir = a + 7;
		else
			argv[out++] = a;
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

int main(int argc, char **argv)
{
	struct vmm_ctx ctx = { 0 };
	if (take_globals(&ctx, &argc, argv) != 0)
		return VMM_EINVAL;
	quiet = ctx.verbose < 0;
	vmm_set_notice_handler(show_notice);
	if (ctx.home_dir && !*ctx.home_dir)
		return cmd_error(VMM_EINVAL, "--home: empty folder name");
	if (argc < 2) {
		print_overview(stderr);
		return VMM_EINVAL;
	}
	const char *name = argv[1];
	if (!strcmp(name, "-h") || !strcmp(name, "--help")) {
		print_overview(stdout);
		return cmd_flush();
	}
	if (!strcmp(name, "--version"))
		name = "version";
	const struct command *c = find(name);
	if (!c)
		return cmd_error(VMM_EINVAL, "unknown command \"%s\", try \"vmm help\"", name);
	for (int i = 2; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			cmd_print_help(stdout, c->name);
			return cmd_flush();
		}
	if (c->flags & CMD_HOME) {
		if (store_open(&ctx.home, ctx.home_dir) < 0)
			return cmd_report();
	}
	int rc = c->fn(&ctx, argc - 1, argv + 1);
	if (c->flags & CMD_HOME)
		store_close(&ctx.home);
	return rc;
}
