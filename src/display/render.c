// SPDX-License-Identifier: MIT
/* render.c: scale a framebuffer by area averaging and draw it as terminal text (pure, no I/O) */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/sys/error.h"
#include "vmm/display/render.h"

#define UPPER_HALF "\xe2\x96\x80" /* U+2580 ▀ */
static const char shades[] = " .:-=+*#%@";

struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void buf_reserve(struct buf *b, size_t more)
{
	if (b->oom || b->len + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more + 1)
		cap *= 2;
	char *n = realloc(b->p, cap);
	if (!n) {
		b->oom = true;
		return;
	}
	b->p = n;
	b->cap = cap;
}

static void buf_add(struct buf *b, const char *s, size_t n)
{
	buf_reserve(b, n);
	if (b->oom)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void buf_num(struct buf *b, unsigned v)
{
	char t[12];
	size_t i = sizeof(t);
	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	buf_add(b, t + i, sizeof(t) - i);
}

static bool fb_ok(const struct render_fb *fb)
{
	return fb && fb->rgb && fb->width > 0 && fb->height > 0 && fb->stride >= 3 * fb->width;
}

/* Scaled pixel grid size: w columns (<= image width), h rows keeping the aspect. */
static void grid_size(const struct render_fb *fb, int cols, int *w, int *h)
{
	int gw = cols < fb->width ? cols : fb->width;
	long long gh = ((long long)fb->height * gw + fb->width / 2) / fb->width;
	*w = gw;
	*h = gh < 1 ? 1 : (int)gh;
}

int render_size(const struct render_fb *fb, int cols, int *cols_out, int *rows_out)
{
	if (!fb_ok(fb))
		return vmm_fail("render: empty or malformed framebuffer");
	if (cols < 1)
		return vmm_invalid("render: width %d: must be at least 1", cols);
	int w, h;
	grid_size(fb, cols, &w, &h);
	if (cols_out)
		*cols_out = w;
	if (rows_out)
		*rows_out = (h + 1) / 2;
	return 0;
}

int render_fit(const struct render_fb *fb, int cols, int rows)
{
	if (!fb_ok(fb) || cols < 1)
		return 1;
	for (int c = cols; c > 1; c--) {
		int w, h;
		grid_size(fb, c, &w, &h);
		if ((h + 1) / 2 <= rows)
			return w;
	}
	return 1;
}

/*
 * Area average: in units where a source column is gw wide and a target column fb->width wide,
 * target x covers [x*W, (x+1)*W) of the source's [i*gw, (i+1)*gw) (same for rows); each source
 * pixel counts by its overlap. Integer arithmetic so that output is identical everywhere.
 */
static uint8_t *scale(const struct render_fb *fb, int gw, int gh)
{
	uint8_t *out = malloc((size_t)gw * gh * 3);
	if (!out)
		return NULL;
	const long long W = fb->width, H = fb->height;
	for (int y = 0; y < gh; y++) {
		long long ty0 = y * H, ty1 = (y + 1) * H; /* in units of 1/gh source rows */
		int j0 = (int)(ty0 / gh), j1 = (int)((ty1 + gh - 1) / gh);
		for (int x = 0; x < gw; x++) {
			long long tx0 = x * W, tx1 = (x + 1) * W;
			int i0 = (int)(tx0 / gw), i1 = (int)((tx1 + gw - 1) / gw);
			unsigned long long acc[3] = { 0, 0, 0 }, total = 0;
			for (int j = j0; j < j1 && j < fb->height; j++) {
				long long a = (long long)j * gh, b = a + gh;
				long long wy = (b < ty1 ? b : ty1) - (a > ty0 ? a : ty0);
				if (wy <= 0)
					continue;
				const uint8_t *row = fb->rgb + (size_t)j * fb->stride;
				for (int i = i0; i < i1 && i < fb->width; i++) {
					long long c = (long long)i * gw, d = c + gw;
					long long wx = (d < tx1 ? d : tx1) - (c > tx0 ? c : tx0);
					if (wx <= 0)
						continue;
					unsigned long long wgt = (unsigned long long)(wx * wy);
					acc[0] += wgt * row[3 * i];
					acc[1] += wgt * row[3 * i + 1];
					acc[2] += wgt * row[3 * i + 2];
					total += wgt;
				}
			}
			uint8_t *o = out + ((size_t)y * gw + x) * 3;
			for (int k = 0; k < 3; k++)
				o[k] = total ? (uint8_t)((acc[k] + total / 2) / total) : 0;
		}
	}
	return out;
}

int render_xterm256(uint8_t r, uint8_t g, uint8_t b)
{
	static const int level[6] = { 0, 95, 135, 175, 215, 255 };
	const uint8_t v[3] = { r, g, b };
	int ci[3];
	for (int k = 0; k < 3; k++)
		ci[k] = v[k] < 48 ? 0 : v[k] < 115 ? 1 : (v[k] - 35) / 40;
	int dc = 0;
	for (int k = 0; k < 3; k++)
		dc += (v[k] - level[ci[k]]) * (v[k] - level[ci[k]]);
	int avg = (r + g + b) / 3;
	int gi = avg > 238 ? 23 : avg < 8 ? 0 : (avg - 3) / 10;
	if (gi > 23)
		gi = 23;
	int gv = 8 + 10 * gi, dg = 0;
	for (int k = 0; k < 3; k++)
		dg += (v[k] - gv) * (v[k] - gv);
	if (dg < dc)
		return 232 + gi;
	return 16 + 36 * ci[0] + 6 * ci[1] + ci[2];
}

/* "38;2;R;G;B" / "48;5;N" into b. */
static void add_colour(struct buf *b, enum render_mode mode, bool fg, const uint8_t *px)
{
	buf_str(b, fg ? "38;" : "48;");
	if (mode == RENDER_TRUECOLOR) {
		buf_str(b, "2;");
		buf_num(b, px[0]);
		buf_str(b, ";");
		buf_num(b, px[1]);
		buf_str(b, ";");
		buf_num(b, px[2]);
	} else {
		buf_str(b, "5;");
		buf_num(b, (unsigned)render_xterm256(px[0], px[1], px[2]));
	}
}

/* The value compared to skip repeated escapes: 24-bit colour, or palette index. */
static long cell_key(enum render_mode mode, const uint8_t *px)
{
	if (mode == RENDER_TRUECOLOR)
		return (long)px[0] << 16 | (long)px[1] << 8 | px[2];
	return render_xterm256(px[0], px[1], px[2]);
}

static void draw_colour(struct buf *b, const uint8_t *g, int gw, int gh, enum render_mode mode)
{
	for (int y = 0; y < gh; y += 2) {
		const uint8_t *up = g + (size_t)y * gw * 3;
		const uint8_t *lo = y + 1 < gh ? up + (size_t)gw * 3 : NULL;
		long fg = -1, bg = -1;
		for (int x = 0; x < gw; x++) {
			long kf = cell_key(mode, up + 3 * x);
			long kb = lo ? cell_key(mode, lo + 3 * x) : -2;
			bool sf = kf != fg, sb = kb != bg;
			if (sf || sb) {
				buf_str(b, "\033[");
				if (sf)
					add_colour(b, mode, true, up + 3 * x);
				if (sf && sb)
					buf_str(b, ";");
				if (sb) {
					if (lo)
						add_colour(b, mode, false, lo + 3 * x);
					else
						buf_str(b, "49");
				}
				buf_str(b, "m");
				fg = kf;
				bg = kb;
			}
			buf_str(b, UPPER_HALF);
		}
		buf_str(b, "\033[0m\n");
	}
}

/*
 * ASCII shades by luminance, stretched so that the brightest cell of the frame gets the densest
 * shade: a text console (light glyphs on black) averages to dim cells that would otherwise all
 * come out blank.
 */
static void draw_ascii(struct buf *b, const uint8_t *g, int gw, int gh)
{
	int rows = (gh + 1) / 2;
	char *line = malloc((size_t)gw + 1);
	unsigned *lums = malloc(sizeof(unsigned) * (size_t)gw * (size_t)(rows ? rows : 1));
	if (!line || !lums) {
		free(line);
		free(lums);
		b->oom = true;
		return;
	}
	unsigned max = 0;
	for (int y = 0; y < gh; y += 2) {
		int n = y + 1 < gh ? 2 : 1;
		for (int x = 0; x < gw; x++) {
			unsigned lum = 0;
			for (int k = 0; k < n; k++) {
				const uint8_t *px = g + ((size_t)(y + k) * gw + x) * 3;
				lum += 2126u * px[0] + 7152u * px[1] + 722u * px[2];
			}
			lum = (lum + 5000u * n) / (10000u * n); /* 0..255 */
			lums[(size_t)(y / 2) * gw + x] = lum;
			if (lum > max)
				max = lum;
		}
	}
	for (int r = 0; r < rows; r++) {
		int end = 0;
		for (int x = 0; x < gw; x++) {
			unsigned lum = lums[(size_t)r * gw + x];
			if (max > 0)
				lum = lum * 255u / max;
			line[x] = shades[lum * (sizeof(shades) - 1) / 256];
			if (line[x] != ' ')
				end = x + 1;
		}
		buf_add(b, line, (size_t)end);
		buf_str(b, "\n");
	}
	free(lums);
	free(line);
}

int render_frame(const struct render_fb *fb, int cols, enum render_mode mode, char **out,
		 size_t *len)
{
	int gw, gh;
	struct buf b = { 0 };
	uint8_t *grid = NULL;
	int rc = -1;
	*out = NULL;
	if (len)
		*len = 0;
	if (render_size(fb, cols, NULL, NULL) < 0)
		return -1;
	grid_size(fb, cols, &gw, &gh);
	grid = scale(fb, gw, gh);
	if (!grid)
		goto oom;
	buf_reserve(&b, mode == RENDER_ASCII ? (size_t)(gw + 1) * (gh + 1) / 2
					     : (size_t)gw * (gh + 1) / 2 * 24);
	if (mode == RENDER_ASCII)
		draw_ascii(&b, grid, gw, gh);
	else
		draw_colour(&b, grid, gw, gh, mode);
	if (b.oom)
		goto oom;
	*out = b.p; /* caller owns the text now */
	b.p = NULL;
	if (len)
		*len = b.len;
	rc = 0;
	goto done;
oom:
	vmm_fail("render: out of memory");
done:
	free(b.p);
	free(grid);
	return rc;
}

enum render_mode render_pick_mode(enum render_color color, bool tty, const char *colorterm)
{
	if (color == RENDER_COLOR_NEVER || (color == RENDER_COLOR_AUTO && !tty))
		return RENDER_ASCII;
	if (colorterm && (!strcmp(colorterm, "truecolor") || !strcmp(colorterm, "24bit")))
		return RENDER_TRUECOLOR;
	return RENDER_256;
}
