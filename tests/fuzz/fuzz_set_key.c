// SPDX-License-Identifier: MIT
/* fuzz_set_key.c: libFuzzer target for profile_set_key (`vmm set NAME KEY=VALUE...`) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/config/profile.h"
#include "vmm/config/validate.h"

#include "fuzz.h"

static const char base_text[] =
	"memory = 2048;\ncpus = 1;\ndisk = { path = \"ubuntu.qcow2\"; size = \"40G\"; };\n"
	"net = { mac = \"52:54:00:7d:62:12\"; address = \"192.168.166.100/24\"; tap = \"vmm-ubuntu\"; };\n"
	"vnc = { display = 19; listen = \"127.0.0.1\"; };\n";

/* Keys whose value names a file vmm opens (the table's PROFILE_KEY_FILE): only plain names (no
 * '/'), so that the fuzzer stays off devices and FIFOs (an open() of one could block). */
static int names_file(const char *key)
{
	const struct profile_key *k = profile_key_find(key);
	return k && (k->flags & PROFILE_KEY_FILE);
}

/* The input: KEY=VALUE lines, applied in order to one profile like `vmm set` does. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	if (!text)
		return 0;

	struct vmm_profile p;
	if (profile_parse(base_text, "base.cfg", "ubuntu", &p) != 0)
		abort();
	struct vmm_netcfg n;
	netcfg_defaults(&n);
	char *line = text, *next;
	for (; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *value = strchr(line, '=');
		if (!value || value == line)
			continue;
		*value++ = '\0';
		if (names_file(line) && strchr(value, '/'))
			continue;
		char *before = profile_format(&p);
		if (profile_set_key(&p, line, value) < 0) {
			/* a refused KEY=VALUE changes nothing */
			char *after = profile_format(&p);
			if (strcmp(before, after) != 0)
				abort();
			free(after);
		}
		free(before);
	}
	/* a profile `vmm set` would save (it validates first) reads back to the same text */
	if (profile_validate(&p, &n) == 0) {
		fuzz_round_trip(&p, "ubuntu");
	}
	profile_free(&p);
	netcfg_free(&n);
	free(text);
	return 0;
}
