// SPDX-License-Identifier: MIT
/* test_guest_wait.c: the readiness waits against real sockets on loopback: an SSH banner is
 * ready, another server's greeting or a closed port is not; ping of a live address */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/sys/error.h"
#include "vmm/guest/wait.h"
#include "vmm/sys/util.h"

struct server {
	int fd;
	unsigned port;
	const char *greeting;
	pthread_t th;
};

static void *serve(void *arg)
{
	struct server *s = arg;
	for (;;) {
		int c = accept(s->fd, NULL, NULL);
		if (c < 0)
			return NULL;
		if (write(c, s->greeting, strlen(s->greeting)) < 0) {
			/* the client went away: fine */
		}
		usleep(200 * 1000);
		close(c);
	}
}

static void server_start(struct server *s, const char *greeting)
{
	s->greeting = greeting;
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->fd >= 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	socklen_t l = sizeof(sa);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&sa, &l), 0);
	s->port = ntohs(sa.sin_port);
	assert_int_equal(listen(s->fd, 8), 0);
	assert_int_equal(pthread_create(&s->th, NULL, serve, s), 0);
}

static void server_stop(struct server *s)
{
	shutdown(s->fd, SHUT_RDWR);
	close(s->fd);
	pthread_join(s->th, NULL);
}

static void test_ssh_banner(void **state)
{
	struct server s;
	server_start(&s, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n");
	uint64_t ms = 99999;
	assert_int_equal(guest_wait_ssh("127.0.0.1", s.port, 5, NULL, NULL, &ms), 0);
	assert_true(ms < 2000);
	server_stop(&s);
}

static void test_not_ssh(void **state)
{
	struct server s;
	server_start(&s, "220 smtp.example ESMTP\r\n");
	uint64_t t0 = util_now_ms();
	assert_int_equal(guest_wait_ssh("127.0.0.1", s.port, 1, NULL, NULL, NULL), -1);
	assert_non_null(strstr(vmm_errmsg(), "no SSH banner at 127.0.0.1:"));
	assert_true(util_now_ms() - t0 >= 1000);
	server_stop(&s);
}

static void test_closed_port(void **state)
{
	/* a port nobody listens on: refused at once, retried until the time is up */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	socklen_t l = sizeof(sa);
	getsockname(fd, (struct sockaddr *)&sa, &l);
	close(fd);
	assert_int_equal(guest_wait_ssh("127.0.0.1", ntohs(sa.sin_port), 1, NULL, NULL, NULL), -1);
	assert_int_equal(guest_wait_ssh("not-an-ip", 22, 1, NULL, NULL, NULL), -1);
}

static void test_ping_loopback(void **state)
{
	uint64_t ms = 99999;
	assert_int_equal(guest_wait_ping("127.0.0.1", 5, NULL, NULL, &ms), 0);
	assert_true(ms < 2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ssh_banner),
		cmocka_unit_test(test_not_ssh),
		cmocka_unit_test(test_closed_port),
		cmocka_unit_test(test_ping_loopback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
