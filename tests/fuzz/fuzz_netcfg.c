// SPDX-License-Identifier: MIT
/* fuzz_netcfg.c: libFuzzer target for the net.cfg parser and formatter */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/config/profile.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	if (!text)
		return 0;

	struct vmm_netcfg n;
	if (netcfg_parse(text, "net.cfg", &n) == 0) {
		if (n.prefix > 32)
			abort();
		/* what vmm writes, vmm reads back to the same values and text */
		char *again = netcfg_format(&n);
		struct vmm_netcfg m;
		if (netcfg_parse(again, "again", &m) != 0)
			abort();
		if (m.addr != n.addr || m.prefix != n.prefix || m.nat != n.nat ||
		    m.n_dns != n.n_dns || strcmp(m.bridge, n.bridge) != 0)
			abort();
		char *third = netcfg_format(&m);
		if (strcmp(again, third) != 0)
			abort();
		free(third);
		netcfg_free(&m);
		free(again);
	}
	netcfg_free(&n);
	free(text);
	return 0;
}
