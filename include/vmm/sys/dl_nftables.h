/* SPDX-License-Identifier: MIT */
/* dl_nftables.h: libnftables, loaded when the nftables firewall is read or changed */
#ifndef VMM_DL_NFTABLES_H
#define VMM_DL_NFTABLES_H

#include <nftables/libnftables.h>

#include "vmm/sys/dynlib.h"

/* Every symbol of the library vmm uses. */
#define DL_NFTABLES_SYMBOLS(X)       \
	X(nft_ctx_buffer_error)      \
	X(nft_ctx_buffer_output)     \
	X(nft_ctx_get_error_buffer)  \
	X(nft_ctx_get_output_buffer) \
	X(nft_ctx_new)               \
	X(nft_ctx_output_set_flags)  \
	X(nft_ctx_set_dry_run)       \
	X(nft_run_cmd_from_buffer)

DL_NFTABLES_SYMBOLS(DYNLIB_DECLARE)
extern struct dynlib dl_nftables;

/* The redirects (src/sys/dl_NAME.c needs the real names). */
#ifndef DYNLIB_IMPL
#define nft_ctx_buffer_error (*dl_nft_ctx_buffer_error)
#define nft_ctx_buffer_output (*dl_nft_ctx_buffer_output)
#define nft_ctx_get_error_buffer (*dl_nft_ctx_get_error_buffer)
#define nft_ctx_get_output_buffer (*dl_nft_ctx_get_output_buffer)
#define nft_ctx_new (*dl_nft_ctx_new)
#define nft_ctx_output_set_flags (*dl_nft_ctx_output_set_flags)
#define nft_ctx_set_dry_run (*dl_nft_ctx_set_dry_run)
#define nft_run_cmd_from_buffer (*dl_nft_run_cmd_from_buffer)
#endif

#endif
