// SPDX-License-Identifier: MIT
/* lifecycle.c: start, wait, stop and status of a guest: one flow, backends supply what differs */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm/sys/error.h"
#include "vmm/guest/lifecycle.h"
#include "vmm/net/hostnet.h"
#include "vmm/net/netmode.h"
#include "vmm/net/tap.h"
#include "vmm/storage/seed.h"
#include "vmm/sys/util.h"
#include "vmm/config/validate.h"

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

/* The bridge, forwarding and firewall when they are not there, with every guest's tap (on the
 * host as root, else in the user's own namespace); net up again when only the bridge's dnsmasq
 * died. */
static int ensure_network(const struct vmm_home *h, const struct netmode *nm,
			  const struct vmm_netcfg *n, bool *brought_up)
{
	struct vmm_profile *all = NULL;
	size_t n_all = 0;
	int up = nm->is_up(h, n);
	if (up < 0)
		return -1;
	/* (in a user's own namespace no dnsmasq runs: netmode.c) */
	if (up > 0 && (nm->rootless || hostnet_services_alive(h, n)))
		return 0;
	if (up > 0) {
		vmm_notice("dnsmasq on %s was not running, starting it", n->bridge);
	} else {
		*brought_up = true;
		vmm_notice("network %s was down, bringing it up%s", n->bridge,
			   nm->rootless ? " in a network namespace of your own (without root)" : "");
	}
	struct store_invalid *bad = NULL;
	size_t n_bad = 0;
	int rc = store_load_all(h, &all, &n_all, &bad, &n_bad) < 0 ? -1 : nm->up(h, n, all, n_all);
	/* a profile that does not load gets no tap; the others do */
	for (size_t i = 0; i < n_bad; i++)
		vmm_notice("net up: skipped %s: %s", bad[i].name, bad[i].reason);
	store_free_all(all, n_all);
	store_free_invalid(bad, n_bad);
	return rc;
}

/* After a failed start: the grants for the guest's QEMU user go, unless the guest runs (a second
 * start of a running guest fails too, and must leave it what it has). */
static void release_if_stopped(const struct vmm_home *h, const struct vmm_backend *b,
			       const struct vmm_profile *p)
{
	struct vmm_status st;
	if (b->status(h, p, &st) < 0 || st.state != VMM_RUNNING)
		backend_guest_release(h, p);
}

