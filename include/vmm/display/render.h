/* SPDX-License-Identifier: MIT */
/* render.h: a framebuffer turned into terminal text (24-bit/256-colour half blocks or ASCII) */
#ifndef VMM_RENDER_H
#define VMM_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Packed 8-bit RGB pixels: pixel (x, y) is rgb[y * stride + 3 * x .. + 2]. */
struct render_fb {
	const uint8_t *rgb;
	int width, height;
	int stride; /* bytes per row, >= 3 * width */
};

enum render_mode {
	RENDER_TRUECOLOR, /* "▀" with 24-bit fg (upper pixel) and bg (lower pixel) */
	RENDER_256,       /* the same with the xterm 256-colour palette */
	RENDER_ASCII,     /* the shades " .:-=+*#%@", no escape sequences, trailing blanks cut */
};

/* --color=auto|always|never (the order of the words) */
enum render_color {
	RENDER_COLOR_AUTO,   /* colour on a terminal, ASCII otherwise */
	RENDER_COLOR_ALWAYS, /* colour even into a pipe (less -R, CI logs) */
	RENDER_COLOR_NEVER,  /* ASCII */
};

/* The mode for a colour choice: ASCII for never, and for auto when stdout is no terminal (tty
 * false); else 24-bit when colorterm (the COLORTERM variable, may be NULL) is "truecolor" or
 * "24bit", the 256-colour palette otherwise. */
enum render_mode render_pick_mode(enum render_color color, bool tty, const char *colorterm);

/*
 * The picture is area-averaged down to `cols` pixel columns (never enlarged: at most the image's
 * width) and to the row count that keeps its aspect, each character showing one column and two
 * rows (a character cell is about twice as tall as wide). *cols_out / *rows_out (may be NULL)
 * receive the character grid's size.
 */
int render_size(const struct render_fb *fb, int cols, int *cols_out, int *rows_out);

/*
 * The largest column count not above `cols` whose output has at most `rows` text lines
 * (at least 1).
 */
int render_fit(const struct render_fb *fb, int cols, int rows);

/*
 * Draw fb into *out (malloc'd, NUL-terminated, *len bytes without the NUL; caller frees).
 * Every line ends with "\n" (colour modes reset attributes with "\033[0m" first).
 * When the scaled height is odd, the last line's lower halves keep the terminal's background.
 * Returns 0, or -1 with the error slot set (empty picture, cols < 1).
 */
int render_frame(const struct render_fb *fb, int cols, enum render_mode mode, char **out,
		 size_t *len);

/* The xterm 256-colour index nearest to an RGB colour (6x6x6 cube or the grey ramp). */
int render_xterm256(uint8_t r, uint8_t g, uint8_t b);

#endif
