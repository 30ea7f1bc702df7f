// SPDX-License-Identifier: MIT
/* vnc.c: grab a guest's screen with libvncclient (no prompts, no log noise) and save it as PNG */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/sys/dl_png.h"
#include "vmm/sys/dl_vncclient.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"
#include "vmm/display/vnc.h"

struct vnc_conn {
	rfbClient *cl;
	char *label;
	char *host;          /* an address, or the path of a unix socket (starts with '/') */
	int port;
	char where[160];     /* "HOST:PORT" or the socket's path, for messages */
	char *password;      /* NULL: none; wiped and freed at close */
	bool asked_password; /* the server wanted VNC authentication */
	uint8_t *fb;         /* what libvncclient draws into (32 bpp, R G B x) */
	uint8_t *rgb;        /* packed RGB copy handed out by vnc_frame */
	int w, h;
	long long covered;   /* pixels updated since the framebuffer was (re)allocated */
	bool full;           /* a frame covering the whole screen has arrived */
	int rects;           /* rectangles in the update being received */
	unsigned updates;    /* finished updates with pixels, counted once the screen is full */
	bool first_done;     /* the first frame was delivered */
	bool pending;        /* an update request is unanswered */
};

static int client_tag; /* address = our key for rfbClientSetClientData */

/* ---- libvncclient's log: never on stderr; the last line is kept for error messages ---- */

static char last_log[256];

static void quiet_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void quiet_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_log, sizeof(last_log), fmt, ap);
	va_end(ap);
	last_log[strcspn(last_log, "\r\n")] = '\0';
}

static struct vnc_conn *conn_of(rfbClient *cl)
{
	return rfbClientGetClientData(cl, &client_tag);
}

/* ---- callbacks ---- */

static char *get_password(rfbClient *cl)
{
	struct vnc_conn *c = conn_of(cl);
	c->asked_password = true;
	/* libvncclient frees (and wipes) what we return */
	return c->password ? strdup(c->password) : NULL;
}

static rfbBool alloc_fb(rfbClient *cl)
{
	struct vnc_conn *c = conn_of(cl);
	size_t n = (size_t)cl->width * (size_t)cl->height;
	if (cl->width <= 0 || cl->height <= 0 || cl->width > 16384 || cl->height > 16384)
		return FALSE;
	uint8_t *fb = calloc(n, 4);
	uint8_t *rgb = malloc(n * 3);
	if (!fb || !rgb) {
		free(fb);
		free(rgb);
		return FALSE;
	}
	free(c->fb);
	free(c->rgb);
	c->fb = fb;
	c->rgb = rgb;
	c->w = cl->width;
	c->h = cl->height;
	c->covered = 0;
	c->full = false;
	cl->frameBuffer = fb; /* still ours: rfbClientCleanup does not free it */
	return TRUE;
}

static void got_update(rfbClient *cl, int x, int y, int w, int h)
{
	struct vnc_conn *c = conn_of(cl);
	(void)x;
	(void)y;
	if (w > 0 && h > 0) {
		c->covered += (long long)w * h;
		c->rects++;
	}
}

/* An update message ends. Pseudo-rectangles alone (cursor, resize) do not count. */
static void finished_update(rfbClient *cl)
{
	struct vnc_conn *c = conn_of(cl);
	c->pending = true; /* libvncclient asks for the next changes after each update itself */
	if (!c->full && c->covered >= (long long)c->w * c->h)
		c->full = true;
	if (c->full && c->rects > 0)
		c->updates++;
	c->rects = 0;
}

/* ---- connecting ---- */

/* "0.0.0.0" and "::" (listen everywhere) are reached through loopback. */
static const char *connect_host(const char *listen)
{
	if (!listen || !*listen || !strcmp(listen, "0.0.0.0"))
		return "127.0.0.1";
	if (!strcmp(listen, "::") || !strcmp(listen, "[::]"))
		return "::1";
	return listen;
}

