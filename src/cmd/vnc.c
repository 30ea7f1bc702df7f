// SPDX-License-Identifier: MIT
/* vnc.c: `vmm vnc NAME`: the guest's screen in the terminal (colour half blocks or ASCII) or as PNG */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm/lifecycle.h"
#include "vmm/cmd.h"
#include "vmm/error.h"
#include "vmm/render.h"
#include "vmm/util.h"
#include "vmm/vnc.h"

const char cmd_vnc_usage[] =
	"vnc NAME [--png FILE] [--width COLS] [--ascii] [--watch] [--timeout S] "
	"[--password-file F]";
const char cmd_vnc_summary[] = "show a running guest's screen in the terminal or save it as PNG";
const char cmd_vnc_help[] =
	"  --png FILE       write the screen at full resolution as PNG, print nothing (-v: the path)\n"
	"  --width COLS     draw COLS characters wide (default: the terminal's width)\n"
	"  --ascii          plain ASCII shades instead of colour (the default when stdout is no terminal)\n"
	"  --watch          keep redrawing in place on changes (at most 10 per second) until Ctrl-C\n"
	"  --timeout S      give up when no complete frame arrives within S seconds (default 10)\n"
	"  --password-file F  the VNC password (first line of F) instead of the profile's vnc.password_file\n"
	"Colour is 24-bit when COLORTERM is truecolor or 24bit, else the 256-colour palette.\n"
	"Exit 1, one line: guest not running, port closed, authentication failed, no frame in time.\n";

#define WATCH_MIN_MS 100 /* at most 10 redraws per second */

static volatile sig_atomic_t got_stop, got_winch;
static volatile bool stop_flag;

static void on_stop(int sig)
{
	(void)sig;
	got_stop = 1;
	stop_flag = true;
}

static void on_winch(int sig)
{
	(void)sig;
	got_winch = 1;
}

/* The terminal's size on stdout (0 when unknown). */
static void term_size(int *cols, int *rows)
{
	struct winsize ws;
	*cols = *rows = 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
		*cols = ws.ws_col;
		*rows = ws.ws_row;
	}
	if (*cols <= 0) {
		const char *e = getenv("COLUMNS");
		*cols = e && atoi(e) > 0 ? atoi(e) : 80;
	}
}

static enum render_mode pick_mode(bool ascii, bool tty)
{
	if (ascii || !tty)
		return RENDER_ASCII;
	const char *ct = getenv("COLORTERM");
	if (ct && (!strcmp(ct, "truecolor") || !strcmp(ct, "24bit")))
		return RENDER_TRUECOLOR;
	return RENDER_256;
}

static int write_all(const char *s, size_t n)
{
	if (fwrite(s, 1, n, stdout) != n)
		return -1;
	return 0;
}

/* One picture on stdout; in watch mode fitted to the screen and drawn from the top left. */
static int draw(struct vnc_conn *c, int width, enum render_mode mode, bool watch)
{
	struct render_fb fb;
	int cols, rows;
	char *text = NULL;
	size_t len = 0;
	vnc_frame(c, &fb);
	term_size(&cols, &rows);
	if (width > 0)
		cols = width;
	if (watch && rows > 1)
		cols = render_fit(&fb, cols, rows - 1);
	if (render_frame(&fb, cols, mode, &text, &len) < 0)
		return -1;
	int rc = 0;
	if (watch)
		rc = write_all("\033[H", 3);
	if (rc == 0)
		rc = write_all(text, len);
	if (rc == 0 && watch)
		rc = write_all("\033[J", 3);
	free(text);
	if (rc == 0 && fflush(stdout) != 0)
		rc = -1;
	if (rc < 0)
		return vmm_fail("stdout: %s", util_strerror(errno));
	return 0;
}

static int watch_loop(struct vnc_conn *c, int width, enum render_mode mode)
{
	struct sigaction sa = { .sa_handler = on_stop }, old_int, old_term, old_winch;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sa.sa_handler = on_winch;
	sigaction(SIGWINCH, &sa, &old_winch);
	int rc = 0;
	fputs("\033[?25l\033[2J", stdout); /* hide the cursor, clear once */
	while (!got_stop) {
		uint64_t t0 = util_now_ms();
		if (got_winch) {
			got_winch = 0;
			fputs("\033[2J", stdout);
		}
		if (draw(c, width, mode, true) < 0) {
			rc = -1;
			break;
		}
		/* bounded rate: let changes pile up in the framebuffer meanwhile */
		uint64_t spent = util_now_ms() - t0;
		if (spent < WATCH_MIN_MS)
			poll(NULL, 0, (int)(WATCH_MIN_MS - spent));
		int r = 0;
		while (!got_stop && !got_winch && r == 0) {
			r = vnc_wait_frame(c, 1000, &stop_flag);
			if (r < 0)
				rc = -1;
		}
		if (rc < 0)
			break;
	}
	fputs("\033[0m\033[?25h\n", stdout); /* cursor back */
	fflush(stdout);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGWINCH, &old_winch, NULL);
	return rc;
}

