/* SPDX-License-Identifier: MIT */
/* dl_curl.h: libcurl, loaded when an image is downloaded (see dynlib.h) */
#ifndef VMM_DL_CURL_H
#define VMM_DL_CURL_H

#include <curl/curl.h>

#include "vmm/sys/dynlib.h"

/* Every symbol of the library vmm uses. */
#define DL_CURL_SYMBOLS(X)     \
	X(curl_easy_cleanup)   \
	X(curl_easy_getinfo)   \
	X(curl_easy_init)      \
	X(curl_easy_perform)   \
	X(curl_easy_setopt)    \
	X(curl_easy_strerror)  \
	X(curl_global_cleanup) \
	X(curl_global_init)

DL_CURL_SYMBOLS(DYNLIB_DECLARE)
extern struct dynlib dl_curl;

/* The redirects (src/sys/dl_NAME.c needs the real names). */
#ifndef DYNLIB_IMPL
/* curl.h wraps these two in type-checking macros (typecheck-gcc.h); the redirects replace
 * them, so their arguments are checked only against the prototypes' fixed part */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_easy_cleanup (*dl_curl_easy_cleanup)
#define curl_easy_getinfo (*dl_curl_easy_getinfo)
#define curl_easy_init (*dl_curl_easy_init)
#define curl_easy_perform (*dl_curl_easy_perform)
#define curl_easy_setopt (*dl_curl_easy_setopt)
#define curl_easy_strerror (*dl_curl_easy_strerror)
#define curl_global_cleanup (*dl_curl_global_cleanup)
#define curl_global_init (*dl_curl_global_init)
#endif

#endif
