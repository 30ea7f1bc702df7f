/* SPDX-License-Identifier: MIT */
/* vnc.h: capture a guest's screen over VNC (libvncclient) and write frames as PNG (libpng) */
#ifndef VMM_VNC_H
#define VMM_VNC_H

#include <stdbool.h>

#include "vmm/display/render.h"

struct vnc_conn; /* one connection to a VNC server */

struct vnc_opts {
	const char *label;         /* object of error messages: the guest's name */
	const char *host;          /* address QEMU listens on ("0.0.0.0" / "::" mean loopback), or
				    * the path of its unix socket (starts with '/') */
	int port;                  /* TCP port (5900 + display); unused for a socket */
	const char *password;      /* the VNC password; NULL: password_file's */
	const char *password_file; /* first line is the VNC password; NULL: none */
	int timeout_ms;            /* for connecting and the handshake */
	bool png;                  /* a frame will be written as PNG: libpng is loaded first too */
};

/*
 * Connect and authenticate (never prompting: the password comes from password_file only) and
 * ask for a full frame. libvncclient's log lines are kept off stderr; failures become one error
 * line: "LABEL: vnc HOST:PORT: connection refused" (or "LABEL: vnc PATH: ..." for a socket),
 * "LABEL: vnc authentication failed", ...
 * libvncclient (and libpng when o->png) are loaded here, on first use (sys/dynlib.h): when one is
 * missing it fails before connecting, the error naming the package to install.
 */
int vnc_open(const struct vnc_opts *o, struct vnc_conn **out);

/*
 * Handle server messages until a frame is complete or timeout_ms passes. The first call waits
 * for the whole screen; later calls ask for changes and wait for the next update.
 * Returns 1 when a frame is ready, 0 on timeout (error slot set: "no complete frame within
 * N s" for the first frame), -1 on failure (connection lost).
 * When stop is non-NULL, it returns 0 as soon as *stop becomes true (checked every 100 ms).
 */
int vnc_wait_frame(struct vnc_conn *c, int timeout_ms, volatile const bool *stop);

/* The current picture as packed RGB (valid until the next vnc_wait_frame or vnc_close). */
void vnc_frame(struct vnc_conn *c, struct render_fb *fb);

void vnc_close(struct vnc_conn *c);

/* Write fb as an 8-bit RGB PNG, atomically (temp file in the same folder + rename). Loads libpng
 * on first use. */
int vnc_png_write(const char *path, const struct render_fb *fb);

/* The VNC password: the file's first line (malloc'd), NULL + error slot when unreadable/empty. */
char *vnc_password_read(const char *path);

#endif
