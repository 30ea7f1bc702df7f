// SPDX-License-Identifier: MIT
/* netmode.c: the guests' bridge on the host (root) or in a namespace the user owns: one row each */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netlink/netlink.h>

#include "vmm/net/forward.h"
#include "vmm/net/hostnet.h"
#include "vmm/net/link.h"
#include "vmm/net/netmode.h"
#include "vmm/net/tap.h"
#include "vmm/net/userns.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

/* ---- the host's own network (root) ---- */

static int host_is_up(const struct vmm_home *h, const struct vmm_netcfg *n)
{
	(void)h;
	return hostnet_is_up(n);
}

static int host_tap_attach(const struct vmm_home *h, const struct vmm_netcfg *n,
			   const struct vmm_profile *p, bool *created)
{
	/* QEMU opens the tap as root before it drops anything; libvirtd opens it itself */
	return hostnet_tap_attach(h, n, p, (uid_t)-1, created);
}

static int host_tap_open(const struct vmm_home *h, const struct vmm_profile *p)
{
	(void)h;
	return tap_open_queue(p->tap);
}

static int host_tap_release(const struct vmm_home *h, const char *tap)
{
	return hostnet_can_admin() ? hostnet_tap_release(h, tap) : 0;
}

static int host_forwards_possible(const struct vmm_profile *p)
{
	(void)p; /* root binds any port (forward_conflict asks for '!' below 1024) */
	return 0;
}

static int host_call(const struct vmm_home *h, userns_fn fn, void *arg, void *out, size_t len)
{
	int fd = -1;
	(void)h;
	(void)len;
	int rc = fn(arg, out, &fd);
	if (fd >= 0)
		close(fd);
	return rc;
}

static int host_enter(const struct vmm_home *h)
{
	(void)h;
	return 0;
}

const struct netmode netmode_host = {
	.name = "host",
	.rootless = false,
	.is_up = host_is_up,
	.up = hostnet_up,
	.down = hostnet_down_ex,
	.plan = hostnet_plan,
	.tap_attach = host_tap_attach,
	.tap_open = host_tap_open,
	.tap_release = host_tap_release,
	.forwards_possible = host_forwards_possible,
	.forwards_check = hostnet_forwards_check,
	.forwards_update = hostnet_forwards_update,
	.call = host_call,
	.enter = host_enter,
};

/* ---- a namespace of the user's: the same hostnet code, run inside (userns_call) ---- */

struct ns_args {
	const struct vmm_home *h;
	const struct vmm_netcfg *n;
	const struct vmm_profile *guests; /* or the one guest */
	size_t n_guests;
	bool force;
	const char *tap;
};

/* net.cfg as the namespace takes it: no dnsmasq there (it drops its groups with setgroups,
 * which a user's own namespace denies), the guests keep their seed's addresses. A shallow copy:
 * its strings stay n's. */
static struct vmm_netcfg ns_cfg(const struct vmm_netcfg *n)
{
	struct vmm_netcfg m = *n;
	m.dhcp = false;
	return m;
}

#define ROUTE_LOCALNET "/proc/sys/net/ipv4/conf/%s/route_localnet"

static int localnet(const char *dev)
{
	char path[96];
	snprintf(path, sizeof(path), ROUTE_LOCALNET, dev);
	return util_write_str(path, "1");
}

static int in_is_up(void *arg, void *out, int *fd)
{
	const struct ns_args *a = arg;
	(void)fd;
	*(int *)out = hostnet_is_up(a->n);
	return *(int *)out < 0 ? -1 : 0;
}

static int ns_is_up(const struct vmm_home *h, const struct vmm_netcfg *n)
{
	struct userns_info u;
	struct vmm_netcfg m = ns_cfg(n);
	struct ns_args a = { .h = h, .n = &m };
	int up = 0;
	if (userns_info(h, &u) < 0)
		return -1;
	if (!u.holder || !u.pasta)
		return 0;
	return userns_call(h, in_is_up, &a, &up, sizeof(up), NULL) < 0 ? -1 : up;
}

/* Inside: loopback up; the host's own 127.0.0.1:PORT arrives as this namespace's loopback (pasta),
 * and reaches a guest only with route_localnet (DNAT in output, masquerade out of the bridge:
 * the firewall's rules here); then what net up does as root. */
