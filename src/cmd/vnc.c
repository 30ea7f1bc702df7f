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

#include "vmm/backend/backend.h"
#include "vmm/guest/lifecycle.h"
#include "vmm/cmd/cmd.h"
#include "vmm/sys/error.h"
#include "vmm/display/render.h"
#include "vmm/sys/util.h"
#include "vmm/display/vnc.h"

struct vnc_args {
	const char *png, *pwfile;
	unsigned long width, timeout;
	int color; /* enum render_color: index in "auto|always|never" */
	bool watch, password;
};

#define A struct vnc_args
static const struct cmd_option vnc_options[] = {
	OPT_FILE(0, "png", A, png, "FILE",
		 "write the screen at full resolution as PNG, print nothing (-v: the path)"),
	OPT_UINT(0, "width", A, width, 1, 10000, "COLS",
		 "draw COLS characters wide (default: the terminal's width)"),
	OPT_CHOICE(0, "color", A, color, "auto|always|never", "WHEN",
		   "colour: auto (on a terminal only, the default), always (also into a pipe), never"),
	OPT_SET(0, "ascii", A, color, RENDER_COLOR_NEVER, "plain ASCII shades: the same as --color=never"),
	OPT_FLAG(0, "watch", A, watch,
		 "keep redrawing in place on changes (at most 10 per second) until Ctrl-C"),
	OPT_UINT(0, "timeout", A, timeout, 1, 3600, "S",
		 "give up when no complete frame arrives within S seconds (default 10)"),
	OPT_FILE(0, "password-file", A, pwfile, "F",
		 "the VNC password (first line of F) instead of the profile's vnc.password_file"),
	OPT_FLAG(0, "password", A, password,
		 "print the password of the guest's TCP display (the profile's, or the one vmm "
		 "made at start for a display off loopback) and nothing else, for a VNC viewer"),
	OPT_END,
};
#undef A

const struct cmd_spec cmd_vnc_spec = {
	.name = "vnc",
	.args = "NAME",
	.summary = "show a running guest's screen in the terminal or save it as PNG",
	.options = vnc_options,
	.notes = "Colour is 24-bit when COLORTERM is truecolor or 24bit, else the 256-colour palette;\n"
		 "\"vmm vnc NAME --color=always | less -R\" keeps it through a pipe.\n"
		 "The screen is on a unix socket in the guest's private run folder (vnc = socket,\n"
		 "the default), which only root or the profile's owner reaches; a TCP display\n"
		 "(vnc = :N) off loopback has a password, which vmm vnc uses by itself.\n"
		 "Exit 1, one line: guest not running, port closed, authentication failed, no frame in time.\n",
	.complete = CMD_COMPLETE_PROFILE,
};

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

/* Connect and wait for the first whole frame, within the timeout. Returns 0 or -1. */
static int connect_first_frame(struct vnc_opts *vo, unsigned long timeout, struct vnc_conn **out)
{
	struct vnc_conn *c = NULL;
	uint64_t deadline = util_now_ms() + timeout * 1000;
	for (int attempt = 0;; attempt++) {
		uint64_t now = util_now_ms();
		int left = now < deadline ? (int)(deadline - now) : 1;
		vo->timeout_ms = left;
		if (vnc_open(vo, &c) < 0)
			return -1;
		int r = vnc_wait_frame(c, left, NULL);
		if (r == 1) {
			*out = c;
			return 0;
		}
		vnc_close(c);
		c = NULL;
		/* a mode switch while the first frame comes can break the stream: once more */
		if (!(r < 0 && attempt == 0 && util_now_ms() + 500 < deadline))
			return -1;
	}
}

/* The picture, once connected: a PNG, a redrawn screen, or one drawing. */
static int show(struct vmm_ctx *ctx, struct vnc_conn *c, const struct vnc_args *a, bool tty)
{
	if (a->png) {
		struct render_fb fb;
		vnc_frame(c, &fb);
		if (vnc_png_write(a->png, &fb) < 0)
			return cmd_report();
		if (ctx->verbose > 0)
			printf("%s\n", a->png);
		return 0;
	}
	enum render_mode mode = render_pick_mode((enum render_color)a->color, tty, getenv("COLORTERM"));
	if (a->watch)
		return watch_loop(c, (int)a->width, mode) < 0 ? cmd_report() : 0;
	if (draw(c, (int)a->width, mode, false) < 0)
		return cmd_report();
	return 0;
}

