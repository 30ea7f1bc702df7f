// SPDX-License-Identifier: MIT
/* dl_libs.c: the libraries vmm loads on first use: soname, Debian package, symbols (dynlib.h) */
#define DYNLIB_IMPL
#include "vmm/sys/dl_crypto.h"
#include "vmm/sys/dl_curl.h"
#include "vmm/sys/dl_isofs.h"
#include "vmm/sys/dl_nftables.h"
#include "vmm/sys/dl_png.h"
#include "vmm/sys/dl_vncclient.h"

/* Each soname is the one of the library the build compiled against (the Makefile reads it with
 * readelf), so the headers and the code loaded always agree. The packages are Debian 12's. */
#define DL_SONAME_CHECK(s) _Static_assert(sizeof(s) > 1, "no soname for " #s " (see the Makefile)")
DL_SONAME_CHECK(DL_SONAME_CURL);
DL_SONAME_CHECK(DL_SONAME_CRYPTO);
DL_SONAME_CHECK(DL_SONAME_ISOFS);
DL_SONAME_CHECK(DL_SONAME_NFTABLES);
DL_SONAME_CHECK(DL_SONAME_PNG);
DL_SONAME_CHECK(DL_SONAME_VNCCLIENT);

DL_CURL_SYMBOLS(DYNLIB_DEFINE)
static const struct dynlib_sym curl_syms[] = { DL_CURL_SYMBOLS(DYNLIB_ENTRY) };
struct dynlib dl_curl = DYNLIB_INIT(DL_SONAME_CURL, "libcurl4", "image downloads", curl_syms);

DL_CRYPTO_SYMBOLS(DYNLIB_DEFINE)
static const struct dynlib_sym crypto_syms[] = { DL_CRYPTO_SYMBOLS(DYNLIB_ENTRY) };
struct dynlib dl_crypto = DYNLIB_INIT(DL_SONAME_CRYPTO, "libssl3", "image digests", crypto_syms);

DL_ISOFS_SYMBOLS(DYNLIB_DEFINE)
static const struct dynlib_sym isofs_syms[] = { DL_ISOFS_SYMBOLS(DYNLIB_ENTRY) };
struct dynlib dl_isofs = DYNLIB_INIT(DL_SONAME_ISOFS, "libisofs6", "the seed ISO", isofs_syms);

DL_NFTABLES_SYMBOLS(DYNLIB_DEFINE)
static const struct dynlib_sym nftables_syms[] = { DL_NFTABLES_SYMBOLS(DYNLIB_ENTRY) };
struct dynlib dl_nftables = DYNLIB_INIT(DL_SONAME_NFTABLES, "libnftables1", "the nftables firewall",
					nftables_syms);

DL_PNG_SYMBOLS(DYNLIB_DEFINE)
static const struct dynlib_sym png_syms[] = { DL_PNG_SYMBOLS(DYNLIB_ENTRY) };
struct dynlib dl_png = DYNLIB_INIT(DL_SONAME_PNG, "libpng16-16", "PNG output", png_syms);

DL_VNCCLIENT_SYMBOLS(DYNLIB_DEFINE)
static const struct dynlib_sym vncclient_syms[] = { DL_VNCCLIENT_SYMBOLS(DYNLIB_ENTRY) };
struct dynlib dl_vncclient = DYNLIB_INIT(DL_SONAME_VNCCLIENT, "libvncclient1", "the VNC client",
					 vncclient_syms);