static int in_up(void *arg, void *out, int *fd)
{
	const struct ns_args *a = arg;
	(void)out;
	(void)fd;
	struct nl_sock *sk = link_nl_open(NULL);
	int rc = sk ? link_set_up(sk, "lo", true) : -1;
	if (sk)
		nl_socket_free(sk);
	if (rc == 0 && (localnet("all") < 0 || localnet("default") < 0))
		rc = -1;
	if (rc == 0)
		rc = hostnet_up(a->h, a->n, a->guests, a->n_guests);
	return rc == 0 ? localnet(a->n->bridge) : -1;
}

static int ns_up(const struct vmm_home *h, const struct vmm_netcfg *n,
		 const struct vmm_profile *guests, size_t n_guests)
{
	struct vmm_netcfg m = ns_cfg(n);
	struct ns_args a = { .h = h, .n = &m, .guests = guests, .n_guests = n_guests };
	bool made = false;
	if (userns_ensure(h, guests, n_guests, &made) < 0)
		return -1;
	int rc = userns_call(h, in_up, &a, NULL, 0, NULL);
	if (rc < 0 && made) { /* nothing half-done: the namespace this call made goes */
		struct vmm_saved_error e;
		vmm_error_save(&e);
		userns_stop(h);
		vmm_error_restore(&e);
	}
	return rc;
}

static int in_down(void *arg, void *out, int *fd)
{
	const struct ns_args *a = arg;
	(void)fd;
	return hostnet_down_ex(a->h, a->n, a->guests, a->n_guests, a->force, out);
}

static int ns_down(const struct vmm_home *h, const struct vmm_netcfg *n,
		   const struct vmm_profile *guests, size_t n_guests, bool force, bool *nothing)
{
	struct vmm_netcfg m = ns_cfg(n);
	struct ns_args a = { .h = h, .n = &m, .guests = guests, .n_guests = n_guests, .force = force };
	struct userns_info u;
	bool none = false;
	if (nothing)
		*nothing = false;
	if (userns_info(h, &u) < 0)
		return -1;
	if (!u.holder) {
		if (nothing)
			*nothing = true;
		return 0;
	}
	/* refused while guests run (unless force): then everything stays */
	if (userns_call(h, in_down, &a, &none, sizeof(none), NULL) < 0)
		return -1;
	return userns_stop(h);
}

/* The namespace's part of a plan: holder and pasta, kept or started (up), stopped (down). */
static void plan_ns(FILE *t, const struct userns_info *u, const struct vmm_profile *guests,
		    size_t n_guests, bool down)
{
	char tcp[USERNS_PORTS_MAX], udp[USERNS_PORTS_MAX];
	userns_ports(guests, n_guests, tcp, udp);
	if (down) {
		fprintf(t, "stop pasta (pid %ld)\n", (long)u->pasta);
		fprintf(t, "stop the namespace holder (pid %ld): the namespace goes with all in it\n",
			(long)u->holder);
		return;
	}
	if (u->holder)
		fprintf(t, "namespace: held by pid %ld\n", (long)u->holder);
	else
		fprintf(t, "start the namespace holder " USERNS_HOLDER_NAME ": a user and network "
			   "namespace of uid %u, root inside\n", (unsigned)getuid());
	if (u->pasta && !strcmp(u->tcp, tcp) && !strcmp(u->udp, udp))
		fprintf(t, "pasta (pid %ld) forwards tcp %s, udp %s\n", (long)u->pasta, tcp, udp);
	else
		fprintf(t, "%s pasta --config-net --no-map-gw -q -f -t %s -u %s -T none -U none "
			   "HOLDER\n", u->pasta ? "restart" : "start", tcp, udp);
	fprintf(t, "set route_localnet = 1 (all, default, the bridge): the host's loopback "
		   "reaches the forwards\n");
}

static int ns_plan(const struct vmm_home *h, const struct vmm_netcfg *n,
		   const struct vmm_profile *guests, size_t n_guests, bool down, char **text)
{
	struct userns_info u;
	char *inner = NULL;
	size_t len = 0;
	*text = NULL;
	if (userns_info(h, &u) < 0)
		return -1;
	if (down && !u.holder) {
		*text = util_fmt("no namespace of vmm's runs for this home\n");
		return 0;
	}
	FILE *t = open_memstream(text, &len);
	if (!t)
		abort();
	if (!down)
		plan_ns(t, &u, guests, n_guests, false);
	/* what hostnet would do there: in the namespace, or a fresh empty one just like it */
	int rc = u.holder ? userns_enter(h) : userns_private();
	struct vmm_netcfg m = ns_cfg(n);
	if (rc == 0)
		rc = hostnet_plan(h, &m, guests, n_guests, down, &inner);
	if (rc == 0) {
		fprintf(t, "inside the namespace:\n");
		for (char *l = inner, *e; l && *l; l = e + 1) {
			e = strchr(l, '\n');
			fprintf(t, "  %.*s\n", e ? (int)(e - l) : (int)strlen(l), l);
			if (!e)
				break;
		}
	}
	if (rc == 0 && down)
		plan_ns(t, &u, guests, n_guests, true);
	fclose(t);
	free(inner);
	if (rc < 0) {
		free(*text);
		*text = NULL;
	}
	return rc;
}

