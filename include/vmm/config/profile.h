/* SPDX-License-Identifier: MIT */
/* profile.h: guest profiles as libconfig files: parse, format, set, validate, allocate */
#ifndef VMM_PROFILE_H
#define VMM_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/config/cfgtext.h"
#include "vmm/config/netcfg.h"
#include "vmm/config/types.h"

/* The functions below live in src/config/profile.c (the key table: parse, format, set),
 * validate.c, alloc.c and forward_spec.c. */

void profile_init(struct vmm_profile *p);
void profile_free(struct vmm_profile *p);
/* Parse profile text (the keys of keys.h's table). name: the profile's name (from its file name).
 * Unknown keys are refused, syntax errors reported as FILE:LINE: MESSAGE. Values a hand-written
 * profile leaves out get what create would have chosen (disk path, MAC, tap, VNC listen). */
int profile_parse(const char *text, const char *filename, const char *name, struct vmm_profile *p);
int profile_load(const char *path, const char *name, struct vmm_profile *p);
/* libconfig text for the profile (malloc'd): its keys in table order. */
char *profile_format(const struct vmm_profile *p);

/* Set one KEY=VALUE as `vmm set` does (the set names of keys.h's table: memory, cpus, iso, mac,
 * address/ip, vnc, ...): checked first, nothing changes on error. */
struct profile_kv {
	const char *key, *value;
};
int profile_set_key(struct vmm_profile *p, const char *key, const char *value);

/*
 * A profile key is one row of profile_keys[] (src/config/profile_keys.c). The row drives the
 * reader (profile_parse), the writer (profile_format, in table order), `vmm set KEY=VALUE`
 * (profile_set_key), `vmm create`'s option for it, `vmm help set`, the man page and the bash
 * completion (src/cmd/keys.c, src/cmd/help.c). Adding a key is one row here, plus its QEMU argv
 * and libvirt XML in backend/.
 */
enum profile_key_flag {
	PROFILE_KEY_OPTIONAL = 1 << 0,   /* written only when set (cfg_field_set) */
	PROFILE_KEY_KEEP_EMPTY = 1 << 1, /* LIST: an empty list is written too (dns = []) */
	PROFILE_KEY_CLEAR = 1 << 2,      /* `vmm set KEY=` (empty) clears it */
	PROFILE_KEY_FILE = 1 << 3,       /* names a file vmm reads: set checks it is readable (a
					  * STRING's path: create stores it absolute); completion
					  * offers file names */
	PROFILE_KEY_FIXED = 1 << 4,      /* set refuses it: fixed at create */
	PROFILE_KEY_ADD = 1 << 5,        /* LIST: set adds one value (else: the whole list) */
};

struct profile_key {
	const char *group;      /* libconfig group ("net" for net.mac), NULL at the top level */
	const char *name;       /* the key in the file (inside its group) */
	struct cfg_field field; /* where its value lives in struct vmm_profile */
	unsigned flags;         /* PROFILE_KEY_* */
	const char *comment;    /* written after the value: "  # MiB" */
	/* Written at all (NULL: always, or when set with PROFILE_KEY_OPTIONAL)? */
	bool (*present)(const struct vmm_profile *p);
	/* Reading and writing keys with structure (NULL: by the field's type). */
	int (*read)(const struct cfg_reader *r, const config_setting_t *s, struct vmm_profile *p);
	void (*write)(struct cfg_buf *b, const struct vmm_profile *p);
	/* `vmm set`: its name and another accepted spelling; NULL: set does not know it. */
	const char *set, *set_alias;
	const char *what;       /* the value in messages ("vnc listen"); NULL: the set name */
	/* Checks a value before set stores it (what, value): 0 or -1 with vmm_invalid. */
	int (*check)(const char *what, const char *value);
	/* Sets a value its own way (key: as typed); NULL: by the field's type, after check. */
	int (*set_fn)(struct vmm_profile *p, const char *key, const char *value);
	/* `vmm create --NAME` and another spelling; NULL: not a create option. */
	const char *create, *create_alias;
	const char *metavar;    /* the value in help: "MIB", ":N|none" */
	const char *choices;    /* accepted words, '|' separated (checked, completed), or NULL */
	const char *help;       /* one line: `vmm help set`, `vmm help create`, the man page */
};

extern const struct profile_key profile_keys[];
extern const size_t profile_n_keys;

/* The row `vmm set` knows by this name (set or set_alias), or NULL. */
const struct profile_key *profile_key_find(const char *set_name);
/* May `vmm set` change it (a set name, not fixed at create)? */
bool profile_key_settable(const struct profile_key *k);
/* The value's name in messages. */
const char *profile_key_what(const struct profile_key *k);
/* Is value one of k->choices? 0, or vmm_invalid `WHAT "VALUE": use a, b or c`. */
int profile_key_choice(const struct profile_key *k, const char *value);

#endif
