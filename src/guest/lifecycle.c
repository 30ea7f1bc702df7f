// SPDX-License-Identifier: MIT
/* lifecycle.c: start, wait, stop and status of a guest: one flow, backends supply what differs */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm/sys/error.h"
#include "vmm/guest/lifecycle.h"
#include "vmm/backend/qemu.h"
#include "vmm/net/hostnet.h"
#include "vmm/storage/seed.h"
#include "vmm/sys/util.h"

/* The backend and where it runs the guest; refuses --wait for a remote one. */
static const struct vmm_backend *checked_backend(const struct vmm_profile *p,
						 const struct lifecycle_start_opts *o, bool *remote)
{
	const struct vmm_backend *b = backend_for(p);
	char host[64] = "local";
	int r = b->where ? b->where(p, host, sizeof(host)) : 0;
	if (r < 0)
		return NULL;
	*remote = r == 1;
	if (*remote && o->wait_secs > 0) {
		vmm_invalid("%s: --wait needs a local guest (the network of a guest on %s is there)",
			    p->name, host);
		return NULL;
	}
	return b;
}

int lifecycle_plan(const struct vmm_home *h, const struct vmm_profile *p,
		   const struct lifecycle_start_opts *o, char **text)
{
	struct vmm_netcfg n;
	struct vmm_start_opts so = { .install = o->install };
	bool remote;
	*text = NULL;
	const struct vmm_backend *b = checked_backend(p, o, &remote);
	if (!b || store_load_net(h, &n) < 0)
		return -1;
	int rc = b->plan(h, &n, p, &so, text);
	netcfg_free(&n);
	return rc;
}

/* The bridge, forwarding and firewall when they are not there, with every guest's tap. */
static int ensure_network(const struct vmm_home *h, const struct vmm_netcfg *n, bool *brought_up)
{
	struct vmm_profile *all = NULL;
	size_t n_all = 0;
	int up = hostnet_is_up(h, n);
	if (up != 0)
		return up < 0 ? -1 : 0;
	*brought_up = true;
	vmm_notice("network %s was down, bringing it up", n->bridge);
	struct store_invalid *bad = NULL;
	size_t n_bad = 0;
	int rc = store_load_all(h, &all, &n_all, &bad, &n_bad) < 0 ? -1 : hostnet_up(h, n, all, n_all);
	/* a profile that does not load gets no tap; the others do */
	for (size_t i = 0; i < n_bad; i++)
		vmm_notice("net up: skipped %s: %s", bad[i].name, bad[i].reason);
	store_free_all(all, n_all);
	store_free_invalid(bad, n_bad);
	return rc;
}

int lifecycle_start(const struct vmm_home *h, const struct vmm_profile *p,
		    const struct lifecycle_start_opts *o, struct lifecycle_started *out)
{
	struct vmm_start_opts so = { .install = o->install };
	struct vmm_netcfg n;
	bool remote, have_net = false, tap_made = false;
	char *seed = NULL;
	int lock = -1, rc = -1;

	memset(out, 0, sizeof(*out));
	const struct vmm_backend *b = checked_backend(p, o, &remote);
	if (!b || b->preflight(h, p, &so) < 0)
		return -1;
	if (store_load_net(h, &n) < 0)
		return -1;
	have_net = true;
	/* one start at a time per home: allocation, tap and spawn never collide */
	if ((lock = store_lock(h)) < 0)
		goto out;
	if (!remote) {
		if (ensure_network(h, &n, &out->net_brought_up) < 0)
			goto out;
		/* QEMU opens the tap as root before it drops anything; libvirtd opens it itself */
		if (hostnet_tap_attach(h, &n, p, (uid_t)-1, &tap_made) < 0)
			goto out;
	}
	if (seed_ensure(h, p, &n, &seed) < 0 || b->start(h, &n, p, &so, seed, &out->st) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0 && tap_made) { /* undo: the tap was this start's and no guest uses it */
		struct vmm_saved_error e;
		vmm_error_save(&e);
		hostnet_tap_release(h, p->tap);
		vmm_error_restore(&e);
	}
	if (lock >= 0)
		close(lock);
	free(seed);
	if (have_net)
		netcfg_free(&n);
	return rc;
}

