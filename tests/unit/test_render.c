// SPDX-License-Identifier: MIT
/* test_render.c: the terminal renderer on synthetic framebuffers (golden output, scaling edges)
 * and the PNG writer read back with libpng */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <png.h>
#include <unistd.h>

#include "vmm/sys/error.h"
#include "vmm/display/render.h"
#include "vmm/sys/util.h"
#include "vmm/display/vnc.h"

#include "golden.h"

static void check_golden(const char *name, const char *got, size_t len)
{
	golden_check(name, got, len, "the output");
}

/*
 * 64x32: left half a gradient (red across, green down, blue fixed), right half four coloured
 * blocks (red, green, blue, white) over a black band 4 rows high at the bottom, and a one-pixel
 * white frame line at x = 32.
 */
static uint8_t synth[32][64][3];

static void make_synth(void)
{
	static const uint8_t blocks[4][3] = { { 220, 30, 30 }, { 30, 200, 60 }, { 40, 60, 230 },
					      { 255, 255, 255 } };
	for (int y = 0; y < 32; y++)
		for (int x = 0; x < 64; x++) {
			uint8_t *p = synth[y][x];
			if (x < 32) {
				p[0] = (uint8_t)(x * 8);
				p[1] = (uint8_t)(y * 8);
				p[2] = 128;
			} else if (x == 32) {
				p[0] = p[1] = p[2] = 255;
			} else if (y >= 28) {
				p[0] = p[1] = p[2] = 0;
			} else {
				int bi = (y / 14) * 2 + (x - 33) / 16;
				memcpy(p, blocks[bi > 3 ? 3 : bi], 3);
			}
		}
}

static struct render_fb synth_fb(void)
{
	make_synth();
	return (struct render_fb){ .rgb = &synth[0][0][0], .width = 64, .height = 32,
				   .stride = 64 * 3 };
}

