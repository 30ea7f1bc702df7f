// SPDX-License-Identifier: MIT
/* wait.c: wait for a started guest: the SSH banner on port 22 (a TCP poll), or ping */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vmm/sys/error.h"
#include "vmm/guest/wait.h"
#include "vmm/sys/util.h"

#define POLL_MS 100
#define CONNECT_MS 1000

int guest_wait_parse(const char *arg, struct guest_wait *w)
{
	w->kind = GUEST_WAIT_AUTO;
	w->secs = GUEST_WAIT_DEFAULT_SECS;
	if (!arg)
		return 0;
	const char *num = arg;
	if (!strncmp(arg, "ssh", 3) && (arg[3] == '\0' || arg[3] == ':')) {
		w->kind = GUEST_WAIT_SSH;
		num = arg[3] ? arg + 4 : NULL;
	} else if (!strncmp(arg, "ping", 4) && (arg[4] == '\0' || arg[4] == ':')) {
		w->kind = GUEST_WAIT_PING;
		num = arg[4] ? arg + 5 : NULL;
	}
	if (num) {
		unsigned long v;
		if (util_parse_uint("--wait", num, 1, 86400, &v) < 0)
			return vmm_invalid("--wait %s: want ssh, ping, SECS, ssh:SECS or ping:SECS "
					   "(SECS from 1 to 86400)",
					   arg);
		w->secs = (unsigned)v;
	}
	return 0;
}

const char *guest_wait_name(enum guest_wait_kind k)
{
	return k == GUEST_WAIT_SSH ? "ssh" : k == GUEST_WAIT_PING ? "ping" : "auto";
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* One attempt: 1 = banner seen, 0 = not (yet). */
static int ssh_banner_once(const struct sockaddr_in *sa, uint64_t deadline)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	int ok = 0;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 && errno != EINPROGRESS)
		goto out;
	char buf[256];
	size_t len = 0;
	uint64_t until = util_now_ms() + CONNECT_MS;
	if (until > deadline)
		until = deadline;
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	/* connected? */
	uint64_t now = util_now_ms();
	if (now >= until || poll(&p, 1, (int)(until - now)) <= 0)
		goto out;
	int err = 0;
	socklen_t el = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err)
		goto out;
	/* the server speaks first: "SSH-2.0-..." (RFC 4253 allows other lines before it; a guest's
	 * sshd sends none, but they are skipped) */
	until = util_now_ms() + 5000;
	if (until > deadline)
		until = deadline;
	for (;;) {
		now = util_now_ms();
		p.events = POLLIN;
		if (now >= until || poll(&p, 1, (int)(until - now)) <= 0)
			goto out;
		ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (r <= 0)
			goto out;
		len += (size_t)r;
		buf[len] = '\0';
		char *line = buf;
		char *nl;
		while ((nl = strchr(line, '\n'))) {
			if (!strncmp(line, "SSH-", 4)) {
				ok = 1;
				goto out;
			}
			line = nl + 1;
		}
		if (!strncmp(line, "SSH-", 4) && strlen(line) >= 8) {
			ok = 1;
			goto out;
		}
		if (len == sizeof(buf) - 1) /* a long non-SSH line: keep the tail */
			len = 0;
	}
out:
	close(fd);
	return ok;
}

int guest_wait_ssh(const char *ip, unsigned port, unsigned secs, guest_wait_progress_fn fn,
		   void *arg, uint64_t *elapsed_ms)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		return vmm_invalid("address %s: not an IPv4 address", ip);
	uint64_t start = util_now_ms(), deadline = start + (uint64_t)secs * 1000;
	for (;;) {
		uint64_t t0 = util_now_ms();
		if (ssh_banner_once(&sa, deadline)) {
			if (elapsed_ms)
				*elapsed_ms = util_now_ms() - start;
			return 0;
		}
		uint64_t now = util_now_ms();
		if (now >= deadline)
			return vmm_fail("no SSH banner at %s:%u after %u s", ip, port, secs);
		if (fn)
			fn(arg, now - start);
		if (now - t0 < POLL_MS)
			sleep_ms((unsigned)(POLL_MS - (now - t0)));
	}
}

