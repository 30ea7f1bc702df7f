// SPDX-License-Identifier: MIT
/* cmd/help.c: `vmm help`, the man page and the bash completion, all generated from the tables */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/cmd/cmd.h"
#include "vmm/config/profile.h"

#define HELP_COL 17 /* option column width in `vmm help CMD` */

/* "-q, --quiet", "--iso FILE", "--wait[=SECS]"; a KEY=VALUE key: "iso=[FILE]", "cpus=N" */
static void option_spelling(char *buf, size_t len, const struct cmd_option *o, bool key)
{
	int n = 0;
	if (key) {
		snprintf(buf, len, o->has_arg == 2 ? "%s=[%s]" : "%s=%s", o->name, o->metavar);
		return;
	}
	if (o->short_name)
		n = snprintf(buf, len, "-%c, ", o->short_name);
	if (n < 0 || (size_t)n >= len)
		n = 0;
	if (!o->metavar)
		snprintf(buf + n, len - n, "--%s", o->name);
	else if (o->has_arg == 2)
		snprintf(buf + n, len - n, "--%s[=%s]", o->name, o->metavar);
	else
		snprintf(buf + n, len - n, "--%s %s", o->name, o->metavar);
}

/* The aliases of o (entries without help storing into the same field): " (also --memory)";
 * keys: " (also ram)". */
static void option_aliases(char *buf, size_t len, const struct cmd_option *opts,
			   const struct cmd_option *o, bool key)
{
	size_t used = 0;
	buf[0] = '\0';
	for (const struct cmd_option *a = opts; a->name; a++) {
		if (a->help || a->off != o->off || a->kind != o->kind || used >= len ||
		    (o->kind == CMD_OPT_KEY && strcmp(a->key, o->key)))
			continue;
		int n = snprintf(buf + used, len - used, "%s%s%s", used ? ", " : " (also ",
				 key ? "" : "--", a->name);
		used += n > 0 ? (size_t)n : 0;
	}
	if (used && used + 1 < len)
		strcat(buf, ")");
}

static bool has_entries(const struct cmd_option *opts)
{
	return opts && opts[0].name;
}

static bool has_options(const struct cmd_spec *s)
{
	return has_entries(cmd_spec_options(s));
}

static void print_usage_line(FILE *f, const struct cmd_spec *s)
{
	fprintf(f, "%s%s%s%s", s->name, s->args && *s->args ? " " : "", s->args ? s->args : "",
		has_options(s) ? " [options]" : "");
}

/* Calls fn for each option with help: its spelling ("--iso FILE") and its aliases' note. */
typedef void (*option_fn)(FILE *f, const char *spelling, const char *help, const char *aliases);

/* key: the entries are KEY=VALUE keys, not options */
static void each_entry(FILE *f, const struct cmd_option *opts, bool key, option_fn fn)
{
	for (const struct cmd_option *o = opts; o && o->name; o++) {
		if (!o->help)
			continue;
		char sp[96], al[128];
		option_spelling(sp, sizeof(sp), o, key);
		option_aliases(al, sizeof(al), opts, o, key);
		fn(f, sp, o->help, al);
	}
}

static void each_option(FILE *f, const struct cmd_option *opts, option_fn fn)
{
	each_entry(f, opts, false, fn);
}

static void help_line(FILE *f, const char *sp, const char *help, const char *aliases)
{
	if (strlen(sp) + 2 > HELP_COL) /* too long for the column: two spaces */
		fprintf(f, "  %s  %s%s\n", sp, help, aliases);
	else
		fprintf(f, "  %-*s%s%s\n", HELP_COL, sp, help, aliases);
}

static void print_option_lines(FILE *f, const struct cmd_option *opts)
{
	each_option(f, opts, help_line);
}

void cmd_help_print(FILE *f, const struct cmd_spec *s)
{
	fputs("usage: vmm ", f);
	print_usage_line(f, s);
	fprintf(f, "\n\n%s.\n", s->summary);
	if (s->subs) {
		fputs("\nsubcommands:\n", f);
		for (const struct cmd_sub *u = s->subs; u->name; u++)
			fprintf(f, "  %-*s%s\n", HELP_COL, u->name, u->help);
	}
	if (has_options(s)) {
		fputs("\noptions:\n", f);
		print_option_lines(f, cmd_spec_options(s));
	}
	if (has_entries(cmd_spec_keys(s))) {
		fputs("\nkeys:\n", f);
		each_entry(f, cmd_spec_keys(s), true, help_line);
	}
	if (s->notes && *s->notes)
		fprintf(f, "\n%s", s->notes);
}

