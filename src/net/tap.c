// SPDX-License-Identifier: MIT
/* tap.c: persistent tap devices through /dev/net/tun ioctls, enslaved and set up with libnl;
 * the queue QEMU inherits */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <net/if_arp.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "vmm/sys/error.h"
#include "vmm/net/link.h"
#include "vmm/net/tap.h"

static int check_name(const char *tap)
{
	if (!tap || !*tap || strlen(tap) >= IFNAMSIZ || strchr(tap, '/') || strchr(tap, ' '))
		return vmm_invalid("tap \"%s\": not a valid interface name", tap ? tap : "");
	return 0;
}

static bool is_tun(struct rtnl_link *link)
{
	const char *kind = rtnl_link_get_type(link);
	return kind && !strcmp(kind, "tun");
}

/* An instant's hold of a tap by another vmm (net up making it persistent, net down removing
 * it) is waited out: HOLD_TRIES looks, HOLD_STEP_NS apart (200 ms in all). A guest holds it for
 * good. */
#define HOLD_TRIES 20
#define HOLD_STEP_NS 10000000L

static void hold_pause(void)
{
	struct timespec ts = { 0, HOLD_STEP_NS };
	nanosleep(&ts, NULL);
}

/* The one TUNSETIFF of vmm: attach a new /dev/net/tun descriptor to the tap (IFF_TAP|IFF_NO_PI,
 * or'ed with extra), creating it when it does not exist. Returns the fd (close-on-exec), -2 when
 * a process holds the tap (EBUSY, still after the pause above), -1 on another error. */
static int tun_attach(const char *tap, short extra)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return vmm_fail("tap %s: /dev/net/tun: %s", tap, strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | extra);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tap);
	int r, tries = 0;
	while ((r = ioctl(fd, TUNSETIFF, &ifr)) < 0 && errno == EBUSY && ++tries < HOLD_TRIES)
		hold_pause();
	if (r < 0) {
		int e = errno;
		close(fd);
		if (e == EBUSY)
			return -2;
		if (e == EINVAL)
			return vmm_fail("tap %s: exists and is not a tap device", tap);
		return vmm_fail("tap %s: TUNSETIFF: %s", tap, strerror(e));
	}
	return fd;
}

int tap_open_queue(const char *tap)
{
	if (check_name(tap) < 0)
		return -1;
	int fd = tun_attach(tap, IFF_VNET_HDR);
	if (fd == -2)
		return vmm_fail("tap %s: held open by another process", tap);
	return fd;
}

static void kind_of(struct rtnl_link *link, char *buf, size_t len)
{
	const char *kind = rtnl_link_get_type(link);
	snprintf(buf, len, "%s", kind ? kind : "device");
}

int tap_ensure_sk(struct nl_sock *sk, const char *tap, const char *bridge, uid_t owner,
		  uint32_t group, bool *created)
{
	struct rtnl_link *link = NULL, *chg = NULL;
	bool made = false;
	int fd = -1, rc = -1, err;

	if (created)
		*created = false;
	if (check_name(tap) < 0)
		return -1;
	if (link_get(sk, tap, &link) < 0)
		return -1;
	if (link && !is_tun(link)) {
		char kind[32];
		kind_of(link, kind, sizeof(kind));
		vmm_fail("tap %s: an interface of that name exists and is not a tap (it is a %s)",
			 tap, kind);
		goto out;
	}
	if (link && rtnl_link_get_arptype(link) != ARPHRD_ETHER) {
		vmm_fail("tap %s: exists and is a tun (layer 3) device, not a tap", tap);
		goto out;
	}
	/* An existing tap is persistent or held by its guest: leave it as it is (attaching
	 * would only flap its carrier). A new one is made persistent and given its owner. */
	fd = link ? -2 : tun_attach(tap, 0);
	if (fd == -1)
		goto out;
	if (fd >= 0) {
		made = !link;
		if (owner != (uid_t)-1 && ioctl(fd, TUNSETOWNER, (unsigned long)owner) < 0) {
			vmm_fail("tap %s: TUNSETOWNER: %s", tap, strerror(errno));
			goto out;
		}
		if (ioctl(fd, TUNSETPERSIST, 1UL) < 0) {
			vmm_fail("tap %s: TUNSETPERSIST: %s", tap, strerror(errno));
			goto out;
		}
		close(fd); /* persistent now: the device stays */
		fd = -1;
	}
	if (!link) {
		if (link_get(sk, tap, &link) < 0)
			goto out;
		if (!link) {
			vmm_fail("tap %s: vanished after creation", tap);
			goto out;
		}
	}

	int master = 0;
	if (bridge) {
		master = (int)if_nametoindex(bridge);
		if (master == 0) {
			vmm_fail("tap %s: bridge %s: %s", tap, bridge, strerror(errno));
			goto out;
		}
	}
	bool up = rtnl_link_get_flags(link) & IFF_UP;
	if (up && (!bridge || rtnl_link_get_master(link) == master) && !(made && group)) {
		rc = 0;
		goto out;
	}
	chg = rtnl_link_alloc();
	if (!chg) {
		vmm_fail("tap %s: out of memory", tap);
		goto out;
	}
	if (bridge)
		rtnl_link_set_master(chg, master);
	if (made && group)
		rtnl_link_set_group(chg, group);
	rtnl_link_set_flags(chg, IFF_UP);
	if ((err = rtnl_link_change(sk, link, chg, 0)) < 0) {
		vmm_fail("tap %s: enslave to %s and set up: %s", tap, bridge ? bridge : "-",
			 nl_geterror(err));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0 && made) { /* leave nothing behind: the tap was ours */
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", vmm_errmsg());
		tap_remove(tap);
		vmm_fail("%s", msg);
	}
	if (rc == 0 && created)
		*created = made;
	if (chg)
		rtnl_link_put(chg);
	if (link)
		rtnl_link_put(link);
	return rc;
}

