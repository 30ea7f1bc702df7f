// SPDX-License-Identifier: MIT
/* dl_nftables.c: nftables loaded on first use: its soname, Debian package and symbols (dynlib.h, dl_nftables.h).
 * The soname is the one of the library the build compiled against (the Makefile reads it with
 * readelf), so the header and the code loaded always agree. */
#define DYNLIB_IMPL
#include <stdint.h>
#include <stddef.h>
#include "vmm/sys/dl_nftables.h"

_Static_assert(sizeof(DL_SONAME_NFTABLES) > 1, "no soname for nftables (see the Makefile)");

DL_NFTABLES_SYMBOLS(DYNLIB_DEFINE)
static const struct dynlib_sym nftables_syms[] = { DL_NFTABLES_SYMBOLS(DYNLIB_ENTRY) };
struct dynlib dl_nftables = DYNLIB_INIT(DL_SONAME_NFTABLES, "libnftables1", "the nftables firewall",
					nftables_syms);
