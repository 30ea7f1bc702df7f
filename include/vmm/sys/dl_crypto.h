/* SPDX-License-Identifier: MIT */
/* dl_crypto.h: libcrypto (OpenSSL), loaded when an image's digest is computed (see dynlib.h) */
#ifndef VMM_DL_CRYPTO_H
#define VMM_DL_CRYPTO_H

#include <openssl/evp.h>

#include "vmm/sys/dynlib.h"

/* Every symbol of the library vmm uses. */
#define DL_CRYPTO_SYMBOLS(X)  \
	X(EVP_DigestFinal_ex) \
	X(EVP_DigestInit_ex)  \
	X(EVP_DigestUpdate)   \
	X(EVP_MD_CTX_free)    \
	X(EVP_MD_CTX_new)     \
	X(EVP_sha256)         \
	X(EVP_sha512)

DL_CRYPTO_SYMBOLS(DYNLIB_DECLARE)
extern struct dynlib dl_crypto;

/* The redirects (src/sys/dl_NAME.c needs the real names). */
#ifndef DYNLIB_IMPL
#define EVP_DigestFinal_ex (*dl_EVP_DigestFinal_ex)
#define EVP_DigestInit_ex (*dl_EVP_DigestInit_ex)
#define EVP_DigestUpdate (*dl_EVP_DigestUpdate)
#define EVP_MD_CTX_free (*dl_EVP_MD_CTX_free)
#define EVP_MD_CTX_new (*dl_EVP_MD_CTX_new)
#define EVP_sha256 (*dl_EVP_sha256)
#define EVP_sha512 (*dl_EVP_sha512)
#endif

#endif