int lifecycle_start(const struct vmm_home *h, const struct vmm_profile *p,
		    const struct lifecycle_start_opts *o, struct lifecycle_started *out)
{
	struct vmm_start_opts so = { .install = o->install };
	struct vmm_netcfg n;
	bool remote, have_net = false, tap_made = false;
	char *seed = NULL;
	int lock = -1, rc = -1, guest_lock = -1, tap_fd = -1;
	const struct netmode *nm = netmode_current();

	memset(out, 0, sizeof(*out));
	const struct vmm_backend *b = checked_backend(p, o, &remote);
	/* the guest's own lock before anything is looked at: a second start of it waits, then
	 * finds it running and touches nothing */
	if (!b || (guest_lock = store_guest_lock(h, p->name)) < 0)
		return -1;
	if (b->preflight(h, p, &so) < 0)
		goto out;
	/* network = "user": the guest is alone behind its own passt (the backend's): no bridge.
	 * Without root the bridge is in the user's namespace: only a QEMU of vmm's, handed a queue
	 * of its tap, can join it (libvirtd opens a tap by name, in its own namespace) */
	bool bridged = !remote && !profile_net_user(p);
	if (nm->rootless && bridged && !b->tap_fd) {
		vmm_invalid("%s: backend %s without root: its guests cannot join the bridge in your "
			    "own network namespace (backend qemu can; or network = \"user\"; or as "
			    "root, the host bridge)", p->name, b->name);
		goto out;
	}
	if (store_load_net(h, &n) < 0)
		goto out;
	have_net = true;
	if (!remote && store_net_resolve(h, &n) < 0)
		goto out;
	/* one start at a time per home: allocation, tap and spawn never collide */
	if ((lock = store_lock(h)) < 0)
		goto out;
	/* a tap another process holds (a QEMU started by hand) is refused before the network is
	 * touched; checked under the lock, where another start's net up has finished with it */
	if (bridged && !nm->rootless && b->tap_fd && tap_held(p->tap) == 1) {
		vmm_fail("%s: tap %s: held open by another process", p->name, p->tap);
		goto out;
	}
	vmm_error_clear();
	if (bridged) {
		if (ensure_network(h, nm, &n, &out->net_brought_up) < 0 ||
		    nm->tap_attach(h, &n, p, &tap_made) < 0)
			goto out;
		/* QEMU inherits a queue vmm opens where the tap lives (the host, or the user's
		 * namespace); libvirtd opens it itself */
		if (b->tap_fd && (tap_fd = nm->tap_open(h, p)) < 0)
			goto out;
	}
	if (seed_ensure(h, p, &n, &seed) < 0 || b->start(h, &n, p, &so, seed, tap_fd, &out->st) < 0)
		goto out;
	rc = 0;
out:
	if (tap_fd >= 0) /* QEMU has its copy; a failed start's tap can go */
		close(tap_fd);
	if (rc < 0 && have_net) { /* undo: the tap was this start's and no guest uses it */
		struct vmm_saved_error e;
		vmm_error_save(&e);
		if (tap_made)
			nm->tap_release(h, p->tap);
		release_if_stopped(h, b, p);
		vmm_error_restore(&e);
	}
	if (lock >= 0)
		close(lock);
	close(guest_lock);
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

struct wait_job {
	enum guest_wait_kind kind;
	const char *ip;
	unsigned port;
	unsigned secs;
	struct wait_progress *wp; /* NULL: no progress */
};

/* The wait itself, where the guests' addresses are reachable (here as root; in a child inside
 * the user's namespace without root; here for a guest behind its own passt). */
static int wait_at(void *arg, void *out, int *fd)
{
	const struct wait_job *j = arg;
	guest_wait_progress_fn fn = j->wp ? wait_tick : NULL;
	(void)fd;
	return j->kind == GUEST_WAIT_SSH ? guest_wait_ssh(j->ip, j->port, j->secs, fn, j->wp, out)
					 : guest_wait_ping(j->ip, j->secs, fn, j->wp, out);
}

int lifecycle_wait_where(const struct vmm_profile *p, const struct guest_wait *w, char ip[16],
			 unsigned *port)
{
	enum guest_wait_kind kind = lifecycle_wait_kind(p, w);
	*port = 22;
	if (!profile_net_user(p))
		return profile_ip(p, ip);
	/* behind its own passt the guest has no address of the host's: only its forwards */
	if (kind == GUEST_WAIT_PING)
		return vmm_invalid("%s: --wait=ping needs the bridge (network = \"user\": the guest "
				   "is reached through its forwards only; --wait=ssh waits at the "
				   "forward of its port 22)", p->name);
	if (!(*port = profile_forward_to(p, 22)))
		return vmm_invalid("%s: --wait for ssh with network = \"user\" needs a forward to "
				   "its port 22 (vmm set %s forward=2222:22)", p->name, p->name);
	snprintf(ip, 16, "127.0.0.1");
	return 0;
}

int lifecycle_wait(const struct vmm_home *h, const struct vmm_profile *p,
		   const struct guest_wait *w, lifecycle_progress_fn progress, void *arg,
		   uint64_t *elapsed_ms)
{
	char ip[16], what[48];
	unsigned port;
	uint64_t ms = 0;
	if (lifecycle_wait_where(p, w, ip, &port) < 0)
		return -1;
	enum guest_wait_kind kind = lifecycle_wait_kind(p, w);
	snprintf(what, sizeof(what), "%s at %s", kind == GUEST_WAIT_SSH ? "ssh" : "ping", ip);
	if (port != 22)
		snprintf(what, sizeof(what), "ssh at %s:%u", ip, port);
	struct wait_progress wp = { progress, arg, what, 0 };
	struct wait_job j = { kind, ip, port, w->secs, progress ? &wp : NULL };
	int rc = profile_net_user(p) ? wait_at(&j, &ms, NULL)
				     : netmode_current()->call(h, wait_at, &j, &ms, sizeof(ms));
	if (elapsed_ms)
		*elapsed_ms = ms;
	if (rc < 0) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s", vmm_errmsg());
		return vmm_fail("%s: %s (the guest still runs)", p->name, msg);
	}
	return 0;
}

static int stop_locked(const struct vmm_home *h, const struct vmm_profile *p, bool force,
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
	if (remote == 0 && backend_guest_release(h, p) < 0)
		return -1; /* what libvirt's QEMU user was given for it goes with the guest */
	if (remote != 0 || !p->tap[0] || profile_net_user(p))
		return remote < 0 ? -1 : 0;
	/* the guest is gone: its tap goes too (journaled), when this process may touch links */
	return netmode_current()->tap_release(h, p->tap);
}

int lifecycle_stop(const struct vmm_home *h, const struct vmm_profile *p, bool force,
		   int timeout_secs, enum vmm_state *was, enum vmm_stop_end *end)
{
	/* one at a time with the guest's starts: a start under way finishes first */
	int lock = store_guest_lock(h, p->name);
	if (lock < 0)
		return -1;
	int rc = stop_locked(h, p, force, timeout_secs, was, end);
	close(lock);
	return rc;
}

int lifecycle_status(const struct vmm_home *h, const struct vmm_profile *p, struct vmm_status *st)
{
	memset(st, 0, sizeof(*st));
	int rc = backend_for(p)->status(h, p, st);
	if (!st->vnc_host[0] && profile_vnc_tcp(p)) /* (a socket has no address to guess) */
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
	return backend_for(p)->console(h, p, idle_ms);
}