/* The Internet checksum (RFC 1071) of an ICMP message. */
static uint16_t icmp_sum(const void *data, size_t len)
{
	const uint8_t *b = data;
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * Echo requests every 100 ms on one ICMP socket, until a reply from sa comes: the guest is seen
 * within ~100 ms of answering, without a process per attempt. An unprivileged ICMP socket when
 * net.ipv4.ping_group_range allows it, else a raw one (root). 1 = answered, 0 = time out,
 * -1 = no ICMP socket here (the caller falls back to ping(8)).
 */
static int icmp_wait(const struct sockaddr_in *sa, uint64_t deadline, guest_wait_progress_fn fn,
		     void *arg, uint64_t start)
{
	bool raw = false;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMP);
	if (fd < 0) {
		fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMP);
		raw = true;
	}
	if (fd < 0)
		return -1;
	uint16_t id = (uint16_t)(getpid() ^ 0x766d), seq = 0;
	int ok = 0;
	uint64_t next = 0;
	for (;;) {
		uint64_t now = util_now_ms();
		if (now >= deadline)
			break;
		if (now >= next) {
			uint8_t pkt[16] = { 8, 0, 0, 0, (uint8_t)(id >> 8), (uint8_t)id,
					    (uint8_t)(seq >> 8), (uint8_t)seq, 'v', 'm', 'm' };
			seq++;
			uint16_t c = icmp_sum(pkt, sizeof(pkt));
			pkt[2] = (uint8_t)(c >> 8);
			pkt[3] = (uint8_t)c;
			/* errors (no route yet, neighbour unresolved) just mean: not yet */
			(void)sendto(fd, pkt, sizeof(pkt), 0, (const struct sockaddr *)sa, sizeof(*sa));
			next = now + POLL_MS;
			if (fn && now > start)
				fn(arg, now - start);
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t until = next < deadline ? next : deadline;
		if (poll(&p, 1, (int)(until - now)) <= 0)
			continue;
		uint8_t buf[1500];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t r;
		while ((r = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl)) > 0) {
			const uint8_t *icmp = buf;
			size_t len = (size_t)r;
			fl = sizeof(from);
			if (raw) { /* the IP header comes first */
				size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
				if (len < ihl + 8)
					continue;
				icmp += ihl;
				len -= ihl;
			}
			/* an echo reply from the guest (a raw socket sees every ICMP message; the
			 * kernel matches the id of an unprivileged one itself) */
			if (len >= 8 && icmp[0] == 0 && from.sin_addr.s_addr == sa->sin_addr.s_addr &&
			    (!raw || (icmp[4] == (uint8_t)(id >> 8) && icmp[5] == (uint8_t)id))) {
				ok = 1;
				goto out;
			}
		}
	}
out:
	close(fd);
	return ok;
}

int guest_wait_ping(const char *ip, unsigned secs, guest_wait_progress_fn fn, void *arg,
		    uint64_t *elapsed_ms)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		return vmm_invalid("address %s: not an IPv4 address", ip);
	uint64_t start = util_now_ms(), deadline = start + (uint64_t)secs * 1000;
	int r = icmp_wait(&sa, deadline, fn, arg, start);
	if (r == 1) {
		if (elapsed_ms)
			*elapsed_ms = util_now_ms() - start;
		return 0;
	}
	if (r == 0)
		return vmm_fail("no answer to ping at %s after %u s", ip, secs);
	/* no ICMP socket for this process: ping(8), spawned with an argv */
	char *argv[] = { "ping", "-n", "-q", "-c", "1", "-W", "1", (char *)ip, NULL };
	for (;;) {
		uint64_t t0 = util_now_ms();
		int st = util_run(argv, NULL, NULL);
		if (st < 0)
			return -1;
		uint64_t now = util_now_ms();
		if (st == 0) {
			if (elapsed_ms)
				*elapsed_ms = now - start;
			return 0;
		}
		if (now >= deadline)
			return vmm_fail("no answer to ping at %s after %u s", ip, secs);
		if (fn)
			fn(arg, now - start);
		if (now - t0 < 2 * POLL_MS)
			sleep_ms((unsigned)(2 * POLL_MS - (now - t0)));
	}
}
