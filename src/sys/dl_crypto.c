// SPDX-License-Identifier: MIT
/* dl_crypto.c: crypto loaded on first use: its soname, Debian package and symbols (dynlib.h, dl_crypto.h).
 * The soname is the one of the library the build compiled against (the Makefile reads it with
 * readelf), so the header and the code loaded always agree. */
#define DYNLIB_IMPL
#include <stdint.h>
#include <stddef.h>
#include "vmm/sys/dl_crypto.h"

_Static_assert(sizeof(DL_SONAME_CRYPTO) > 1, "no soname for crypto (see the Makefile)");

DL_CRYPTO_SYMBOLS(DYNLIB_DEFINE)
static const struct dynlib_sym crypto_syms[] = { DL_CRYPTO_SYMBOLS(DYNLIB_ENTRY) };
struct dynlib dl_crypto = DYNLIB_INIT(DL_SONAME_CRYPTO, "libssl3", "image digests", crypto_syms);
