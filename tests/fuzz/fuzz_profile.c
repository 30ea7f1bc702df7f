// SPDX-License-Identifier: MIT
/* fuzz_profile.c: libFuzzer target for the profile parser, formatter and validators */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vmm/config/profile.h"
#include "vmm/config/forward_spec.h"
#include "vmm/config/validate.h"
#include "vmm/sys/util.h"

#include "fuzz.h"

/* Another guest, parsed once: the fuzzed profile is checked for conflicts against it. */
static const char other_text[] =
	"memory = 512;\ncpus = 1;\ndisk = { path = \"other.qcow2\"; size = \"1G\"; };\n"
	"net = { mac = \"52:54:00:12:34:56\"; address = \"192.168.166.100/24\"; tap = \"vmm-other\"; };\n"
	"vnc = { display = 29; listen = \"127.0.0.1\"; };\n";

/* The rule profile_check_conflicts implements, written out independently. */
static int expect_conflict(const struct vmm_profile *p, const struct vmm_profile *o)
{
	uint32_t a, b;
	unsigned pre;

	if (!strcmp(p->name, o->name))
		return 0;
	if (!strcasecmp(p->mac, o->mac) || p->vnc_display == o->vnc_display ||
	    (p->tap[0] && !strcmp(p->tap, o->tap)))
		return 1;
	return p->address && o->address && util_parse_cidr("a", p->address, &a, &pre) == 0 &&
	       util_parse_cidr("b", o->address, &b, &pre) == 0 && a == b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vmm_profile other;
	static int have_other;
	if (!have_other) {
		if (profile_parse(other_text, "other.cfg", "other", &other) != 0)
			abort();
		have_other = 1;
	}
	char *text = fuzz_text(data, size);
	if (!text)
		return 0;

	struct vmm_netcfg n;
	netcfg_defaults(&n);
	struct vmm_profile p;
	if (profile_parse(text, "fuzz.cfg", "fuzz", &p) == 0) {
		(void)profile_validate(&p, &n);
		/* a conflict is reported exactly when the rule says so */
		int c = profile_check_conflicts(&p, &other, 1) != 0;
		if (c != expect_conflict(&p, &other))
			abort();
		/* a profile never conflicts with itself (same name) */
		if (profile_check_conflicts(&p, &p, 1) != 0)
			abort();
		/* what vmm writes, vmm reads back to the same text */
		fuzz_round_trip(&p, "fuzz");
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
		if (profile_parse_forward(spec, &g) != 0 || f.proto != g.proto ||
		    f.host_port != g.host_port || f.guest_port != g.guest_port || f.addr != g.addr ||
		    f.force != g.force)
			abort();
	}
	netcfg_free(&n);
	free(text);
	return 0;
}
