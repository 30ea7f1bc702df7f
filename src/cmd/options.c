// SPDX-License-Identifier: MIT
/* cmd/options.c: the option-table parser: getopt_long's array and short options from the table */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "vmm/cmd/cmd.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

#define MAX_OPTS CMD_OPTIONS_MAX
#define LONG_BASE 1000 /* getopt_long returns LONG_BASE + index for a long option */

const struct cmd_option *cmd_option_find(const struct cmd_option *opts, const char *name,
					 size_t len, char short_name)
{
	for (const struct cmd_option *o = opts; o && o->name; o++) {
		if (name ? strlen(o->name) == len && !strncmp(o->name, name, len)
			 : short_name && o->short_name == short_name)
			return o;
	}
	return NULL;
}

static int apply_choice(const struct cmd_option *o, const char *value, int *out)
{
	size_t vlen = strlen(value);
	int i = 0;
	for (const char *w = o->choices; *w; i++) {
		size_t n = strcspn(w, "|");
		if (n == vlen && !strncmp(w, value, n)) {
			*out = i;
			return 0;
		}
		w += n + (w[n] == '|');
	}
	return vmm_invalid("--%s %s: want one of %s", o->name, value, o->choices);
}

int cmd_option_apply(const struct cmd_option *o, const char *value, void *args)
{
	char *field = (char *)args + o->off;
	char what[64];
	snprintf(what, sizeof(what), "--%s", o->name);
	switch (o->kind) {
	case CMD_OPT_FLAG:
		*(bool *)field = true;
		return 0;
	case CMD_OPT_SET:
		*(int *)field = (int)o->num;
		return 0;
	case CMD_OPT_COUNT:
		*(int *)field = *(int *)field < 0 ? 1 : *(int *)field + 1;
		return 0;
	case CMD_OPT_STRING:
		if (o->complete != CMD_COMPLETE_NONE && !*value)
			return vmm_invalid("%s: empty %s", what, o->complete == CMD_COMPLETE_DIR
									? "folder name" : "file name");
		/* a bare optional-value option stores its .choices ("" unless the table says) */
		*(const char **)field = value ? value : o->choices ? o->choices : "";
		return 0;
	case CMD_OPT_UINT:
		if (!value) {
			*(unsigned long *)field = (unsigned long)o->num;
			return 0;
		}
		return util_parse_uint(what, value, o->min, o->max, (unsigned long *)field);
	case CMD_OPT_CHOICE:
		return apply_choice(o, value, (int *)field);
	case CMD_OPT_KEY: {
		struct cmd_kvs *kvs = (struct cmd_kvs *)field;
		if (kvs->n == CMD_KVS_MAX)
			return vmm_invalid("%s: too many options", what);
		kvs->kv[kvs->n].key = o->key;
		kvs->kv[kvs->n++].value = value;
		return 0;
	}
	case CMD_OPT_END:
		break;
	}
	return vmm_fail("%s: bad option table entry", what);
}

/* The option as the user wrote it, for messages: "--size" of "--size=1", "-f". */
static void spelled(char *buf, size_t len, const char *arg, int short_opt)
{
	if (short_opt)
		snprintf(buf, len, "-%c", short_opt);
	else
		snprintf(buf, len, "%.*s", (int)strcspn(arg, "="), arg);
}

int cmd_parse(const struct cmd_spec *s, int argc, char **argv, void *args)
{
	struct option lo[MAX_OPTS + 1];
	char shorts[2 * MAX_OPTS + 2] = ":";
	size_t n = 0, ns = 1;
	const struct cmd_option *opts = cmd_spec_options(s);
	for (const struct cmd_option *o = opts; o && o->name; o++, n++) {
		if (n == MAX_OPTS)
			return cmd_error(VMM_EFAIL, "%s: too many options in its table", s->name);
		lo[n] = (struct option){ o->name, o->has_arg, NULL, LONG_BASE + (int)n };
		if (o->short_name) {
			shorts[ns++] = o->short_name;
			if (o->has_arg == required_argument)
				shorts[ns++] = ':';
		}
	}
	lo[n] = (struct option){ 0 };
	shorts[ns] = '\0';
	optind = 0;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		char opt[64];
		if (c == ':' || c == '?') {
			/* optopt is the letter of a bad short option, 0 (or our value) for a long one */
			int letter = optopt > 0 && optopt < LONG_BASE ? optopt : 0;
			spelled(opt, sizeof(opt), argv[optind - 1], letter);
			if (c == ':')
				return cmd_usage_error(s->name, "%s needs a value", opt);
			if (optopt >= LONG_BASE) /* --flag=VALUE */
				return cmd_usage_error(s->name, "%s takes no value", opt);
			return cmd_usage_error(s->name, "unknown option \"%s\"", opt);
		}
		const struct cmd_option *o = c >= LONG_BASE ? &opts[c - LONG_BASE]
						: cmd_option_find(opts, NULL, 0, (char)c);
		if (!o || cmd_option_apply(o, optarg, args) < 0)
			return o ? cmd_report() : cmd_usage_error(s->name, "unknown option");
	}
	return 0;
}
