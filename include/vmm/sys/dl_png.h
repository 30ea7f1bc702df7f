/* SPDX-License-Identifier: MIT */
/* dl_png.h: libpng, loaded when a screen is written as PNG (see dynlib.h) */
#ifndef VMM_DL_PNG_H
#define VMM_DL_PNG_H

#include <png.h>

#include "vmm/sys/dynlib.h"

/* Every symbol of the library vmm uses. */
#define DL_PNG_SYMBOLS(X)            \
	X(png_create_info_struct)    \
	X(png_create_write_struct)   \
	X(png_destroy_write_struct)  \
	X(png_get_io_ptr)            \
	X(png_longjmp)               \
	X(png_set_IHDR)              \
	X(png_set_compression_level) \
	X(png_set_filter)            \
	X(png_set_longjmp_fn)        \
	X(png_set_write_fn)          \
	X(png_write_end)             \
	X(png_write_info)            \
	X(png_write_row)

DL_PNG_SYMBOLS(DYNLIB_DECLARE)
extern struct dynlib dl_png;

/* The redirects (src/sys/dl_NAME.c needs the real names). */
#ifndef DYNLIB_IMPL
#define png_create_info_struct (*dl_png_create_info_struct)
#define png_create_write_struct (*dl_png_create_write_struct)
#define png_destroy_write_struct (*dl_png_destroy_write_struct)
#define png_get_io_ptr (*dl_png_get_io_ptr)
#define png_longjmp (*dl_png_longjmp)
#define png_set_IHDR (*dl_png_set_IHDR)
#define png_set_compression_level (*dl_png_set_compression_level)
#define png_set_filter (*dl_png_set_filter)
#define png_set_longjmp_fn (*dl_png_set_longjmp_fn)
#define png_set_write_fn (*dl_png_set_write_fn)
#define png_write_end (*dl_png_write_end)
#define png_write_info (*dl_png_write_info)
#define png_write_row (*dl_png_write_row)
#endif

#endif
