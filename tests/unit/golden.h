// SPDX-License-Identifier: MIT
/* golden.h: compare a unit test's output with a golden file in tests/unit/golden/ (header only) */
#ifndef VMM_TEST_GOLDEN_H
#define VMM_TEST_GOLDEN_H

#include <stdlib.h>
#include <string.h>

#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

/* Golden files live in tests/unit/golden/ ($SRCDIR, else relative to this file's path at build
 * time). VMM_UPDATE_GOLDEN=1 (that value only) rewrites them from the output, and the test then
 * fails on purpose: a run that wrote its own expectation proved nothing. Review the new files
 * with git diff and run again without the variable. */
static inline char *golden_path(const char *name)
{
	const char *src = getenv("SRCDIR");
	const char *self = __FILE__;
	const char *slash = strrchr(self, '/');

	if (src && *src)
		return util_fmt("%s/tests/unit/golden/%s", src, name);
	if (slash)
		return util_fmt("%.*s/golden/%s", (int)(slash - self), self, name);
	return util_fmt("golden/%s", name);
}

/* The len bytes at got must be the golden file's content to the byte; what names them in the
 * failure message ("the output", "the generated XML"). Needs cmocka.h included before. */
static inline void golden_check(const char *name, const char *got, size_t len, const char *what)
{
	char *path = golden_path(name);
	size_t wlen = 0;
	const char *update = getenv("VMM_UPDATE_GOLDEN");
	char *want;

	if (update && strcmp(update, "1") == 0) {
		if (util_write_file(path, got, len, 0644) < 0)
			fail_msg("%s: %s", path, vmm_errmsg());
		fail_msg("%s rewritten from %s (VMM_UPDATE_GOLDEN=1): not a pass; review it with "
			 "git diff, then run again without VMM_UPDATE_GOLDEN", path, what);
	}
	want = util_read_file(path, &wlen);
	if (!want)
		fail_msg("%s: %s", path, vmm_errmsg());
	if (wlen != len || memcmp(want, got, len) != 0)
		fail_msg("%s differs from %s (%zu bytes, golden %zu):\n%s", path, what, len, wlen, got);
	free(want);
	free(path);
}

#endif
