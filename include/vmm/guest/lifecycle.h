/* SPDX-License-Identifier: MIT */
/* lifecycle.h: one flow for every backend: validate → lock → network → seed → start → wait;
 * stop, status, console */
#ifndef VMM_LIFECYCLE_H
#define VMM_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/backend/backend.h"
#include "vmm/guest/wait.h"
#include "vmm/config/profile.h"
#include "vmm/config/store.h"

struct lifecycle_start_opts {
	bool install;   /* attach the profile's ISO and boot from it once */
	int wait_secs;  /* > 0: the caller will wait (lifecycle_wait); refused for remote guests */
};

struct lifecycle_started {
	bool net_brought_up;  /* the network was down and this start brought it up */
	struct vmm_status st; /* pid, VNC, TCG (when the backend knows them at start) */
};

/*
 * Start a guest, the same way for every backend: refusals first (the backend's preflight, --wait
 * for a remote guest), then under the home's lock: the host network when the guest's NIC is on
 * this host (brought up when down, with every guest's tap), the guest's tap (journaled) and,
 * for a backend that takes one (QEMU), an open queue of it, the seed ISO, and the backend's
 * start. A failure leaves nothing behind that this start made.
 */
int lifecycle_start(const struct vmm_home *h, const struct vmm_profile *p,
		    const struct lifecycle_start_opts *o, struct lifecycle_started *out);
/* --dry-run of start: the refusals, then what the backend would run (malloc'd text). */
int lifecycle_plan(const struct vmm_home *h, const struct vmm_profile *p,
		   const struct lifecycle_start_opts *o, char **text);

/* Called about once a second while waiting: what is awaited ("ping at 192.168.166.100") and the
 * time so far. */
typedef void (*lifecycle_progress_fn)(void *arg, const char *what, uint64_t elapsed_ms);
/* What w waits for with this profile: GUEST_WAIT_AUTO is ssh when the profile has SSH keys
 * (cloud-init installs them and the host keys vmm pinned), else ping. */
enum guest_wait_kind lifecycle_wait_kind(const struct vmm_profile *p, const struct guest_wait *w);
/* Where w waits for p: its address and port 22 on the bridge; 127.0.0.1 and the host port of
 * its forward to port 22 with network = "user" (ping refused there, as ssh without that forward:
 * vmm_invalid). Checked before a start, so that a --wait that cannot work starts nothing. */
int lifecycle_wait_where(const struct vmm_profile *p, const struct guest_wait *w, char ip[16],
			 unsigned *port);
/*
 * Wait until the guest is ready at its address, at most w->secs seconds: its SSH server's banner
 * on port 22, or an answer to ping (lifecycle_wait_kind); *elapsed_ms (may be NULL) gets the time
 * it took. On time-out: -1 with "NAME: no SSH banner at IP:22 after S s (the guest still runs)"
 * or "NAME: no answer to ping at IP after S s (...)".
 */
int lifecycle_wait(const struct vmm_home *h, const struct vmm_profile *p,
		   const struct guest_wait *w, lifecycle_progress_fn progress, void *arg,
		   uint64_t *elapsed_ms);

/* Stop a guest (ACPI power-off for timeout_secs, then harder; force: at once) and release its
 * tap. *was (may be NULL) gets the state it was in, *end (may be NULL) how the stop ended. */
int lifecycle_stop(const struct vmm_home *h, const struct vmm_profile *p, bool force,
		   int timeout_secs, enum vmm_state *was, enum vmm_stop_end *end);
/* The state as the guest's backend sees it (VNC host and port filled from the profile when the
 * backend leaves them); -1 when the backend cannot tell. */
int lifecycle_status(const struct vmm_home *h, const struct vmm_profile *p, struct vmm_status *st);
/* The same, falling back to the run state when the backend cannot tell; never fails. */
void lifecycle_status_any(const struct vmm_home *h, const struct vmm_profile *p,
			  struct vmm_status *st);
/* The serial console; idle_ms > 0: detach once the guest was silent that long (the backend's
 * console op: QEMU guests; libvirt's stream detaches on its own). */
int lifecycle_console(const struct vmm_home *h, const struct vmm_profile *p, int idle_ms);

#endif