int tap_ensure(const char *tap, const char *bridge, uid_t owner)
{
	struct nl_sock *sk = link_nl_open(tap ? tap : "tap");
	if (!sk)
		return -1;
	int rc = tap_ensure_sk(sk, tap, bridge, owner, 0, NULL);
	nl_socket_free(sk);
	return rc;
}

/* 1 tun device, 0 missing, -1 error (incl. "exists and is not a tap"). carrier (may be NULL):
 * a tap has carrier exactly while a process has it open (tun turns it on at attach and off
 * when the last queue detaches), which tells "in use" without attaching (attaching and closing
 * would cost an RCU synchronisation and flap the carrier). */
static int lookup_ex(const char *tap, int *master, bool *carrier)
{
	struct rtnl_link *link = NULL;
	struct nl_sock *sk = NULL;
	int rc = -1;

	if (check_name(tap) < 0)
		return -1;
	if (!(sk = link_nl_open(tap)))
		return -1;
	if (link_get(sk, tap, &link) < 0)
		goto out;
	if (!link) {
		rc = 0;
		goto out;
	}
	if (!is_tun(link)) {
		char kind[32];
		kind_of(link, kind, sizeof(kind));
		vmm_fail("tap %s: an interface of that name exists and is not a tap (it is a %s)",
			 tap, kind);
		goto out;
	}
	if (master)
		*master = rtnl_link_get_master(link);
	if (carrier)
		*carrier = rtnl_link_get_carrier(link) != 0;
	rc = 1;
out:
	if (link)
		rtnl_link_put(link);
	nl_socket_free(sk);
	return rc;
}

static int lookup(const char *tap, int *master)
{
	return lookup_ex(tap, master, NULL);
}

int tap_remove(const char *tap)
{
	int r = lookup(tap, NULL);
	if (r <= 0)
		return r;
	int fd = tun_attach(tap, 0);
	if (fd == -2)
		return vmm_fail("tap %s: in use by a running process", tap);
	if (fd < 0)
		return -1;
	if (ioctl(fd, TUNSETPERSIST, 0UL) < 0) {
		int e = errno;
		close(fd);
		return vmm_fail("tap %s: TUNSETPERSIST: %s", tap, strerror(e));
	}
	close(fd); /* the last reference to a non-persistent tap: the kernel deletes it */
	return 0;
}

bool tap_exists(const char *tap)
{
	int r = lookup(tap, NULL);
	vmm_error_clear();
	return r == 1;
}

int tap_in_use(const char *tap)
{
	bool carrier = false;
	int r = lookup_ex(tap, NULL, &carrier);
	if (r <= 0)
		return r;
	return carrier ? 1 : 0;
}

int tap_held(const char *tap)
{
	int r, tries = 0;
	while ((r = tap_in_use(tap)) == 1 && ++tries < HOLD_TRIES)
		hold_pause();
	return r;
}

int tap_master(const char *tap, char *master)
{
	int idx = 0;
	int r = lookup(tap, &idx);
	master[0] = '\0';
	if (r < 0)
		return -1;
	if (r == 0)
		return vmm_fail("tap %s: does not exist", tap);
	if (idx > 0 && !if_indextoname((unsigned)idx, master))
		master[0] = '\0';
	return 0;
}