static int in_tap_attach(void *arg, void *out, int *fd)
{
	const struct ns_args *a = arg;
	(void)fd;
	return hostnet_tap_attach(a->h, a->n, a->guests, (uid_t)-1, out);
}

static int ns_tap_attach(const struct vmm_home *h, const struct vmm_netcfg *n,
			 const struct vmm_profile *p, bool *created)
{
	struct ns_args a = { .h = h, .n = n, .guests = p, .n_guests = 1 };
	*created = false;
	return userns_call(h, in_tap_attach, &a, created, sizeof(*created), NULL);
}

static int in_tap_open(void *arg, void *out, int *fd)
{
	const struct ns_args *a = arg;
	(void)out;
	*fd = tap_open_queue(a->guests->tap);
	return *fd < 0 ? -1 : 0;
}

static int ns_tap_open(const struct vmm_home *h, const struct vmm_profile *p)
{
	struct ns_args a = { .h = h, .guests = p, .n_guests = 1 };
	int fd = -1;
	return userns_call(h, in_tap_open, &a, NULL, 0, &fd) < 0 ? -1 : fd;
}

static int in_tap_release(void *arg, void *out, int *fd)
{
	const struct ns_args *a = arg;
	(void)out;
	(void)fd;
	return hostnet_tap_release(a->h, a->tap);
}

static int ns_tap_release(const struct vmm_home *h, const char *tap)
{
	struct ns_args a = { .h = h, .tap = tap };
	struct userns_info u;
	if (userns_info(h, &u) < 0)
		return -1;
	return u.holder ? userns_call(h, in_tap_release, &a, NULL, 0, NULL) : 0;
}

static int ns_forwards_possible(const struct vmm_profile *p)
{
	return userns_check_ports(p, 1);
}

static int ns_forwards_check(const struct vmm_home *h)
{
	(void)h; /* the namespace is the user's own: its firewall is always theirs to change */
	return 0;
}

static int in_forwards(void *arg, void *out, int *fd)
{
	const struct ns_args *a = arg;
	(void)out;
	(void)fd;
	return hostnet_forwards_update(a->h, a->n, a->guests, a->n_guests);
}

/* The firewall's forwards inside first, then pasta's ports (restarted when they changed). */
static int ns_forwards_update(const struct vmm_home *h, const struct vmm_netcfg *n,
			      const struct vmm_profile *guests, size_t n_guests)
{
	struct ns_args a = { .h = h, .n = n, .guests = guests, .n_guests = n_guests };
	struct userns_info u;
	bool made = false;
	if (userns_info(h, &u) < 0)
		return -1;
	if (!u.holder)
		return 0; /* not up: net up forwards them */
	if (userns_call(h, in_forwards, &a, NULL, 0, NULL) < 0)
		return -1;
	return userns_ensure(h, guests, n_guests, &made);
}

static int ns_call(const struct vmm_home *h, userns_fn fn, void *arg, void *out, size_t len)
{
	return userns_call(h, fn, arg, out, len, NULL);
}

const struct netmode netmode_userns = {
	.name = "user namespace",
	.rootless = true,
	.is_up = ns_is_up,
	.up = ns_up,
	.down = ns_down,
	.plan = ns_plan,
	.tap_attach = ns_tap_attach,
	.tap_open = ns_tap_open,
	.tap_release = ns_tap_release,
	.forwards_possible = ns_forwards_possible,
	.forwards_check = ns_forwards_check,
	.forwards_update = ns_forwards_update,
	.call = ns_call,
	.enter = userns_enter,
};

const struct netmode *netmode_current(void)
{
	static int rootless = -1;
	if (userns_inside())
		return &netmode_userns;
	if (rootless < 0)
		rootless = geteuid() != 0 && !hostnet_can_admin();
	return rootless ? &netmode_userns : &netmode_host;
}