/* After libvncclient could not connect: find out why, with our own attempt. */
static int probe_errno(const char *host, int port, int timeout_ms)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	char svc[16];
	int err = ECONNREFUSED;
	snprintf(svc, sizeof(svc), "%d", port);
	if (getaddrinfo(host, svc, &hints, &ai) != 0 || !ai)
		return EHOSTUNREACH;
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd >= 0) {
		struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = timeout_ms % 1000 * 1000 };
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		err = connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ? 0 : errno;
		close(fd);
	}
	freeaddrinfo(ai);
	return err == EINPROGRESS ? ETIMEDOUT : err;
}

/* The same for a unix socket: ENOENT, EACCES, ECONNREFUSED, ... */
static int probe_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	int err = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : errno;
	close(fd);
	return err;
}

char *vnc_password_read(const char *path)
{
	size_t len = 0;
	char *pw = util_read_file(path, &len);
	if (!pw) {
		vmm_fail("vnc password file %s", vmm_errmsg());
		return NULL;
	}
	/* the first line, as QEMU was given it at start */
	pw[strcspn(pw, "\r\n")] = '\0';
	if (!*pw) {
		explicit_bzero(pw, len);
		free(pw);
		vmm_fail("vnc password file %s: empty", path);
		return NULL;
	}
	return pw;
}

static void conn_free(struct vnc_conn *c)
{
	if (!c)
		return;
	if (c->password) {
		explicit_bzero(c->password, strlen(c->password));
		free(c->password);
	}
	free(c->label);
	free(c->host);
	free(c->fb);
	free(c->rgb);
	free(c);
}

int vnc_open(const struct vnc_opts *o, struct vnc_conn **out)
{
	struct vnc_conn *c = NULL;
	rfbClient *cl = NULL;
	int secs = o->timeout_ms > 0 ? (o->timeout_ms + 999) / 1000 : 10;
	*out = NULL;
	if (dynlib_load(&dl_vncclient) < 0 || (o->png && dynlib_load(&dl_png) < 0))
		return -1;
	c = calloc(1, sizeof(*c));
	if (!c)
		return vmm_fail("%s: vnc: out of memory", o->label);
	c->label = util_strdup(o->label);
	c->host = util_strdup(connect_host(o->host));
	c->port = o->port;
	if (c->host[0] == '/') /* libvncclient connects to a unix socket when given its path */
		snprintf(c->where, sizeof(c->where), "%s", c->host);
	else
		snprintf(c->where, sizeof(c->where), "%s:%d", c->host, c->port);
	if (o->password) {
		c->password = util_strdup(o->password);
	} else if (o->password_file) {
		c->password = vnc_password_read(o->password_file);
		if (!c->password) {
			vmm_fail("%s: %s", o->label, vmm_errmsg());
			goto fail;
		}
	}

	rfbClientLog = quiet_log;
	rfbClientErr = quiet_log;
	last_log[0] = '\0';
	cl = rfbGetClient(8, 3, 4);
	if (!cl) {
		vmm_fail("%s: vnc: out of memory", o->label);
		goto fail;
	}
	rfbClientSetClientData(cl, &client_tag, c);
	cl->GetPassword = get_password;
	cl->MallocFrameBuffer = alloc_fb;
	cl->GotFrameBufferUpdate = got_update;
	cl->FinishedFrameBufferUpdate = finished_update;
	cl->canHandleNewFBSize = TRUE;
	cl->appData.enableJPEG = FALSE; /* lossless: the PNG must match the screen */
	cl->appData.shareDesktop = TRUE;
	cl->connectTimeout = (unsigned)secs;
	cl->readTimeout = (unsigned)secs;
	free(cl->serverHost);
	cl->serverHost = util_strdup(c->host); /* the client frees it */
	cl->serverPort = c->port;
	cl->programName = "vmm";
	if (!rfbInitClient(cl, NULL, NULL)) {
		/* rfbInitClient has freed cl already; c->fb is still ours */
		cl = NULL;
		if (c->asked_password && !c->password)
			vmm_fail("%s: vnc authentication failed: the server wants a password and "
				 "vmm has none for it (--password-file F)", o->label);
		else if (c->asked_password)
			vmm_fail("%s: vnc authentication failed", o->label);
		else if (strstr(last_log, "Unable to connect")) {
			int ms = o->timeout_ms > 0 ? o->timeout_ms : 3000;
			int e = c->host[0] == '/' ? probe_unix(c->host) :
						    probe_errno(c->host, c->port, ms);
			vmm_fail("%s: vnc %s: %s", o->label, c->where,
				 util_strerror(e ? e : ECONNREFUSED));
		} else if (strstr(last_log, "timed out"))
			vmm_fail("%s: vnc %s: no answer from the server within %d s", o->label,
				 c->where, secs);
		else {
			last_log[0] = (char)tolower((unsigned char)last_log[0]);
			vmm_fail("%s: vnc %s: %s", o->label, c->where,
				 last_log[0] ? last_log : "handshake failed");
		}
		goto fail;
	}
	c->cl = cl;
	c->pending = true; /* rfbInitClient asked for the whole screen */
	*out = c; /* caller owns the connection */
	return 0;
fail:
	conn_free(c);
	return -1;
}

