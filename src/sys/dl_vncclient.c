// SPDX-License-Identifier: MIT
/* dl_vncclient.c: vncclient loaded on first use: its soname, Debian package and symbols (dynlib.h, dl_vncclient.h).
 * The soname is the one of the library the build compiled against (the Makefile reads it with
 * readelf), so the header and the code loaded always agree. */
#define DYNLIB_IMPL
#include <stdint.h>
#include <stddef.h>
#include "vmm/sys/dl_vncclient.h"

_Static_assert(sizeof(DL_SONAME_VNCCLIENT) > 1, "no soname for vncclient (see the Makefile)");

DL_VNCCLIENT_SYMBOLS(DYNLIB_DEFINE)
static const struct dynlib_sym vncclient_syms[] = { DL_VNCCLIENT_SYMBOLS(DYNLIB_ENTRY) };
struct dynlib dl_vncclient = DYNLIB_INIT(DL_SONAME_VNCCLIENT, "libvncclient1", "the VNC client",
					 vncclient_syms);
