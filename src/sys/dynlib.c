// SPDX-License-Identifier: MIT
/* dynlib.c: opens a shared library on first use and resolves the symbols vmm calls */
#include <dlfcn.h>
#include <string.h>

#include "vmm/sys/dynlib.h"
#include "vmm/sys/error.h"

/* A symbol's address is stored through memcpy into a pointer of the symbol's own type: POSIX
 * guarantees that function and object pointers have the size and representation of void *. */
_Static_assert(sizeof(void (*)(void)) == sizeof(void *), "function pointers are not void *");

static void slots_reset(const struct dynlib *lib)
{
	void *none = NULL;
	for (size_t i = 0; i < lib->n_syms; i++)
		memcpy(lib->syms[i].slot, &none, sizeof(none));
}

/* "libcurl.so.4: not found, needed for image downloads (install the libcurl4 package)", or with
 * "cannot load" and dlerror()'s reason when the file is there but unusable. */
static int load_failed(const struct dynlib *lib, const char *why)
{
	if (why && strstr(why, "No such file"))
		return vmm_fail("%s: not found, needed for %s (install the %s package)",
				lib->soname, lib->what, lib->package);
	return vmm_fail("%s: cannot load, needed for %s (install the %s package): %s", lib->soname,
			lib->what, lib->package, why && *why ? why : "unknown error");
}

int dynlib_load(struct dynlib *lib)
{
	if (lib->handle)
		return 0;
	/* RTLD_LAZY: the library's own functions are bound when first called, not all up front;
	 * RTLD_LOCAL: its symbols do not leak into later lookups */
	void *h = dlopen(lib->soname, RTLD_LAZY | RTLD_LOCAL);
	if (!h)
		return load_failed(lib, dlerror());
	for (size_t i = 0; i < lib->n_syms; i++) {
		dlerror();
		void *p = dlsym(h, lib->syms[i].name);
		const char *e = dlerror();
		if (e || !p) {
			/* nothing half-resolved: every pointer back to NULL */
			load_failed(lib, e ? e : lib->syms[i].name);
			slots_reset(lib);
			dlclose(h);
			return -1;
		}
		memcpy(lib->syms[i].slot, &p, sizeof(p));
	}
	lib->handle = h;
	return 0;
}

int dynlib_loaded(const struct dynlib *lib)
{
	return lib->handle != NULL;
}
