// SPDX-License-Identifier: MIT
/* fuzz_profile.c: libFuzzer target for the profile and net.cfg parsers, formatters and validators */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/profile.h"
#include "vmm/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	struct vmm_netcfg n;
	if (netcfg_parse(text, "net.cfg", &n) == 0) {
		char *again = netcfg_format(&n);
		struct vmm_netcfg m;
		/* what vmm writes, vmm reads back the same */
		if (netcfg_parse(again, "again", &m) != 0)
			abort();
		netcfg_free(&m);
		free(again);
	}
	netcfg_free(&n);
	netcfg_defaults(&n);

	struct vmm_profile p;
	if (profile_parse(text, "fuzz.cfg", "fuzz", &p) == 0) {
		(void)profile_validate(&p, &n);
		(void)profile_check_conflicts(&p, &p, 1);
		char *out = profile_format(&p);
		struct vmm_profile q;
		if (profile_parse(out, "again", "fuzz", &q) != 0)
			abort();
		char *out2 = profile_format(&q);
		if (strcmp(out, out2) != 0)
			abort();
		free(out2);
		free(out);
		profile_free(&q);
		/* KEY=VALUE as vmm set takes it */
		char *eq = memchr(text, '=', size);
		if (eq && (size_t)(eq - text) < 32) {
			char key[32];
			memcpy(key, text, (size_t)(eq - text));
			key[eq - text] = '\0';
			if (!strchr(key, '/')) /* keep the fuzzer off real files */
				(void)profile_set_key(&p, key, eq + 1);
		}
	}
	profile_free(&p);

	uint64_t b;
	uint32_t a;
	unsigned pre;
	uint8_t mac[6];
	(void)util_parse_size("size", text, &b);
	(void)util_parse_cidr("address", text, &a, &pre);
	(void)util_parse_ipv4("address", text, &a);
	(void)util_parse_mac("mac", text, mac);
	(void)profile_check_name(text);
	struct vmm_forward f;
	if (profile_parse_forward(text, &f) == 0) {
		/* the canonical text parses back to the same forward */
		char spec[PROFILE_FORWARD_LEN];
		struct vmm_forward g;
		profile_format_forward(&f, spec);
		if (profile_parse_forward(spec, &g) != 0 || memcmp(&f, &g, sizeof(f)))
			abort();
	}
	netcfg_free(&n);
	free(text);
	return 0;
}
