/* SPDX-License-Identifier: MIT */
/* cmd.h: what every command handler gets, and the handlers the table in src/main.c lists */
#ifndef VMM_CMD_H
#define VMM_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "vmm/config/profile.h"
#include "vmm/config/store.h"

struct vmm_ctx {
	const char *home_dir; /* --home, or NULL */
	bool json;            /* --json */
	bool dry_run;         /* --dry-run */
	int verbose;          /* -1 with -q, 0 normal, 1+ with -v */
	bool help;            /* -h, --help anywhere: show the command's help */
	struct vmm_home home; /* opened by main before the handler runs */
};

/*
 * A handler gets argv with argv[0] = the command name ("net" for "vmm net up": argv[1] = "up"),
 * options still in place: it parses them with cmd_parse() and its option table. It returns the
 * exit code: 0, VMM_EFAIL (1) or VMM_EINVAL (2). It prints errors with cmd_error() and co only.
 */
typedef int (*vmm_cmd_fn)(struct vmm_ctx *ctx, int argc, char **argv);

/* ---- option tables (src/cmd/options.c) ----
 *
 * Each command lists its options once, in a table of OPT_* entries (kvmtool's style). The parser
 * (getopt_long's array and short-option string are built from it), `vmm help CMD`, the man page
 * and the bash completion all come from that table. An entry stores what it parsed in the
 * handler's own struct (the field named in the entry), so adding an option is one line:
 *
 *	struct vnc_args { const char *png; unsigned long width; bool watch; };
 *	static const struct cmd_option vnc_options[] = {
 *		OPT_FILE(0, "png", struct vnc_args, png, "FILE", "write the screen as PNG"),
 *		OPT_UINT(0, "width", struct vnc_args, width, 1, 10000, "COLS", "draw COLS wide"),
 *		OPT_FLAG(0, "watch", struct vnc_args, watch, "keep redrawing"),
 *		OPT_END,
 *	};
 *
 * An entry whose help is NULL is an alias: parsed and completed, and shown in help as
 * "(also --NAME)" after the entry with the same field.
 */
enum cmd_opt_kind {
	CMD_OPT_END,
	CMD_OPT_FLAG,   /* bool field = true */
	CMD_OPT_SET,    /* int field = .num (e.g. --ascii sets the colour choice to never) */
	CMD_OPT_COUNT,  /* int field + 1 (from 1 when negative): -v -v */
	CMD_OPT_STRING, /* const char * field = the value */
	CMD_OPT_UINT,   /* unsigned long field = the value, within [.min, .max] */
	CMD_OPT_CHOICE, /* int field = index of the value among .choices ("auto|always|never") */
	CMD_OPT_KEY,    /* struct cmd_kvs field: appends {.key, value} (profile keys, as `vmm set`) */
};

/* What the bash completion offers for an option's value or a command's arguments. */
enum cmd_complete {
	CMD_COMPLETE_NONE,    /* nothing (a number, an address...) */
	CMD_COMPLETE_FILE,    /* file names */
	CMD_COMPLETE_DIR,     /* folder names */
	CMD_COMPLETE_PROFILE, /* the names of existing guests */
	CMD_COMPLETE_COMMAND, /* vmm's command names */
};

struct cmd_option {
	const char *name;       /* long name without "--"; NULL ends the table */
	char short_name;        /* 0: none */
	enum cmd_opt_kind kind;
	int has_arg;            /* getopt's no_argument, required_argument, optional_argument */
	const char *metavar;    /* "FILE" (NULL for options without a value) */
	const char *help;       /* one line; NULL: an alias (see above) */
	size_t off;             /* offset of the field in the handler's struct */
	long num;               /* SET: the value stored; UINT with optional value: the default */
	unsigned long min, max; /* UINT: the accepted range */
	const char *choices;    /* CHOICE: the words, separated by '|'; KEY: what completion offers */
	const char *key;        /* KEY: the profile key */
	enum cmd_complete complete;
};

/* At most this many entries in one option table (cmd_parse's limit). */
#define CMD_OPTIONS_MAX 64

/* Up to CMD_KVS_MAX KEY=VALUE pairs gathered from OPT_KEY options, in command-line order. */
#define CMD_KVS_MAX 64
struct cmd_kvs {
	struct profile_kv kv[CMD_KVS_MAX];
	size_t n;
};

#define CMD_OPT_(s, l, k, ha, T, f, meta, h, ...)                                            \
	{ .name = l, .short_name = s, .kind = k, .has_arg = ha, .metavar = meta, .help = h,  \
	  .off = offsetof(T, f), __VA_ARGS__ }
