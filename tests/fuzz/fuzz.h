/* SPDX-License-Identifier: MIT */
/* fuzz.h: what the libFuzzer targets share: the input as a C string, the profile round trip */
#ifndef VMM_FUZZ_H
#define VMM_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/config/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (malloc'd), NULL when out of memory. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return NULL;
	memcpy(text, data, size);
	text[size] = '\0';
	return text;
}

/* What vmm writes for p, vmm reads back to the same text; aborts otherwise. */
static inline void fuzz_round_trip(const struct vmm_profile *p, const char *name)
{
	char *out = profile_format(p);
	struct vmm_profile q;
	if (profile_parse(out, "again", name, &q) != 0)
		abort();
	char *out2 = profile_format(&q);
	if (strcmp(out, out2) != 0)
		abort();
	free(out2);
	free(out);
	profile_free(&q);
}

#endif