static char *draw(const struct render_fb *fb, int cols, enum render_mode m, size_t *len)
{
	char *out = NULL;
	size_t l = 0;
	if (render_frame(fb, cols, m, &out, &l) != 0)
		fail_msg("render_frame: %s", vmm_errmsg());
	assert_non_null(out);
	assert_int_equal(strlen(out), l);
	if (len)
		*len = l;
	return out;
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_golden(void **state)
{
	(void)state;
	struct render_fb fb = synth_fb();
	static const struct {
		const char *file;
		int cols;
		enum render_mode mode;
	} cases[] = {
		{ "render_w24.truecolor", 24, RENDER_TRUECOLOR },
		{ "render_w24.256", 24, RENDER_256 },
		{ "render_w24.ascii", 24, RENDER_ASCII },
		{ "render_w64.ascii", 64, RENDER_ASCII },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len;
		char *out = draw(&fb, cases[i].cols, cases[i].mode, &len);
		check_golden(cases[i].file, out, len);
		free(out);
	}
}

static void test_grid_size(void **state)
{
	(void)state;
	struct render_fb fb = synth_fb();
	int c, r;
	assert_int_equal(render_size(&fb, 24, &c, &r), 0);
	assert_int_equal(c, 24); /* 64x32 -> 24x12 pixels -> 6 lines */
	assert_int_equal(r, 6);
	assert_int_equal(render_size(&fb, 64, &c, &r), 0);
	assert_int_equal(c, 64);
	assert_int_equal(r, 16);
	/* rows limit: the widest picture of at most 4 lines is 16 columns (16x8 pixels) */
	assert_int_equal(render_fit(&fb, 80, 4), 16);
	assert_int_equal(render_fit(&fb, 10, 40), 10);
	assert_int_equal(render_fit(&fb, 80, 0), 1);
}

/* Wider than the image: never enlarged, same text as at the image's own width. */
static void test_wider_than_image(void **state)
{
	(void)state;
	struct render_fb fb = synth_fb();
	int c, r;
	assert_int_equal(render_size(&fb, 500, &c, &r), 0);
	assert_int_equal(c, 64);
	assert_int_equal(r, 16);
	for (int m = RENDER_TRUECOLOR; m <= RENDER_ASCII; m++) {
		char *a = draw(&fb, 500, (enum render_mode)m, NULL);
		char *b = draw(&fb, 64, (enum render_mode)m, NULL);
		assert_string_equal(a, b);
		assert_int_equal(count_lines(a), 16);
		free(a);
		free(b);
	}
}

/* At the image's width the colours are the pixels themselves. */
static void test_identity(void **state)
{
	(void)state;
	struct render_fb fb = synth_fb();
	char *out = draw(&fb, 64, RENDER_TRUECOLOR, NULL);
	/* first cell: pixel (0,0) = 0,0,128 over pixel (0,1) = 0,8,128 */
	const char *first = "\033[38;2;0;0;128;48;2;0;8;128m\xe2\x96\x80";
	assert_memory_equal(out, first, strlen(first));
	/* second cell, right after the first: 8,0,128 over 8,8,128: both change */
	const char *second = "\033[38;2;8;0;128;48;2;8;8;128m\xe2\x96\x80";
	assert_memory_equal(out + strlen(first), second, strlen(second));
	free(out);
}

static void test_one_pixel(void **state)
{
	(void)state;
	const uint8_t px[3] = { 10, 200, 30 };
	struct render_fb fb = { .rgb = px, .width = 1, .height = 1, .stride = 3 };
	char *out = draw(&fb, 80, RENDER_TRUECOLOR, NULL);
	assert_string_equal(out, "\033[38;2;10;200;30;49m\xe2\x96\x80\033[0m\n");
	free(out);
	out = draw(&fb, 1, RENDER_256, NULL);
	char want[64];
	snprintf(want, sizeof(want), "\033[38;5;%d;49m\xe2\x96\x80\033[0m\n",
		 render_xterm256(10, 200, 30));
	assert_string_equal(out, want);
	free(out);
	out = draw(&fb, 1, RENDER_ASCII, NULL);
	/* the only cell is the brightest one: stretched to the densest shade */
	assert_string_equal(out, "@\n");
	free(out);
}

/* Odd heights: the last line's lower halves keep the terminal background. */
static void test_odd_height(void **state)
{
	(void)state;
	uint8_t px[3][2][3];
	for (int y = 0; y < 3; y++)
		for (int x = 0; x < 2; x++)
			px[y][x][0] = px[y][x][1] = px[y][x][2] = (uint8_t)(100 * y);
	struct render_fb fb = { .rgb = &px[0][0][0], .width = 2, .height = 3, .stride = 6 };
	int c, r;
	assert_int_equal(render_size(&fb, 2, &c, &r), 0);
	assert_int_equal(c, 2);
	assert_int_equal(r, 2);
	char *out = draw(&fb, 2, RENDER_TRUECOLOR, NULL);
	assert_string_equal(out, "\033[38;2;0;0;0;48;2;100;100;100m\xe2\x96\x80\xe2\x96\x80\033[0m\n"
				 "\033[38;2;200;200;200;49m\xe2\x96\x80\xe2\x96\x80\033[0m\n");
	free(out);
	/* ASCII: the pair (0, 100) averages to 50 and the lone row is 200, the brightest; stretched
	 * to 0..255 they become 63 -> ':' and 255 -> '@' */
	out = draw(&fb, 2, RENDER_ASCII, NULL);
	assert_string_equal(out, "::\n@@\n");
	free(out);
}

/* Area averaging: a 2x2 checkerboard at one column is mid grey; 3 columns into 2 weigh 2:1. */
static void test_area_average(void **state)
{
	(void)state;
	const uint8_t chk[2][2][3] = { { { 0, 0, 0 }, { 255, 255, 255 } },
				       { { 255, 255, 255 }, { 0, 0, 0 } } };
	struct render_fb fb = { .rgb = &chk[0][0][0], .width = 2, .height = 2, .stride = 6 };
	char *out = draw(&fb, 1, RENDER_TRUECOLOR, NULL);
	assert_string_equal(out, "\033[38;2;128;128;128;49m\xe2\x96\x80\033[0m\n");
	free(out);

	/* 3x2 -> 2x1 (rounded height 2*2/3 = 1): column 0 = (2*a + b)/3, column 1 = (b + 2*c)/3 */
	const uint8_t row3[2][3][3] = { { { 0, 0, 0 }, { 90, 90, 90 }, { 180, 180, 180 } },
					{ { 0, 0, 0 }, { 90, 90, 90 }, { 180, 180, 180 } } };
	struct render_fb f3 = { .rgb = &row3[0][0][0], .width = 3, .height = 2, .stride = 9 };
	out = draw(&f3, 2, RENDER_TRUECOLOR, NULL);
	assert_string_equal(out, "\033[38;2;30;30;30;49m\xe2\x96\x80\033[38;2;150;150;150m"
				 "\xe2\x96\x80\033[0m\n");
	free(out);
}

/* Stride larger than the row: padding bytes are never read into the picture. */
static void test_stride(void **state)
{
	(void)state;
	uint8_t px[2][8];
	memset(px, 0xee, sizeof(px));
	memcpy(px[0], "\x01\x02\x03", 3);
	memcpy(px[1], "\x04\x05\x06", 3);
	struct render_fb fb = { .rgb = &px[0][0], .width = 1, .height = 2, .stride = 8 };
	char *out = draw(&fb, 5, RENDER_TRUECOLOR, NULL);
	assert_string_equal(out, "\033[38;2;1;2;3;48;2;4;5;6m\xe2\x96\x80\033[0m\n");
	free(out);
}

static void test_xterm256(void **state)
{
	(void)state;
	assert_int_equal(render_xterm256(0, 0, 0), 16);
	assert_int_equal(render_xterm256(255, 255, 255), 231);
	assert_int_equal(render_xterm256(255, 0, 0), 196);
	assert_int_equal(render_xterm256(0, 0, 255), 21);
	assert_int_equal(render_xterm256(128, 128, 128), 244);
	assert_int_equal(render_xterm256(95, 135, 175), 16 + 36 * 1 + 6 * 2 + 3);
}

static void test_ascii_blank(void **state)
{
	(void)state;
	uint8_t px[4][4][3];
	memset(px, 0, sizeof(px));
	struct render_fb fb = { .rgb = &px[0][0][0], .width = 4, .height = 4, .stride = 12 };
	char *out = draw(&fb, 4, RENDER_ASCII, NULL);
	assert_string_equal(out, "\n\n"); /* trailing blanks are cut */
	free(out);
}

static void test_invalid(void **state)
{
	(void)state;
	struct render_fb fb = synth_fb();
	char *out = (char *)1;
	size_t len = 7;
	assert_int_equal(render_frame(&fb, 0, RENDER_ASCII, &out, &len), -1);
	assert_null(out);
	assert_int_equal(len, 0);
	struct render_fb empty = { .rgb = NULL, .width = 0, .height = 0, .stride = 0 };
	assert_int_equal(render_frame(&empty, 10, RENDER_ASCII, &out, &len), -1);
	assert_string_equal(vmm_errmsg(), "render: empty or malformed framebuffer");
	struct render_fb narrow = { .rgb = &synth[0][0][0], .width = 4, .height = 1, .stride = 9 };
	assert_int_equal(render_frame(&narrow, 10, RENDER_ASCII, &out, &len), -1);
}

/* The PNG holds exactly the pixels (8-bit RGB), is replaced atomically and leaves no temp file. */
static void test_png_roundtrip(void **state)
{
	(void)state;
	struct render_fb fb = synth_fb();
	char dir[] = "/tmp/vmm-test-png.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *path = util_fmt("%s/shot.png", dir);
	assert_int_equal(util_write_file(path, "old", 3, 0644), 0);
	if (vnc_png_write(path, &fb) != 0)
		fail_msg("vnc_png_write: %s", vmm_errmsg());

	png_image img;
	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	assert_true(png_image_begin_read_from_file(&img, path));
	assert_int_equal(img.width, 64);
	assert_int_equal(img.height, 32);
	assert_int_equal(img.format, PNG_FORMAT_RGB);
	uint8_t *px = malloc(PNG_IMAGE_SIZE(img));
	assert_non_null(px);
	assert_true(png_image_finish_read(&img, NULL, px, 0, NULL));
	assert_memory_equal(px, &synth[0][0][0], sizeof(synth));
	free(px);

	char *tmp = util_fmt("%s.tmp.%ld", path, (long)getpid());
	assert_false(util_exists(tmp));
	free(tmp);
	/* unwritable place: an error naming the file, nothing created */
	char *bad = util_fmt("%s/no/such/dir/x.png", dir);
	assert_int_equal(vnc_png_write(bad, &fb), -1);
	assert_non_null(strstr(vmm_errmsg(), bad));
	free(bad);
	unlink(path);
	rmdir(dir);
	free(path);
}

/* --color=auto|always|never with and without a terminal, and COLORTERM's say on depth */
static void test_pick_mode(void **state)
{
	(void)state;
	static const struct {
		enum render_color color;
		bool tty;
		const char *colorterm;
		enum render_mode want;
	} cases[] = {
		{ RENDER_COLOR_AUTO, true, NULL, RENDER_256 },
		{ RENDER_COLOR_AUTO, true, "truecolor", RENDER_TRUECOLOR },
		{ RENDER_COLOR_AUTO, true, "24bit", RENDER_TRUECOLOR },
		{ RENDER_COLOR_AUTO, true, "yes", RENDER_256 },
		{ RENDER_COLOR_AUTO, false, "truecolor", RENDER_ASCII },
		{ RENDER_COLOR_AUTO, false, NULL, RENDER_ASCII },
		{ RENDER_COLOR_ALWAYS, false, NULL, RENDER_256 },
		{ RENDER_COLOR_ALWAYS, false, "truecolor", RENDER_TRUECOLOR },
		{ RENDER_COLOR_ALWAYS, true, "", RENDER_256 },
		{ RENDER_COLOR_NEVER, true, "truecolor", RENDER_ASCII },
		{ RENDER_COLOR_NEVER, false, NULL, RENDER_ASCII },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		enum render_mode got = render_pick_mode(cases[i].color, cases[i].tty, cases[i].colorterm);
		if (got != cases[i].want)
			fail_msg("case %zu: color %d tty %d COLORTERM %s: mode %d, wanted %d", i,
				 cases[i].color, cases[i].tty, cases[i].colorterm ? cases[i].colorterm : "(unset)",
				 got, cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_grid_size),
		cmocka_unit_test(test_wider_than_image),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_one_pixel),
		cmocka_unit_test(test_odd_height),
		cmocka_unit_test(test_area_average),
		cmocka_unit_test(test_stride),
		cmocka_unit_test(test_xterm256),
		cmocka_unit_test(test_ascii_blank),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_png_roundtrip),
		cmocka_unit_test(test_pick_mode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