void cmd_help_overview(FILE *f, const struct cmd_table *t)
{
	const struct cmd_entry *cmds = t->cmds;
	size_t n = t->n;
	fprintf(f, "usage: vmm [global options] COMMAND [options]\n\n"
		   "vmm runs QEMU guests on a shared bridge with NAT, one host or several.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  %-9s %s\n", cmds[i].spec->name, cmds[i].spec->summary);
	fprintf(f, "\nglobal options (before or after the command):\n");
	print_option_lines(f, t->globals);
	fprintf(f, "\n\"vmm help COMMAND\" or \"vmm COMMAND --help\" shows a command's options.\n"
		   "exit codes: 0 ok, 1 failure, 2 bad usage or invalid input.\n");
}

/* ---- the man page ---- */

/* troff-escape text: backslashes, dashes and a leading dot or quote. */
static void man_text(FILE *f, const char *s, size_t len)
{
	if (len && (*s == '.' || *s == '\''))
		fputs("\\&", f);
	for (size_t i = 0; i < len && s[i]; i++) {
		if (s[i] == '\\')
			fputs("\\e", f);
		else if (s[i] == '-')
			fputs("\\-", f);
		else
			fputc(s[i], f);
	}
}

static void man_str(FILE *f, const char *s)
{
	man_text(f, s, strlen(s));
}

/* .TP entry: the tag in bold, then text and more */
static void man_tp(FILE *f, const char *tag, const char *text, const char *more)
{
	fputs(".TP\n.B ", f);
	man_str(f, tag);
	fputc('\n', f);
	man_str(f, text);
	man_str(f, more);
	fputc('\n', f);
}

static void man_options(FILE *f, const struct cmd_option *opts)
{
	each_option(f, opts, man_tp);
}

/* Free text: each line its own output line (troff fills them into a paragraph). */
static void man_notes(FILE *f, const char *notes)
{
	if (!notes || !*notes)
		return;
	fputs(".PP\n", f);
	for (const char *l = notes; *l;) {
		size_t len = strcspn(l, "\n");
		man_text(f, l, len);
		fputc('\n', f);
		l += len + (l[len] == '\n');
	}
}

/* The profile's keys as the file spells them: "net.address" (and vmm set's name when another). */
static void man_profile_keys(FILE *f)
{
	fputs(".SH PROFILES\nA profile, HOME/profiles/NAME.cfg, is a libconfig file; a key "
	      "GROUP.KEY is written GROUP = { KEY = VALUE; };. Its keys:\n", f);
	for (size_t i = 0; i < profile_n_keys; i++) {
		const struct profile_key *k = &profile_keys[i];
		char tag[64], more[64] = "";
		if (!k->help)
			continue;
		snprintf(tag, sizeof(tag), "%s%s%s", k->group ? k->group : "", k->group ? "." : "",
			 k->name);
		if (profile_key_settable(k) && strcmp(k->set, tag))
			snprintf(more, sizeof(more), " (vmm set: %s)", k->set);
		man_tp(f, tag, k->help, more);
	}
}

/* net.cfg's keys with their defaults: bridge = "br0". */
static void man_netcfg_keys(FILE *f)
{
	fputs(".SH NET.CFG\nHOME/profiles/net.cfg, a libconfig file, describes the bridge the "
	      "guests share. Its keys, with their defaults:\n", f);
	for (size_t i = 0; i < netcfg_n_keys; i++) {
		const struct netcfg_key *k = &netcfg_keys[i];
		char *dflt = netcfg_key_default(k);
		char tag[96];
		snprintf(tag, sizeof(tag), "%s = %s", k->name, dflt ? dflt : k->metavar);
		man_tp(f, tag, k->help, "");
		free(dflt);
	}
}

static void man_command(FILE *f, const struct cmd_spec *s)
{
	char usage[256];
	FILE *m = fmemopen(usage, sizeof(usage), "w");
	if (m) {
		print_usage_line(m, s);
		fclose(m);
	} else {
		snprintf(usage, sizeof(usage), "%s", s->name);
	}
	fputs(".SS \"", f);
	man_str(f, usage);
	fputs("\"\n", f);
	man_str(f, s->summary);
	fputs(".\n", f);
	if (!s->subs && !has_options(s) && !has_entries(cmd_spec_keys(s)) &&
	    !(s->notes && *s->notes))
		return;
	fputs(".RS\n", f);
	for (const struct cmd_sub *u = s->subs; u && u->name; u++)
		man_tp(f, u->name, u->help, "");
	man_options(f, cmd_spec_options(s));
	each_entry(f, cmd_spec_keys(s), true, man_tp);
	man_notes(f, s->notes);
	fputs(".RE\n", f);
}

