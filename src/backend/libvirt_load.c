// SPDX-License-Identifier: MIT
// libvirt_load.c: opens libvirt.so.0 on first use and resolves the libvirt symbols vmm calls.
#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>

#define VIRTLIB_IMPL
#include "vmm/sys/error.h"
#include "vmm/backend/libvirt_load.h"

#define VIRTLIB_DEFINE(name) __typeof__(&name) virtlib_##name;
VIRTLIB_SYMBOLS(VIRTLIB_DEFINE)
#undef VIRTLIB_DEFINE

/* The library's name as shipped (Debian: libvirt0); the ABI is stable across libvirt versions. */
#define VIRTLIB_SONAME "libvirt.so.0"

static int load_failed(void)
{
	const char *e = dlerror();

	return vmm_fail("libvirt: cannot load %s (install the libvirt0 package): %s", VIRTLIB_SONAME,
			e ? e : "unknown error");
}

int virtlib_load(void)
{
	static bool loaded;
	bool ok = true;
	void *h;

	if (loaded)
		return 0;
	h = dlopen(VIRTLIB_SONAME, RTLD_LAZY | RTLD_LOCAL);
	if (!h)
		return load_failed();
	/* RTLD_LAZY: binding all of the library's own relocations up front (RTLD_NOW) costs ~3 ms;
	 * the symbols vmm calls are checked below anyway, and the first missing one is named by
	 * dlerror() */
	dlerror();
#define VIRTLIB_RESOLVE(name)                                          \
	if (ok && !(virtlib_##name = (__typeof__(&name))dlsym(h, #name))) \
		ok = false;
	VIRTLIB_SYMBOLS(VIRTLIB_RESOLVE)
#undef VIRTLIB_RESOLVE
	if (!ok) {
		load_failed();
		/* nothing half-resolved: every pointer back to NULL */
#define VIRTLIB_RESET(name) virtlib_##name = NULL;
		VIRTLIB_SYMBOLS(VIRTLIB_RESET)
#undef VIRTLIB_RESET
		dlclose(h);
		return -1;
	}
	loaded = true;
	return 0;
}
