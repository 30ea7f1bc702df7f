// SPDX-License-Identifier: MIT
/* test_qmp.c: the QMP framer on byte buffers and the client against canned replies on a socketpair */
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
#include "vmm/backend/qmp.h"

#define GREETING                                                                          \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, " \
	"\"package\": \"Debian 1:7.2\"}, \"capabilities\": [\"oob\"]}}\r\n"
#define EVENT(name)                                                                   \
	"{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 1}, \"event\": \"" name \
	"\"}\r\n"

static const char *member(json_object *o, const char *key)
{
	json_object *v = NULL;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static void test_framer_one_buffer_many(void **state)
{
	struct qmp_framer f;
	json_object *m = NULL;
	assert_int_equal(qmp_framer_init(&f), 0);
	const char *in = GREETING EVENT("RESUME") "{\"return\": {}, \"id\": \"vmm-1\"}\r\n";
	qmp_framer_feed(&f, in, strlen(in));
	assert_int_equal(qmp_framer_next(&f, &m), 1);
	assert_int_equal(qmp_kind(m), QMP_GREETING);
	json_object_put(m);
	assert_int_equal(qmp_framer_next(&f, &m), 1);
	assert_int_equal(qmp_kind(m), QMP_EVENT);
	assert_string_equal(member(m, "event"), "RESUME");
	json_object_put(m);
	assert_int_equal(qmp_framer_next(&f, &m), 1);
	assert_int_equal(qmp_kind(m), QMP_RETURN);
	assert_string_equal(member(m, "id"), "vmm-1");
	json_object_put(m);
	assert_int_equal(qmp_framer_next(&f, &m), 0);
	assert_null(m);
	qmp_framer_free(&f);
}

/* Every way of cutting a stream of three messages gives the same three messages. */
static void test_framer_split_everywhere(void **state)
{
	const char *in = EVENT("STOP") "{\"return\": {\"running\": true, \"status\": \"run,ning\"}, "
				       "\"id\": \"vmm-2\"}\r\n{\"error\": {\"class\": \"GenericError\", "
				       "\"desc\": \"nope \\\"}\\\"\"}, \"id\": \"x\"}\n";
	size_t len = strlen(in);
	for (size_t cut = 0; cut <= len; cut++) {
		for (size_t cut2 = cut; cut2 <= len; cut2 += 7) {
			struct qmp_framer f;
			json_object *m = NULL;
			enum qmp_kind kinds[8];
			int n = 0;
			assert_int_equal(qmp_framer_init(&f), 0);
			size_t parts[] = { 0, cut, cut2, len };
			for (int i = 0; i < 3; i++) {
				qmp_framer_feed(&f, in + parts[i], parts[i + 1] - parts[i]);
				int r;
				while ((r = qmp_framer_next(&f, &m)) == 1) {
					assert_true(n < 8);
					kinds[n++] = qmp_kind(m);
					if (n == 2) {
						json_object *ret = NULL, *st = NULL;
						assert_true(json_object_object_get_ex(m, "return", &ret));
						assert_true(json_object_object_get_ex(ret, "status", &st));
						assert_string_equal(json_object_get_string(st),
								    "run,ning");
					}
					if (n == 3) {
						json_object *e = NULL, *d = NULL;
						assert_true(json_object_object_get_ex(m, "error", &e));
						assert_true(json_object_object_get_ex(e, "desc", &d));
						assert_string_equal(json_object_get_string(d),
								    "nope \"}\"");
					}
					json_object_put(m);
				}
				assert_int_equal(r, 0);
			}
			assert_int_equal(n, 3);
			assert_int_equal(kinds[0], QMP_EVENT);
			assert_int_equal(kinds[1], QMP_RETURN);
			assert_int_equal(kinds[2], QMP_ERROR);
			qmp_framer_free(&f);
		}
	}
}

static void test_framer_bad(void **state)
{
	struct qmp_framer f;
	json_object *m = NULL;
	assert_int_equal(qmp_framer_init(&f), 0);
	qmp_framer_feed(&f, "[1, 2]\r\n", 8);
	assert_int_equal(qmp_framer_next(&f, &m), -1);
	assert_string_equal(vmm_errmsg(), "qmp: message is not a JSON object");
	qmp_framer_free(&f);
	assert_int_equal(qmp_framer_init(&f), 0);
	qmp_framer_feed(&f, "{\"a\" 1}", 7);
	assert_int_equal(qmp_framer_next(&f, &m), -1);
	assert_non_null(strstr(vmm_errmsg(), "qmp: bad JSON from QEMU"));
	qmp_framer_free(&f);
}

/* A fake QEMU: everything it will ever say is written before the client runs. */
static int fake(int sv[2], const char *script)
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[1], script, strlen(script)), (ssize_t)strlen(script));
	return sv[1];
}

