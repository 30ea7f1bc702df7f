// SPDX-License-Identifier: MIT
// libvirt_load.c: libvirt's entry in the lazy loader (sys/dynlib.h): soname, package, symbols.
#define DYNLIB_IMPL
#include "vmm/backend/libvirt_load.h"

/* The soname the build compiled against (the Makefile reads it; Debian: libvirt0); libvirt's ABI
 * is stable across versions. */
_Static_assert(sizeof(DL_SONAME_LIBVIRT) > 1, "no soname for libvirt (see the Makefile)");

VIRTLIB_SYMBOLS(DYNLIB_DEFINE)
static const struct dynlib_sym libvirt_syms[] = { VIRTLIB_SYMBOLS(DYNLIB_ENTRY) };
struct dynlib dl_libvirt = DYNLIB_INIT(DL_SONAME_LIBVIRT, "libvirt0", "libvirt guests",
				       libvirt_syms);

int virtlib_load(void)
{
	return dynlib_load(&dl_libvirt);
}