#define OPT_FLAG(s, l, T, f, h) CMD_OPT_(s, l, CMD_OPT_FLAG, 0, T, f, NULL, h, .num = 1)
#define OPT_SET(s, l, T, f, v, h) CMD_OPT_(s, l, CMD_OPT_SET, 0, T, f, NULL, h, .num = v)
#define OPT_COUNT(s, l, T, f, h) CMD_OPT_(s, l, CMD_OPT_COUNT, 0, T, f, NULL, h, .num = 1)
#define OPT_STRING(s, l, T, f, meta, h) CMD_OPT_(s, l, CMD_OPT_STRING, 1, T, f, meta, h, .num = 0)
#define OPT_FILE(s, l, T, f, meta, h)                                                        \
	CMD_OPT_(s, l, CMD_OPT_STRING, 1, T, f, meta, h, .complete = CMD_COMPLETE_FILE)
#define OPT_DIR(s, l, T, f, meta, h)                                                         \
	CMD_OPT_(s, l, CMD_OPT_STRING, 1, T, f, meta, h, .complete = CMD_COMPLETE_DIR)
#define OPT_UINT(s, l, T, f, lo, hi, meta, h)                                                \
	CMD_OPT_(s, l, CMD_OPT_UINT, 1, T, f, meta, h, .min = lo, .max = hi)
/* --wait[=SECS]: a bare --wait stores dflt */
#define OPT_UINT_OPTIONAL(s, l, T, f, lo, hi, dflt, meta, h)                                 \
	CMD_OPT_(s, l, CMD_OPT_UINT, 2, T, f, meta, h, .min = lo, .max = hi, .num = dflt)
/* --wait[=HOW]: a bare --wait stores "" (the field stays NULL when the option is absent) */
#define OPT_STRING_OPTIONAL(s, l, T, f, meta, h) CMD_OPT_(s, l, CMD_OPT_STRING, 2, T, f, meta, h, .num = 0)
#define OPT_CHOICE(s, l, T, f, words, meta, h)                                               \
	CMD_OPT_(s, l, CMD_OPT_CHOICE, 1, T, f, meta, h, .choices = words)
#define OPT_KEY(s, l, T, f, k, meta, h) CMD_OPT_(s, l, CMD_OPT_KEY, 1, T, f, meta, h, .key = k)
/* a profile key whose values the completion offers (profile_set_key checks them) */
#define OPT_KEY_CHOICE(s, l, T, f, k, words, meta, h)                                        \
	CMD_OPT_(s, l, CMD_OPT_KEY, 1, T, f, meta, h, .key = k, .choices = words)
#define OPT_KEY_FILE(s, l, T, f, k, meta, h)                                                 \
	CMD_OPT_(s, l, CMD_OPT_KEY, 1, T, f, meta, h, .key = k, .complete = CMD_COMPLETE_FILE)
#define OPT_END { .name = NULL }

/* A subcommand ("net up"): its name and one help line. */
struct cmd_sub {
	const char *name, *help;
};

/* Everything about one command that is not code: the source of its help, man page entry and
 * completion. */
struct cmd_spec {
	const char *name;
	const char *args;                 /* the usage after the name: "NAME", "up|down|status" */
	const char *summary;              /* one line, no full stop */
	const struct cmd_option *options; /* NULL or ends with OPT_END */
	const struct cmd_sub *subs;       /* NULL or ends with { NULL } */
	const char *notes;                /* text after the options, lines ending in \n */
	enum cmd_complete complete;       /* what its positional arguments are */
	/* Tables made at run time from config's key table (src/cmd/keys.c); NULL for most
	 * commands. options_fn: used instead of .options (create's --ram, --ip, ...). keys_fn: the
	 * KEY=VALUE arguments after the positional one (set's keys), CMD_OPT_KEY entries whose
	 * has_arg is optional_argument when an empty value is allowed (it clears the key). */
	const struct cmd_option *(*options_fn)(void);
	const struct cmd_option *(*keys_fn)(void);
};

/* The spec's options and its KEY=VALUE keys (NULL: none), whichever way the spec gives them. */
const struct cmd_option *cmd_spec_options(const struct cmd_spec *s);
const struct cmd_option *cmd_spec_keys(const struct cmd_spec *s);
/* Fill out (cap entries, ending with OPT_END) with fixed's entries (NULL: none), then one
 * CMD_OPT_KEY entry per profile key and one per other spelling (help NULL: an alias), storing
 * into the struct cmd_kvs at kvs_off: create's options (create: its --NAME) or set's keys (else:
 * the set name). */
