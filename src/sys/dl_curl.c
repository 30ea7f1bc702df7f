// SPDX-License-Identifier: MIT
/* dl_curl.c: curl loaded on first use: its soname, Debian package and symbols (dynlib.h, dl_curl.h).
 * The soname is the one of the library the build compiled against (the Makefile reads it with
 * readelf), so the header and the code loaded always agree. */
#define DYNLIB_IMPL
#include <stdint.h>
#include <stddef.h>
#include "vmm/sys/dl_curl.h"

_Static_assert(sizeof(DL_SONAME_CURL) > 1, "no soname for curl (see the Makefile)");

DL_CURL_SYMBOLS(DYNLIB_DEFINE)
static const struct dynlib_sym curl_syms[] = { DL_CURL_SYMBOLS(DYNLIB_ENTRY) };
struct dynlib dl_curl = DYNLIB_INIT(DL_SONAME_CURL, "libcurl4", "image downloads", curl_syms);
