// SPDX-License-Identifier: MIT
/* dl_png.c: png loaded on first use: its soname, Debian package and symbols (dynlib.h, dl_png.h).
 * The soname is the one of the library the build compiled against (the Makefile reads it with
 * readelf), so the header and the code loaded always agree. */
#define DYNLIB_IMPL
#include <stdint.h>
#include <stddef.h>
#include "vmm/sys/dl_png.h"

_Static_assert(sizeof(DL_SONAME_PNG) > 1, "no soname for png (see the Makefile)");

DL_PNG_SYMBOLS(DYNLIB_DEFINE)
static const struct dynlib_sym png_syms[] = { DL_PNG_SYMBOLS(DYNLIB_ENTRY) };
struct dynlib dl_png = DYNLIB_INIT(DL_SONAME_PNG, "libpng16-16", "PNG output", png_syms);
