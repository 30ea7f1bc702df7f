/* SPDX-License-Identifier: MIT */
/* wait.h: wait until a started guest is ready: its SSH server's banner, or ping */
#ifndef VMM_GUEST_WAIT_H
#define VMM_GUEST_WAIT_H

#include <stdbool.h>
#include <stdint.h>

enum guest_wait_kind {
	GUEST_WAIT_NONE = 0,
	GUEST_WAIT_AUTO, /* ssh when the profile has SSH keys, else ping */
	GUEST_WAIT_SSH,
	GUEST_WAIT_PING,
};

#define GUEST_WAIT_DEFAULT_SECS 120

struct guest_wait {
	enum guest_wait_kind kind;
	unsigned secs;
};

/* --wait's value: NULL (auto, default time), "SECS", "ssh", "ping", "ssh:SECS", "ping:SECS".
 * Returns 0, or -1 with vmm_invalid set. */
int guest_wait_parse(const char *arg, struct guest_wait *w);
/* "ssh" or "ping" for a resolved kind. */
const char *guest_wait_name(enum guest_wait_kind k);

/* Called about every 100 ms while waiting, with the time since the wait began. */
typedef void (*guest_wait_progress_fn)(void *arg, uint64_t elapsed_ms);

/*
 * Until ip:port sends an SSH identification ("SSH-" at the start of its first line) or secs pass:
 * a TCP connect (1 s timeout) every 100 ms. *elapsed_ms (may be NULL) gets the time it took.
 * Returns 0, or -1 with the error slot set ("... no SSH banner ... after N s").
 */
int guest_wait_ssh(const char *ip, unsigned port, unsigned secs, guest_wait_progress_fn fn,
		   void *arg, uint64_t *elapsed_ms);
/* Until ip answers an ICMP echo or secs pass: a request every 100 ms on one ICMP socket (or, when
 * this process may open none, ping(8) spawned with an argv). */
int guest_wait_ping(const char *ip, unsigned secs, guest_wait_progress_fn fn, void *arg,
		    uint64_t *elapsed_ms);

#endif
