// SPDX-License-Identifier: MIT
/* guest_wait.c: wait for a started guest: the SSH banner on port 22 (a TCP poll), or ping */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vmm/error.h"
#include "vmm/guest_wait.h"
#include "vmm/util.h"

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

int guest_wait_ping(const char *ip, unsigned secs, guest_wait_progress_fn fn, void *arg,
		    uint64_t *elapsed_ms)
{
	char *argv[] = { "ping", "-n", "-q", "-c", "1", "-W", "1", (char *)ip, NULL };
	uint64_t start = util_now_ms(), deadline = start + (uint64_t)secs * 1000;
	for (;;) {
		uint64_t t0 = util_now_ms();
		int r = util_run(argv, NULL, NULL);
		if (r < 0)
			return -1;
		uint64_t now = util_now_ms();
		if (r == 0) {
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