void cmd_keys_table(struct cmd_option *out, size_t cap, const struct cmd_option *fixed,
		    size_t kvs_off, bool create);

/* Parse argv[1..] against s->options into *args (struct the table's fields belong to). Stops
 * with optind at the first argument left (getopt_long permutes them to the end). Returns 0, or
 * the exit code after printing the one-line error:
 *   vmm: CMD: unknown option "--x" (see "vmm help CMD")
 *   vmm: CMD: --x needs a value (see "vmm help CMD") */
int cmd_parse(const struct cmd_spec *s, int argc, char **argv, void *args);
/* Apply one option to *args (value NULL for a bare flag); 0, or -1 with the error slot set.
 * Shared with the global options in src/main.c. */
int cmd_option_apply(const struct cmd_option *o, const char *value, void *args);
/* The option of a table by long name (len chars of it) or short name (name NULL); NULL if none. */
const struct cmd_option *cmd_option_find(const struct cmd_option *opts, const char *name,
					 size_t len, char short_name);

/* ---- the command table (src/main.c) and what is generated from it (src/cmd/help.c) ---- */
enum {
	CMD_HOME = 1 << 0, /* opens the home before running */
};

struct cmd_entry {
	const struct cmd_spec *spec;
	vmm_cmd_fn fn;
	unsigned flags;
};

/* What the help, the man page and the completion are generated from: src/main.c's tables. */
struct cmd_table {
	const struct cmd_entry *cmds;
	size_t n;
	const struct cmd_option *globals; /* --home, --json, ...: stored in struct vmm_ctx */
};

/* `vmm help CMD`: usage, summary, options, notes. */
void cmd_help_print(FILE *f, const struct cmd_spec *s);
/* `vmm help`: the commands and global options. */
void cmd_help_overview(FILE *f, const struct cmd_table *t);
/* `vmm help --man`: the man page (troff). */
void cmd_help_man(FILE *f, const struct cmd_table *t);
/* `vmm help --bash-completion`: the bash completion script. */
void cmd_help_bash(FILE *f, const struct cmd_table *t);

/* Print "vmm: MSG" for the error slot and return its code (1 when unset). */
int cmd_report(void);
/* Print "vmm: FMT..." and return code. */
int cmd_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print "vmm: CMD: MSG (see "vmm help CMD")" and return 2. */
int cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Informational line on stderr unless -q ("vmm: " prefix not added). */
void cmd_note(const struct vmm_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Flush stdout and check for write errors; returns 0 or 1. main calls it once, after every
 * command: handlers do not. */
int cmd_flush(void);

/* Shared by handlers (src/cmd/common.c). After the options: exactly one NAME must be left
 * (argv[optind]), a valid guest name: *name points at it. Returns 0, or the exit code after
 * printing why ("vmm: CMD: needs exactly one NAME"). */
int cmd_one_name(const char *cmd, int argc, char **argv, const char **name);
/* cmd_one_name, then load its profile into *p (nothing to free when it fails). */
int cmd_load_one(struct vmm_ctx *ctx, const char *cmd, int argc, char **argv,
		 struct vmm_profile *p);
/* Where a guest's screen is, for people: "none", "unix:PATH" (the private socket), "socket"
 * (a socket vmm cannot name: a remote libvirt host's) or "HOST:PORT". */
struct vmm_status;
void cmd_vnc_where(const struct vmm_profile *p, const struct vmm_status *st, char *buf,
		   size_t len);
/* The cached, verified copy of image NAME (pulled first when needed, with a progress bar on a
 * terminal); *user (may be NULL) gets its default user. 0, or -1 with the error slot set. */
int cmd_image_fetch(struct vmm_ctx *ctx, const char *name, char **path, char **user);

/* Each handler and its spec (cmd_NAME_spec) live in its file; main.c's table lists them. */
#define VMM_CMD(n)                                                                   \
	int cmd_##n(struct vmm_ctx *ctx, int argc, char **argv);                     \
	extern const struct cmd_spec cmd_##n##_spec

VMM_CMD(image);
VMM_CMD(create);
VMM_CMD(list);
VMM_CMD(show);
VMM_CMD(set);
VMM_CMD(delete);
VMM_CMD(forward);
VMM_CMD(net);
VMM_CMD(seed);
VMM_CMD(start);
VMM_CMD(stop);
VMM_CMD(status);
VMM_CMD(console);
VMM_CMD(vnc);
VMM_CMD(autostart);
VMM_CMD(ssh);

#endif
