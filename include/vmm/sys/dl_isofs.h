/* SPDX-License-Identifier: MIT */
/* dl_isofs.h: libisofs, loaded when a seed ISO is written (see dynlib.h) */
#ifndef VMM_DL_ISOFS_H
#define VMM_DL_ISOFS_H

/* the struct burn_source copy in libisofs.h (no libburn here) */
#ifndef LIBISOFS_WITHOUT_LIBBURN
#define LIBISOFS_WITHOUT_LIBBURN 1
#endif
#include <libisofs/libisofs.h>

#include "vmm/sys/dynlib.h"

/* Every symbol of the library vmm uses. */
#define DL_ISOFS_SYMBOLS(X)                        \
	X(iso_error_to_msg)                        \
	X(iso_finish)                              \
	X(iso_image_create_burn_source)            \
	X(iso_image_get_root)                      \
	X(iso_image_new)                           \
	X(iso_image_set_application_id)           \
	X(iso_image_unref)                         \
	X(iso_init)                                \
	X(iso_memory_stream_new)                   \
	X(iso_node_set_atime)                      \
	X(iso_node_set_ctime)                      \
	X(iso_node_set_gid)                        \
	X(iso_node_set_mtime)                      \
	X(iso_node_set_permissions)                \
	X(iso_node_set_uid)                        \
	X(iso_set_msgs_severities)                 \
	X(iso_stream_unref)                        \
	X(iso_tree_add_new_file)                   \
	X(iso_write_opts_free)                     \
	X(iso_write_opts_new)                      \
	X(iso_write_opts_set_always_gmt)           \
	X(iso_write_opts_set_default_dir_mode)     \
	X(iso_write_opts_set_default_file_mode)    \
	X(iso_write_opts_set_default_gid)          \
	X(iso_write_opts_set_default_timestamp)    \
	X(iso_write_opts_set_default_uid)          \
	X(iso_write_opts_set_dir_rec_mtime)        \
	X(iso_write_opts_set_joliet)               \
	X(iso_write_opts_set_no_force_dots)        \
	X(iso_write_opts_set_omit_version_numbers) \
	X(iso_write_opts_set_pvd_times)            \
	X(iso_write_opts_set_relaxed_vol_atts)     \
	X(iso_write_opts_set_replace_mode)         \
	X(iso_write_opts_set_replace_timestamps)   \
	X(iso_write_opts_set_rockridge)

DL_ISOFS_SYMBOLS(DYNLIB_DECLARE)
extern struct dynlib dl_isofs;

/* The redirects (src/sys/dl_NAME.c needs the real names). */
#ifndef DYNLIB_IMPL
#define iso_error_to_msg (*dl_iso_error_to_msg)
#define iso_finish (*dl_iso_finish)
#define iso_image_create_burn_source (*dl_iso_image_create_burn_source)
#define iso_image_get_root (*dl_iso_image_get_root)
#define iso_image_new (*dl_iso_image_new)
#define iso_image_set_application_id (*dl_iso_image_set_application_id)
#define iso_image_unref (*dl_iso_image_unref)
#define iso_init (*dl_iso_init)
#define iso_memory_stream_new (*dl_iso_memory_stream_new)
#define iso_node_set_atime (*dl_iso_node_set_atime)
#define iso_node_set_ctime (*dl_iso_node_set_ctime)
#define iso_node_set_gid (*dl_iso_node_set_gid)
#define iso_node_set_mtime (*dl_iso_node_set_mtime)
#define iso_node_set_permissions (*dl_iso_node_set_permissions)
#define iso_node_set_uid (*dl_iso_node_set_uid)
#define iso_set_msgs_severities (*dl_iso_set_msgs_severities)
#define iso_stream_unref (*dl_iso_stream_unref)
#define iso_tree_add_new_file (*dl_iso_tree_add_new_file)
#define iso_write_opts_free (*dl_iso_write_opts_free)
#define iso_write_opts_new (*dl_iso_write_opts_new)
#define iso_write_opts_set_always_gmt (*dl_iso_write_opts_set_always_gmt)
#define iso_write_opts_set_default_dir_mode (*dl_iso_write_opts_set_default_dir_mode)
#define iso_write_opts_set_default_file_mode (*dl_iso_write_opts_set_default_file_mode)
#define iso_write_opts_set_default_gid (*dl_iso_write_opts_set_default_gid)
#define iso_write_opts_set_default_timestamp (*dl_iso_write_opts_set_default_timestamp)
#define iso_write_opts_set_default_uid (*dl_iso_write_opts_set_default_uid)
#define iso_write_opts_set_dir_rec_mtime (*dl_iso_write_opts_set_dir_rec_mtime)
#define iso_write_opts_set_joliet (*dl_iso_write_opts_set_joliet)
#define iso_write_opts_set_no_force_dots (*dl_iso_write_opts_set_no_force_dots)
#define iso_write_opts_set_omit_version_numbers (*dl_iso_write_opts_set_omit_version_numbers)
#define iso_write_opts_set_pvd_times (*dl_iso_write_opts_set_pvd_times)
#define iso_write_opts_set_relaxed_vol_atts (*dl_iso_write_opts_set_relaxed_vol_atts)
#define iso_write_opts_set_replace_mode (*dl_iso_write_opts_set_replace_mode)
#define iso_write_opts_set_replace_timestamps (*dl_iso_write_opts_set_replace_timestamps)
#define iso_write_opts_set_rockridge (*dl_iso_write_opts_set_rockridge)
#endif

#endif
