// SPDX-License-Identifier: MIT
/* cmd/keys.c: the profile keys as command-line entries: create's options and set's KEY=VALUE */
#include <getopt.h>
#include <stdlib.h>

#include "vmm/cmd/cmd.h"
#include "vmm/config/profile.h"

const struct cmd_option *cmd_spec_options(const struct cmd_spec *s)
{
	return s->options_fn ? s->options_fn() : s->options;
}

const struct cmd_option *cmd_spec_keys(const struct cmd_spec *s)
{
	return s->keys_fn ? s->keys_fn() : NULL;
}

/* One entry for key k spelled name (help NULL: an alias of the entry before). */
static struct cmd_option key_entry(const struct profile_key *k, const char *name,
				   const char *help, size_t kvs_off, bool create)
{
	bool empty_ok = !create && (k->flags & PROFILE_KEY_CLEAR);
	return (struct cmd_option){
		.name = name,
		.kind = CMD_OPT_KEY,
		.has_arg = empty_ok ? optional_argument : required_argument,
		.metavar = k->metavar,
		.help = help,
		.off = kvs_off,
		.choices = k->choices,
		.key = k->set,
		.complete = (k->flags & PROFILE_KEY_FILE) ? CMD_COMPLETE_FILE : CMD_COMPLETE_NONE,
	};
}

/* out[*n++] = o; the caller's array too small is a mistake in the build, not an input error */
static void put(struct cmd_option *out, size_t cap, size_t *n, struct cmd_option o)
{
	if (*n + 1 >= cap) /* one more for OPT_END */
		abort();
	out[(*n)++] = o;
}

void cmd_keys_table(struct cmd_option *out, size_t cap, const struct cmd_option *fixed,
		    size_t kvs_off, bool create)
{
	size_t n = 0;
	for (const struct cmd_option *o = fixed; o && o->name; o++)
		put(out, cap, &n, *o);
	for (size_t i = 0; i < profile_n_keys; i++) {
		const struct profile_key *k = &profile_keys[i];
		const char *name = create ? k->create : profile_key_settable(k) ? k->set : NULL;
		const char *alias = create ? k->create_alias : k->set_alias;
		if (!name)
			continue;
		put(out, cap, &n, key_entry(k, name, k->help, kvs_off, create));
		if (alias)
			put(out, cap, &n, key_entry(k, alias, NULL, kvs_off, create));
	}
	out[n] = (struct cmd_option)OPT_END;
}