int cmd_vnc(struct vmm_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "png", required_argument, NULL, 'p' },
		{ "width", required_argument, NULL, 'w' },
		{ "ascii", no_argument, NULL, 'a' },
		{ "watch", no_argument, NULL, 'W' },
		{ "timeout", required_argument, NULL, 't' },
		{ "password-file", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *png = NULL, *pwfile = NULL;
	unsigned long width = 0, timeout = 10;
	bool ascii = false, watch = false;
	int ch;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			if (!*optarg)
				return cmd_usage_error("vnc", "--png needs a file name");
			png = optarg;
			break;
		case 'w':
			if (util_parse_uint("--width", optarg, 1, 10000, &width) < 0)
				return cmd_report();
			break;
		case 'a':
			ascii = true;
			break;
		case 'W':
			watch = true;
			break;
		case 't':
			if (util_parse_uint("--timeout", optarg, 1, 3600, &timeout) < 0)
				return cmd_report();
			break;
		case 'P':
			pwfile = optarg;
			break;
		case 'h':
			cmd_print_help(stdout, "vnc");
			return cmd_flush();
		default:
			return cmd_usage_error("vnc", "bad option");
		}
	}
	if (argc - optind != 1)
		return cmd_usage_error("vnc", "needs exactly one NAME");
	bool tty = util_isatty(STDOUT_FILENO);
	if (png && watch)
		return cmd_usage_error("vnc", "--png and --watch do not go together");
	if (watch && !tty)
		return cmd_usage_error("vnc", "--watch needs a terminal on stdout");
	if (pwfile && util_check_readable("vnc password file", pwfile) < 0)
		return cmd_report();

	const char *name = argv[optind];
	struct vmm_profile p;
	struct vnc_conn *c = NULL;
	int rc = 0;
	if (store_load(&ctx->home, name, &p) < 0)
		return cmd_report();

	/* where: the backend's view of the running guest, else the profile */
	struct vmm_status st;
	if (lifecycle_status(&ctx->home, &p, &st) < 0) {
		rc = cmd_report();
		goto out;
	}
	if (ctx->dry_run) {
		printf("vnc %s:%d%s%s\n", st.vnc_host, st.vnc_port,
		       pwfile || p.vnc_password_file ? " password from " : "",
		       pwfile ? pwfile : p.vnc_password_file ? p.vnc_password_file : "");
		rc = cmd_flush();
		goto out;
	}
	if (st.state != VMM_RUNNING) {
		rc = cmd_error(1, "%s: not running", name);
		goto out;
	}

	struct vnc_opts vo = {
		.label = name,
		.host = st.vnc_host,
		.port = st.vnc_port,
		.password_file = pwfile ? pwfile : p.vnc_password_file,
		.timeout_ms = (int)timeout * 1000,
	};
	uint64_t deadline = util_now_ms() + timeout * 1000;
	for (int attempt = 0;; attempt++) {
		uint64_t now = util_now_ms();
		int left = now < deadline ? (int)(deadline - now) : 1;
		vo.timeout_ms = left;
		if (vnc_open(&vo, &c) < 0) {
			rc = cmd_report();
			goto out;
		}
		int r = vnc_wait_frame(c, left, NULL);
		if (r == 1)
			break;
		/* a mode switch while the first frame comes can break the stream: once more */
		if (r < 0 && attempt == 0 && util_now_ms() + 500 < deadline) {
			vnc_close(c);
			c = NULL;
			continue;
		}
		rc = cmd_report();
		goto out;
	}
	if (png) {
		struct render_fb fb;
		vnc_frame(c, &fb);
		if (vnc_png_write(png, &fb) < 0) {
			rc = cmd_report();
			goto out;
		}
		if (ctx->verbose > 0)
			printf("%s\n", png);
		rc = cmd_flush();
		goto out;
	}
	enum render_mode mode = pick_mode(ascii, tty);
	if (watch) {
		if (watch_loop(c, (int)width, mode) < 0)
			rc = cmd_report();
		goto out;
	}
	if (draw(c, (int)width, mode, false) < 0)
		rc = cmd_report();
	else
		rc = cmd_flush();
out:
	vnc_close(c);
	profile_free(&p);
	return rc;
}
