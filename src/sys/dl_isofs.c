// SPDX-License-Identifier: MIT
/* dl_isofs.c: isofs loaded on first use: its soname, Debian package and symbols (dynlib.h, dl_isofs.h).
 * The soname is the one of the library the build compiled against (the Makefile reads it with
 * readelf), so the header and the code loaded always agree. */
#define DYNLIB_IMPL
#include <stdint.h>
#include <stddef.h>
#include "vmm/sys/dl_isofs.h"

_Static_assert(sizeof(DL_SONAME_ISOFS) > 1, "no soname for isofs (see the Makefile)");

DL_ISOFS_SYMBOLS(DYNLIB_DEFINE)
static const struct dynlib_sym isofs_syms[] = { DL_ISOFS_SYMBOLS(DYNLIB_ENTRY) };
struct dynlib dl_isofs = DYNLIB_INIT(DL_SONAME_ISOFS, "libisofs6", "the seed ISO", isofs_syms);