/* ---- frames ---- */

static void to_rgb(struct vnc_conn *c)
{
	size_t n = (size_t)c->w * c->h;
	const uint8_t *s = c->fb;
	uint8_t *d = c->rgb;
	/* rfbGetClient(8,3,4) on a little-endian host: red at shift 0, green 8, blue 16 */
	for (size_t i = 0; i < n; i++, s += 4, d += 3) {
		d[0] = s[0];
		d[1] = s[1];
		d[2] = s[2];
	}
}

/* Ask for changes unless a request is still unanswered. */
static int request_changes(struct vnc_conn *c)
{
	if (c->pending)
		return 0;
	if (!SendFramebufferUpdateRequest(c->cl, 0, 0, c->w, c->h, TRUE))
		return vmm_fail("%s: vnc %s: connection lost", c->label, c->where);
	c->pending = true;
	return 0;
}

/*
 * Handle server messages until c->updates exceeds `after`, the clock passes `end` or *stop is
 * set. Returns 1 (an update arrived), 0 (time or stop) or -1.
 */
static int pump(struct vnc_conn *c, unsigned after, uint64_t end, volatile const bool *stop)
{
	while (c->updates <= after) {
		if (stop && *stop)
			return 0;
		uint64_t now = util_now_ms();
		if (now >= end)
			return 0;
		uint64_t left = end - now;
		if (stop && left > 100)
			left = 100;
		/* bytes libvncclient already read count as a message even though select says no */
		int r = c->cl->buffered > 0 ? 1 : WaitForMessage(c->cl, (unsigned)left * 1000);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return vmm_fail("%s: vnc %s: %s", c->label, c->where,
					util_strerror(errno));
		if (r == 0)
			continue;
		last_log[0] = '\0';
		if (!HandleRFBServerMessage(c->cl))
			return vmm_fail("%s: vnc %s: connection lost%s%s", c->label, c->where,
					last_log[0] ? ": " : "", last_log);
	}
	return 1;
}

/*
 * QEMU answers the first full request from its own copy of the screen, which it refreshes
 * from the display only on its refresh timer (never while no client is connected; after a
 * connection the second tick, ~80-100 ms later, brings it): that first frame can be old (often
 * black). So after it, wait for the next update carrying pixels (that refresh, or a cursor
 * blink on a fresh copy), up to SETTLE_MS when nothing changes, then take what follows within
 * DRAIN_MS.
 */
#define SETTLE_MS 150
#define DRAIN_MS 5