void cmd_help_man(FILE *f, const struct cmd_table *t)
{
	const struct cmd_entry *cmds = t->cmds;
	size_t n = t->n;
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
	for (size_t i = 0; i < n; i++)
		man_command(f, cmds[i].spec);
	fputs(".SH GLOBAL OPTIONS\nThey may stand before or after the command.\n", f);
	man_options(f, t->globals);
	man_profile_keys(f);
	man_netcfg_keys(f);
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
	      ".PP\nA home, its folders, net.cfg, the journal (run/net.state), images.cfg and the "
	      "profiles, and every folder above them, must belong to root or the user running vmm "
	      "and not be writable by group or others (sticky folders such as /tmp aside); "
	      "otherwise vmm refuses them before reading, naming the file and the fix.\n"
	      ".SH ENVIRONMENT\n.TP\n.B VMM_HOME\nthe home, as \\fB\\-\\-home\\fR\n"
	      ".TP\n.B VMM_IMAGE_MIRROR\nreplaces the image catalog's base URLs (also image_mirror "
	      "in net.cfg); https:// or file://\n"
	      ".TP\n.B VMM_IMAGE_MIRROR_INSECURE\n1: a plain http:// mirror is allowed\n"
	      ".TP\n.B VMM_IMAGE_MAX_SIZE\nthe largest download (default 16G); a larger one is "
	      "stopped and removed\n"
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

/* ---- bash completion ---- */

/* The words of a table: "--iso --image ..." (all: every option; else only those taking a
 * value as the next word, i.e. with a required argument). */
static void bash_words(FILE *f, const struct cmd_option *opts, bool all)
{
	const char *sep = "";
	for (const struct cmd_option *o = opts; o && o->name; o++) {
		if (!all && o->has_arg != 1)
			continue;
		if (o->short_name) {
			fprintf(f, "%s-%c", sep, o->short_name);
			sep = " ";
		}
		fprintf(f, "%s--%s", sep, o->name);
		sep = " ";
	}
}

/* One case per option value: files, folders, fixed words, or nothing. dashes: "--" for options,
 * "" for KEY=VALUE keys (bash splits KEY=VALUE at '='). */
static void bash_values(FILE *f, const char *cmd, const struct cmd_option *opts,
			const char *dashes)
{
	for (const struct cmd_option *o = opts; o && o->name; o++) {
		if (!o->has_arg)
			continue;
		fprintf(f, "\t\t%s:%s%s", cmd, dashes, o->name);
		if (o->short_name && o->has_arg == 1)
			fprintf(f, "|%s:-%c", cmd, o->short_name);
		fputs(") ", f);
		if (o->choices) {
			fputs("_vmm_reply -W \"", f);
			for (const char *c = o->choices; *c; c++)
				fputc(*c == '|' ? ' ' : *c, f);
			fputs("\"", f);
		} else if (o->complete == CMD_COMPLETE_FILE) {
			fputs("_vmm_reply -f", f);
		} else if (o->complete == CMD_COMPLETE_DIR) {
			fputs("_vmm_reply -d", f);
		} else {
			fputs("COMPREPLY=()", f);
		}
		fputs(";;\n", f);
	}
}

static const char bash_head[] =
	"# bash completion for vmm; generated by \"vmm help --bash-completion\" from vmm's\n"
	"# option tables (src/cmd/*.c): do not edit, run \"make completion\".\n"
	"\n"
	"_vmm_reply() # compgen ARGS... for $cur into COMPREPLY, one per line\n"
	"{\n"
	"\t[ \"$1\" = -f ] || [ \"$1\" = -d ] && compopt -o filenames 2>/dev/null\n"
	"\tmapfile -t COMPREPLY < <(compgen \"$@\" -- \"$cur\")\n"
	"}\n"
	"\n";

static const char bash_main[] =
	"_vmm()\n"
	"{\n"
	"\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev= opt= cmd= w i npos=0 home=()\n"
	"\tlocal opts= vopts= subs= keys= args=\n"
	"\t(( COMP_CWORD > 0 )) && prev=${COMP_WORDS[COMP_CWORD-1]}\n"
	"\tlocal vmm=${COMP_WORDS[0]/#\\~/$HOME}\n";

/* Find the command (skipping the globals and --home's value) and, after it, count the
 * positional words; the value being completed is for $opt when it is set. */
static const char bash_scan[] =
	"\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	"\t\tw=${COMP_WORDS[i]}\n"
	"\t\tif [ \"$w\" = = ]; then ((i++)); continue; fi\n"
	"\t\tcase $w in\n"
	"\t\t--home) home=(--home \"${COMP_WORDS[i+1]}\"); ((i++)); continue;;\n"
	"\t\t--home=*) home=(\"$w\"); continue;;\n"
	"\t\tesac\n"
	"\t\tif [ -n \"$cmd\" ] && [[ \" $vopts \" == *\" $w \"* ]]; then ((i++)); continue; fi\n"
	"\t\tcase $w in\n"
	"\t\t-*) ;;\n"
	"\t\t*) if [ -z \"$cmd\" ]; then cmd=$w; _vmm_cmd; else ((npos++)); fi;;\n"
	"\t\tesac\n"
	"\tdone\n"
	"\tif [ \"$cur\" = = ]; then opt=$prev; cur=\n"
	"\telif [ \"$prev\" = = ] && (( COMP_CWORD > 1 )); then opt=${COMP_WORDS[COMP_CWORD-2]}\n"
	"\telif [[ $cur == --*=* ]]; then opt=${cur%%=*}; cur=${cur#*=}\n"
	"\telif [ \"$prev\" = --home ] || { [ -n \"$cmd\" ] && [[ \" $vopts \" == *\" $prev \"* ]]; }; then opt=$prev\n"
	"\tfi\n";

void cmd_help_bash(FILE *f, const struct cmd_table *t)
{
	const struct cmd_entry *cmds = t->cmds;
	size_t n = t->n;
	fputs(bash_head, f);
	/* per command: its options, those taking the next word, subcommands, argument kind */
	fputs("_vmm_cmd() # sets opts, vopts, subs, keys and args (locals of _vmm) for $cmd\n{\n"
	      "\tcase $cmd in\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct cmd_spec *s = cmds[i].spec;
		fprintf(f, "\t%s)\n\t\topts=\"", s->name);
		bash_words(f, cmd_spec_options(s), true);
		fputs("\"\n\t\tvopts=\"", f);
		bash_words(f, cmd_spec_options(s), false);
		fputs("\"\n\t\tsubs=\"", f);
		for (const struct cmd_sub *u = s->subs; u && u->name; u++)
			fprintf(f, "%s%s", u == s->subs ? "" : " ", u->name);
		fputs("\"\n\t\tkeys=\"", f);
		for (const struct cmd_option *k = cmd_spec_keys(s); k && k->name; k++)
			fprintf(f, "%s%s=", k == cmd_spec_keys(s) ? "" : " ", k->name);
		fprintf(f, "\"\n\t\targs=%s;;\n",
			s->complete == CMD_COMPLETE_PROFILE ? "profile"
			: s->complete == CMD_COMPLETE_COMMAND ? "command" : "none");
	}
	fputs("\tesac\n}\n\n", f);
	fputs(bash_main, f);
	fputs("\tlocal globals=\"", f);
	bash_words(f, t->globals, true);
	fputs("\"\n\tlocal commands=\"", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? " " : "", cmds[i].spec->name);
	fputs("\"\n", f);
	fputs(bash_scan, f);
	fputs("\tif [ -n \"$opt\" ]; then\n\t\tcase $cmd:$opt in\n", f);
	fputs("\t\t*:--home) _vmm_reply -d;;\n", f);
	for (size_t i = 0; i < n; i++) {
		bash_values(f, cmds[i].spec->name, cmd_spec_options(cmds[i].spec), "--");
		bash_values(f, cmds[i].spec->name, cmd_spec_keys(cmds[i].spec), "");
	}
	fputs("\t\t*) COMPREPLY=();;\n\t\tesac\n\t\treturn\n\tfi\n", f);
	fputs("\tif [[ $cur == -* ]]; then\n"
	      "\t\t_vmm_reply -W \"$opts $globals\"\n"
	      "\telif [ -z \"$cmd\" ]; then\n"
	      "\t\t_vmm_reply -W \"$commands\"\n"
	      "\telif [ -n \"$subs\" ]; then\n"
	      "\t\t(( npos == 0 )) && _vmm_reply -W \"$subs\"\n"
	      "\telif [ \"$args\" = command ]; then\n"
	      "\t\t(( npos == 0 )) && _vmm_reply -W \"$commands\"\n"
	      "\telif [ \"$args\" = profile ] && (( npos == 0 )); then\n"
	      "\t\t_vmm_reply -W \"$(\"$vmm\" \"${home[@]}\" list --names 2>/dev/null)\"\n"
	      "\telif [ -n \"$keys\" ]; then\n"
	      "\t\tcompopt -o nospace 2>/dev/null; _vmm_reply -W \"$keys\"\n"
	      "\tfi\n"
	      "}\n"
	      "complete -F _vmm vmm\n",
	      f);
}
