// SPDX-License-Identifier: MIT
/* golden.h: compare a unit test's output with a golden file in tests/unit/golden/ (header only) */
#ifndef VMM_TEST_GOLDEN_H
#define VMM_TEST_GOLDEN_H

#include <stdlib.h>
#include <string.h>

#include "vmm/error.h"
#include "vmm/util.h"

/* Golden files live in tests/unit/golden/ ($SRCDIR, else relative to this file's path at build
 * time). VMM_UPDATE_GOLDEN=1 rewrites them from the output (then review them with git diff). */
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
	char *want;

	if (getenv("VMM_UPDATE_GOLDEN")) {
		assert_int_equal(util_write_file(path, got, len, 0644), 0);
		free(path);
		return;
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