/* --password: the password a viewer needs, on stdout. */
static int print_password(struct vmm_ctx *ctx, const struct vmm_profile *p)
{
	char *pw = NULL;
	if (backend_vnc_password_get(&ctx->home, p, &pw) < 0)
		return cmd_report();
	if (!pw)
		return cmd_error(VMM_EFAIL, "%s: no VNC password (%s)", p->name,
				 profile_vnc_tcp(p) ? "a display on loopback without "
				 "vnc.password_file, or not started" :
				 "its screen is on a private unix socket");
	printf("%s\n", pw);
	explicit_bzero(pw, strlen(pw));
	free(pw);
	return 0;
}

/* Where vmm vnc connects, and with which password (vo's strings live in st and *pw). */
static int connect_target(struct vmm_ctx *ctx, const struct vmm_profile *p,
			  const struct vmm_status *st, const struct vnc_args *a,
			  struct vnc_opts *vo, char **pw)
{
	*pw = NULL;
	if (!st->vnc_host[0])
		return cmd_error(VMM_EFAIL, "%s: the screen is on a unix socket of %s that vmm "
				 "cannot reach (virt-viewer -c URI %s can; or vmm set %s vnc=:N)",
				 p->name, st->host, p->name, p->name);
	vo->label = p->name;
	vo->host = st->vnc_host;
	vo->port = st->vnc_port;
	if (a->pwfile)
		vo->password_file = a->pwfile;
	else if (backend_vnc_password_get(&ctx->home, p, pw) < 0)
		return cmd_report();
	vo->password = *pw;
	return 0;
}

int cmd_vnc(struct vmm_ctx *ctx, int argc, char **argv)
{
	struct vnc_args a = { .timeout = 10, .color = RENDER_COLOR_AUTO };
	const char *name = NULL;
	int rc = cmd_parse(&cmd_vnc_spec, argc, argv, &a);
	if (rc || (rc = cmd_one_name("vnc", argc, argv, &name)))
		return rc;
	bool tty = util_isatty(STDOUT_FILENO);
	if (a.png && a.watch)
		return cmd_usage_error("vnc", "--png and --watch do not go together");
	if (a.watch && !tty)
		return cmd_usage_error("vnc", "--watch needs a terminal on stdout");
	if (a.password && (a.png || a.watch || a.pwfile))
		return cmd_usage_error("vnc", "--password goes alone");
	if (a.pwfile && util_check_readable("vnc password file", a.pwfile) < 0)
		return cmd_report();

	struct vmm_profile p;
	struct vmm_status st;
	struct vnc_conn *c = NULL;
	char *pw = NULL;
	if (store_load(&ctx->home, name, &p) < 0)
		return cmd_report();
	if (p.vnc_display == VMM_VNC_NONE) {
		rc = cmd_error(VMM_EINVAL, "%s: has no display (vnc = none)", name);
		goto out;
	}
	if (a.password) {
		rc = print_password(ctx, &p);
		goto out;
	}
	if (lifecycle_status(&ctx->home, &p, &st) < 0) { /* the backend's view, else the profile */
		rc = cmd_report();
		goto out;
	}
	if (ctx->dry_run) {
		char where[160];
		const char *f = a.pwfile ? a.pwfile : p.vnc_password_file;
		cmd_vnc_where(&p, &st, where, sizeof(where));
		printf("vnc %s%s%s\n", where, f ? " password from " : "", f ? f : "");
		rc = 0;
		goto out;
	}
	if (st.state != VMM_RUNNING) {
		rc = cmd_error(1, "%s: not running", name);
		goto out;
	}
	struct vnc_opts vo = { 0 };
	if ((rc = connect_target(ctx, &p, &st, &a, &vo, &pw)))
		goto out;
	vo.png = a.png != NULL;
	rc = connect_first_frame(&vo, a.timeout, &c) < 0 ? cmd_report() : show(ctx, c, &a, tty);
out:
	if (pw)
		explicit_bzero(pw, strlen(pw));
	free(pw);
	vnc_close(c);
	profile_free(&p);
	return rc;
}