int vnc_wait_frame(struct vnc_conn *c, int timeout_ms, volatile const bool *stop)
{
	uint64_t end = util_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	int r;
	if (c->first_done) {
		unsigned before = c->updates;
		if (request_changes(c) < 0)
			return -1;
		r = pump(c, before, end, stop);
		if (r == 1)
			to_rgb(c);
		return r;
	}
	r = pump(c, 0, end, stop);
	if (r < 0)
		return -1;
	if (r == 0) {
		if (stop && *stop)
			return 0;
		return vmm_fail("%s: vnc %s: no complete frame within %d s", c->label, c->where,
				(timeout_ms + 999) / 1000);
	}
	for (int phase = 0; phase < 2 && r == 1; phase++) {
		uint64_t lim = util_now_ms() + (phase == 0 ? SETTLE_MS : DRAIN_MS);
		unsigned before = c->updates;
		if (request_changes(c) < 0)
			return -1;
		r = pump(c, before, lim < end ? lim : end, stop);
		if (r < 0)
			return -1;
	}
	to_rgb(c);
	c->first_done = true;
	return 1;
}

void vnc_frame(struct vnc_conn *c, struct render_fb *fb)
{
	fb->rgb = c->rgb;
	fb->width = c->w;
	fb->height = c->h;
	fb->stride = c->w * 3;
}

void vnc_close(struct vnc_conn *c)
{
	if (!c)
		return;
	if (c->cl)
		rfbClientCleanup(c->cl);
	conn_free(c);
}

/* ---- PNG ---- */

struct membuf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

static void png_mem_write(png_structp png, png_bytep data, png_size_t n)
{
	struct membuf *m = png_get_io_ptr(png);
	if (m->oom)
		return;
	if (m->len + n > m->cap) {
		size_t cap = m->cap ? m->cap : 65536;
		while (cap < m->len + n)
			cap *= 2;
		uint8_t *p = realloc(m->p, cap);
		if (!p) {
			m->oom = true;
			return;
		}
		m->p = p;
		m->cap = cap;
	}
	memcpy(m->p + m->len, data, n);
	m->len += n;
}

static void png_mem_flush(png_structp png)
{
	(void)png;
}

static void png_on_error(png_structp png, png_const_charp msg)
{
	snprintf(last_log, sizeof(last_log), "%s", msg);
	png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

/* Encode into m; 0 or -1 (last_log says why). No locals change after setjmp. */
static int png_encode(const struct render_fb *fb, struct membuf *m)
{
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, png_on_error,
						  png_on_warning);
	if (!png)
		return -1;
	png_infop info = png_create_info_struct(png);
	if (!info) {
		png_destroy_write_struct(&png, NULL);
		return -1;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		return -1;
	}
	png_set_write_fn(png, m, png_mem_write, png_mem_flush);
	png_set_IHDR(png, info, (png_uint_32)fb->width, (png_uint_32)fb->height, 8,
		     PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	/* screens are flat colour: a fast level and the SUB filter compress them well */
	png_set_compression_level(png, 3);
	png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
	png_write_info(png, info);
	for (int y = 0; y < fb->height; y++)
		png_write_row(png, fb->rgb + (size_t)y * fb->stride);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return m->oom ? -1 : 0;
}

int vnc_png_write(const char *path, const struct render_fb *fb)
{
	struct membuf m = { 0 };
	int rc = -1;
	if (!fb || !fb->rgb || fb->width <= 0 || fb->height <= 0)
		return vmm_fail("%s: no picture to write", path);
	if (dynlib_load(&dl_png) < 0)
		return -1;
	last_log[0] = '\0';
	if (png_encode(fb, &m) < 0) {
		vmm_fail("%s: png: %s", path, last_log[0] ? last_log : "out of memory");
		goto out;
	}
	rc = util_write_file(path, m.p, m.len, 0644);
out:
	free(m.p);
	return rc;
}