enum guest_wait_kind lifecycle_wait_kind(const struct vmm_profile *p, const struct guest_wait *w)
{
	if (w->kind != GUEST_WAIT_AUTO)
		return w->kind;
	return p->n_ssh_keys ? GUEST_WAIT_SSH : GUEST_WAIT_PING;
}

struct wait_progress {
	lifecycle_progress_fn fn;
	void *arg;
	const char *what;
	uint64_t shown_s;
};

/* guest_wait reports every ~100 ms; the caller hears once a second */
static void wait_tick(void *arg, uint64_t elapsed_ms)
{
	struct wait_progress *w = arg;
	if (elapsed_ms / 1000 == w->shown_s)
		return;
	w->shown_s = elapsed_ms / 1000;
	w->fn(w->arg, w->what, elapsed_ms);
}

int lifecycle_wait(const struct vmm_home *h, const struct vmm_profile *p,
		   const struct guest_wait *w, lifecycle_progress_fn progress, void *arg,
		   uint64_t *elapsed_ms)
{
	char ip[16], what[40];
	(void)h;
	if (profile_ip(p, ip) < 0)
		return -1;
	enum guest_wait_kind kind = lifecycle_wait_kind(p, w);
	snprintf(what, sizeof(what), "%s at %s", kind == GUEST_WAIT_SSH ? "ssh" : "ping", ip);
	struct wait_progress wp = { progress, arg, what, 0 };
	int rc = kind == GUEST_WAIT_SSH
			 ? guest_wait_ssh(ip, 22, w->secs, progress ? wait_tick : NULL, &wp, elapsed_ms)
			 : guest_wait_ping(ip, w->secs, progress ? wait_tick : NULL, &wp, elapsed_ms);
	if (rc < 0) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s", vmm_errmsg());
		return vmm_fail("%s: %s (the guest still runs)", p->name, msg);
	}
	return 0;
}

int lifecycle_stop(const struct vmm_home *h, const struct vmm_profile *p, bool force,
		   int timeout_secs, enum vmm_state *was, enum vmm_stop_end *end)
{
	enum vmm_stop_end ended = VMM_STOP_NOT_RUNNING;
	const struct vmm_backend *b = backend_for(p);
	struct vmm_status st;
	char host[64];
	if (b->status(h, p, &st) < 0)
		return -1;
	if (was)
		*was = st.state;
	if (b->stop(h, p, force, timeout_secs, &ended) < 0)
		return -1;
	if (end)
		*end = ended;
	int remote = b->where ? b->where(p, host, sizeof(host)) : 0;
	if (remote != 0 || !p->tap[0])
		return remote < 0 ? -1 : 0;
	/* the guest is gone: its tap goes too (journaled), when this process may touch links */
	return hostnet_can_admin() ? hostnet_tap_release(h, p->tap) : 0;
}

int lifecycle_status(const struct vmm_home *h, const struct vmm_profile *p, struct vmm_status *st)
{
	memset(st, 0, sizeof(*st));
	int rc = backend_for(p)->status(h, p, st);
	if (!st->vnc_host[0])
		snprintf(st->vnc_host, sizeof(st->vnc_host), "%s", profile_vnc_listen(p));
	if (st->vnc_port <= 0)
		st->vnc_port = profile_vnc_port(p);
	return rc;
}

void lifecycle_status_any(const struct vmm_home *h, const struct vmm_profile *p,
			  struct vmm_status *st)
{
	if (lifecycle_status(h, p, st) < 0) {
		/* the backend could not tell (e.g. a remote host is unreachable): what the run
		 * state says, keeping the host the backend named */
		if (!st->host[0])
			snprintf(st->host, sizeof(st->host), "local");
		st->state = store_state(h, p->name, &st->pid);
	}
	vmm_error_clear();
}

int lifecycle_console(const struct vmm_home *h, const struct vmm_profile *p, int idle_ms)
{
	const struct vmm_backend *b = backend_for(p);
	if (b == &qemu_backend)
		return qemu_console(h, p, 0, 1, idle_ms);
	return b->console(h, p);
}