/* What the client sent, as text. */
static char *sent(int fd)
{
	static char buf[8192];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void test_client_session(void **state)
{
	int sv[2];
	/* events before the capabilities reply, a stray reply with another id, then the reply
	 * for query-status after an event, all in one read */
	fake(sv, EVENT("NIC_RX_FILTER_CHANGED") GREETING EVENT("RESUME")
		 "{\"return\": {}, \"id\": \"vmm-1\"}\r\n"
		 "{\"return\": {}, \"id\": \"other\"}\r\n" EVENT("RTC_CHANGE")
		 "{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}, "
		 "\"id\": \"vmm-2\"}\r\n"
		 "{\"id\": \"vmm-3\", \"error\": {\"class\": \"CommandNotFound\", \"desc\": "
		 "\"The command nonsense has not been found\"}}\r\n");
	struct qmp *q = NULL;
	assert_int_equal(qmp_open_fd(sv[0], 1000, &q), 0);
	assert_non_null(q);
	assert_non_null(q->greeting);
	assert_string_equal(sent(sv[1]), "{\"execute\":\"qmp_capabilities\",\"id\":\"vmm-1\"}\r\n");

	bool running = false;
	char status[32];
	assert_int_equal(qmp_query_status(q, &running, status, sizeof(status), 1000), 0);
	assert_true(running);
	assert_string_equal(status, "running");
	assert_string_equal(sent(sv[1]), "{\"execute\":\"query-status\",\"id\":\"vmm-2\"}\r\n");
	/* the three events were kept, in order */
	assert_int_equal(json_object_array_length(q->events), 3);
	assert_string_equal(member(json_object_array_get_idx(q->events, 2), "event"),
			    "RTC_CHANGE");
	assert_int_equal(qmp_wait_event(q, "RESUME", 10), 0);

	assert_int_equal(qmp_execute(q, "nonsense", NULL, NULL, 1000), -1);
	assert_string_equal(vmm_errmsg(), "qmp nonsense: The command nonsense has not been found");
	assert_string_equal(sent(sv[1]), "{\"execute\":\"nonsense\",\"id\":\"vmm-3\"}\r\n");

	/* no answer: a timeout, not a hang */
	json_object *args = json_object_new_object();
	json_object_object_add(args, "password", json_object_new_string("s3cret"));
	assert_int_equal(qmp_execute(q, "change-vnc-password", args, NULL, 50), -1);
	assert_string_equal(vmm_errmsg(), "qmp: no answer from QEMU (timed out)");
	assert_string_equal(sent(sv[1]), "{\"execute\":\"change-vnc-password\",\"arguments\":"
					 "{\"password\":\"s3cret\"},\"id\":\"vmm-4\"}\r\n");
	json_object_put(args);
	assert_int_equal(qmp_wait_event(q, "SHUTDOWN", 20), -1);

	/* quit: QEMU closes the socket instead of answering, which is success */
	write(sv[1], EVENT("SHUTDOWN"), strlen(EVENT("SHUTDOWN")));
	close(sv[1]);
	vmm_error_clear();
	assert_int_equal(qmp_execute(q, "quit", NULL, NULL, 1000), 0);
	assert_int_equal(qmp_wait_event(q, "SHUTDOWN", 10), 0);
	/* anything else after EOF fails cleanly */
	assert_int_equal(qmp_execute(q, "query-status", NULL, NULL, 100), -1);
	qmp_close(q);
}

static void test_client_not_qmp(void **state)
{
	int sv[2];
	fake(sv, "{\"return\": {}}\r\n");
	struct qmp *q = NULL;
	assert_int_equal(qmp_open_fd(sv[0], 200, &q), -1);
	assert_null(q);
	assert_string_equal(vmm_errmsg(), "qmp: expected the QMP greeting");
	close(sv[1]);

	fake(sv, GREETING);
	close(sv[1]); /* EOF before the capabilities reply */
	assert_int_equal(qmp_open_fd(sv[0], 200, &q), -1);
	assert_string_equal(vmm_errmsg(), "qmp: QEMU closed the connection");

	/* qmp_capabilities goes out before the greeting comes (its answer follows the greeting) */
	fake(sv, "");
	assert_int_equal(qmp_open_fd(sv[0], 50, &q), -1);
	assert_string_equal(vmm_errmsg(), "qmp: no answer from QEMU (timed out)");
	assert_string_equal(sent(sv[1]), "{\"execute\":\"qmp_capabilities\",\"id\":\"vmm-1\"}\r\n");
	close(sv[1]);

	assert_int_equal(qmp_connect("/nonexistent/qmp.sock", 50, &q), -1);
	assert_string_equal(vmm_errmsg(), "/nonexistent/qmp.sock: no such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framer_one_buffer_many),
		cmocka_unit_test(test_framer_split_everywhere),
		cmocka_unit_test(test_framer_bad),
		cmocka_unit_test(test_client_session),
		cmocka_unit_test(test_client_not_qmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
