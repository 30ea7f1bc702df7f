// SPDX-License-Identifier: MIT
/* qmp.c: QMP client: frames JSON messages off a unix socket, matches replies by id, keeps events */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vmm/sys/error.h"
#include "vmm/backend/qmp.h"
#include "vmm/sys/util.h"

/* ---- framing ---- */

int qmp_framer_init(struct qmp_framer *f)
{
	memset(f, 0, sizeof(*f));
	f->tok = json_tokener_new();
	if (!f->tok)
		return vmm_fail("qmp: out of memory");
	return 0;
}

void qmp_framer_free(struct qmp_framer *f)
{
	if (f->tok)
		json_tokener_free(f->tok);
	free(f->buf);
	memset(f, 0, sizeof(*f));
}

void qmp_framer_feed(struct qmp_framer *f, const char *data, size_t len)
{
	if (len == 0)
		return; /* nothing to add (and no buffer yet to add it to) */
	if (f->pos > 0 && f->pos == f->len)
		f->pos = f->len = 0;
	if (f->cap - f->len < len) {
		/* drop what was already parsed before growing */
		if (f->pos > 0) {
			memmove(f->buf, f->buf + f->pos, f->len - f->pos);
			f->len -= f->pos;
			f->pos = 0;
		}
		if (f->cap - f->len < len) {
			size_t cap = f->cap ? f->cap : 4096;
			while (cap - f->len < len)
				cap *= 2;
			char *nb = realloc(f->buf, cap);
			if (!nb)
				abort();
			f->buf = nb;
			f->cap = cap;
		}
	}
	memcpy(f->buf + f->len, data, len);
	f->len += len;
}

int qmp_framer_next(struct qmp_framer *f, json_object **msg)
{
	*msg = NULL;
	if (!f->in_msg)
		while (f->pos < f->len && strchr(" \t\r\n", f->buf[f->pos]))
			f->pos++;
	if (f->pos >= f->len)
		return 0;
	size_t avail = f->len - f->pos;
	json_object *o = json_tokener_parse_ex(f->tok, f->buf + f->pos, (int)avail);
	enum json_tokener_error e = json_tokener_get_error(f->tok);
	if (o) {
		size_t used = json_tokener_get_parse_end(f->tok);
		f->pos += used <= avail ? used : avail;
		json_tokener_reset(f->tok);
		f->in_msg = false;
		if (!json_object_is_type(o, json_type_object)) {
			json_object_put(o);
			return vmm_fail("qmp: message is not a JSON object");
		}
		*msg = o;
		return 1;
	}
	if (e == json_tokener_continue) {
		/* the tokener keeps the partial message; these bytes are consumed */
		f->pos = f->len;
		f->in_msg = true;
		return 0;
	}
	json_tokener_reset(f->tok);
	f->in_msg = false;
	return vmm_fail("qmp: bad JSON from QEMU: %s", json_tokener_error_desc(e));
}

enum qmp_kind qmp_kind(json_object *msg)
{
	if (json_object_object_get_ex(msg, "QMP", NULL))
		return QMP_GREETING;
	if (json_object_object_get_ex(msg, "event", NULL))
		return QMP_EVENT;
	if (json_object_object_get_ex(msg, "return", NULL))
		return QMP_RETURN;
	if (json_object_object_get_ex(msg, "error", NULL))
		return QMP_ERROR;
	return QMP_OTHER;
}

/* ---- client ---- */

static int remaining(uint64_t deadline)
{
	uint64_t now = util_now_ms();
	return now >= deadline ? 0 : (int)(deadline - now);
}

/* The next message, waiting until deadline. -1 with eof set at EOF. */
static int read_message(struct qmp *q, uint64_t deadline, json_object **msg)
{
	for (;;) {
		int r = qmp_framer_next(&q->fr, msg);
		if (r != 0)
			return r < 0 ? -1 : 0;
		if (q->eof)
			return vmm_fail("qmp: QEMU closed the connection");
		struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
		int pr = poll(&pfd, 1, remaining(deadline));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return vmm_fail("qmp: poll: %s", util_strerror(errno));
		if (pr == 0)
			return vmm_fail("qmp: no answer from QEMU (timed out)");
		char buf[8192];
		ssize_t n = read(q->fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0 && errno != ECONNRESET)
			return vmm_fail("qmp: read: %s", util_strerror(errno));
		if (n <= 0) {
			q->eof = true;
			continue;
		}
		qmp_framer_feed(&q->fr, buf, (size_t)n);
	}
}

static int write_all(struct qmp *q, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t w = send(q->fd, s, len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EPIPE || errno == ECONNRESET))
			return vmm_fail("qmp: QEMU closed the connection");
		if (w < 0)
			return vmm_fail("qmp: write: %s", util_strerror(errno));
		s += w;
		len -= (size_t)w;
	}
	return 0;
}

static void keep_event(struct qmp *q, json_object *msg)
{
	if (!q->events)
		q->events = json_object_new_array();
	json_object_array_add(q->events, msg); /* the array now owns msg */
}

/* Send cmd (with args, or NULL) under a new id, written to id. 0 or -1. */
static int send_command(struct qmp *q, const char *cmd, json_object *args, char id[32])
{
	snprintf(id, 32, "vmm-%u", q->next_id++);
	json_object *req = json_object_new_object();
	json_object_object_add(req, "execute", json_object_new_string(cmd));
	if (args)
		json_object_object_add(req, "arguments", json_object_get(args));
	json_object_object_add(req, "id", json_object_new_string(id));
	const char *text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	int rc = write_all(q, text, strlen(text));
	if (rc == 0)
		rc = write_all(q, "\r\n", 2);
	json_object_put(req);
	return rc;
}

/* Read until the reply to id comes (events kept, other replies dropped); its "return" in *ret
 * when ret is non-NULL. 0, or -1 with the error slot set (QEMU's error, EOF, the deadline). */
static int await_reply(struct qmp *q, const char *cmd, const char *id, json_object **ret,
		       uint64_t deadline)
{
	for (;;) {
		json_object *msg = NULL;
		if (read_message(q, deadline, &msg) < 0)
			return -1;
		enum qmp_kind k = qmp_kind(msg);
		if (k == QMP_EVENT) {
			keep_event(q, msg);
			continue;
		}
		json_object *jid = NULL;
		if ((k != QMP_RETURN && k != QMP_ERROR) || !json_object_object_get_ex(msg, "id", &jid) ||
		    !json_object_is_type(jid, json_type_string) ||
		    strcmp(json_object_get_string(jid), id)) {
			json_object_put(msg); /* a reply to something else: not ours */
			continue;
		}
		if (k == QMP_ERROR) {
			json_object *err = NULL, *desc = NULL;
			json_object_object_get_ex(msg, "error", &err);
			if (err)
				json_object_object_get_ex(err, "desc", &desc);
			vmm_fail("qmp %s: %s", cmd, desc ? json_object_get_string(desc) : "error");
			json_object_put(msg);
			return -1;
		}
		if (ret) {
			json_object *r = NULL;
			json_object_object_get_ex(msg, "return", &r);
			*ret = json_object_get(r);
		}
		json_object_put(msg);
		return 0;
	}
}

int qmp_open_fd(int fd, int timeout_ms, struct qmp **out)
{
	*out = NULL;
	struct qmp *q = calloc(1, sizeof(*q));
	if (!q)
		abort();
	q->fd = fd;
	q->next_id = 1;
	if (qmp_framer_init(&q->fr) < 0) {
		free(q);
		close(fd);
		return -1;
	}
	uint64_t deadline = util_now_ms() + (uint64_t)timeout_ms;
	json_object *msg = NULL;
	/* qmp_capabilities goes out before the greeting is read: QEMU reads it once it has greeted,
	 * and its answer comes right behind the greeting (one wait for QEMU less per connection) */
	char id[32];
	if (send_command(q, "qmp_capabilities", NULL, id) < 0)
		goto fail;
	for (;;) {
		if (read_message(q, deadline, &msg) < 0)
			goto fail;
		if (qmp_kind(msg) == QMP_GREETING)
			break;
		if (qmp_kind(msg) == QMP_EVENT) {
			keep_event(q, msg);
			continue;
		}
		json_object_put(msg);
		vmm_fail("qmp: expected the QMP greeting");
		goto fail;
	}
	json_object *inner = NULL;
	json_object_object_get_ex(msg, "QMP", &inner);
	q->greeting = json_object_get(inner);
	json_object_put(msg);
	if (await_reply(q, "qmp_capabilities", id, NULL, deadline) < 0)
		goto fail;
	*out = q;
	return 0;
fail:
	qmp_close(q);
	return -1;
}

int qmp_connect(const char *path, int timeout_ms, struct qmp **out)
{
	*out = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return vmm_fail("%s: socket path too long", path);
	strcpy(sa.sun_path, path);
	uint64_t deadline = util_now_ms() + (uint64_t)timeout_ms;
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return vmm_fail("qmp: socket: %s", util_strerror(errno));
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return qmp_open_fd(fd, remaining(deadline), out);
		int e = errno;
		close(fd);
		if ((e != ENOENT && e != ECONNREFUSED && e != EAGAIN) || remaining(deadline) == 0)
			return vmm_fail("%s: %s", path, util_strerror(e));
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

void qmp_close(struct qmp *q)
{
	if (!q)
		return;
	if (q->fd >= 0)
		close(q->fd);
	qmp_framer_free(&q->fr);
	if (q->greeting)
		json_object_put(q->greeting);
	if (q->events)
		json_object_put(q->events);
	free(q);
}

int qmp_execute(struct qmp *q, const char *cmd, json_object *args, json_object **ret,
		int timeout_ms)
{
	char id[32];
	if (ret)
		*ret = NULL;
	int rc = send_command(q, cmd, args, id);
	if (rc < 0 && !strcmp(cmd, "quit")) {
		vmm_error_clear(); /* already gone */
		return 0;
	}
	if (rc < 0)
		return -1;
	uint64_t deadline = util_now_ms() + (uint64_t)timeout_ms;
	if (await_reply(q, cmd, id, ret, deadline) == 0)
		return 0;
	if (q->eof && !strcmp(cmd, "quit")) {
		vmm_error_clear();
		return 0; /* QEMU went away as asked */
	}
	return -1;
}

static bool have_event(struct qmp *q, const char *name)
{
	size_t n = q->events ? json_object_array_length(q->events) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *ev = json_object_array_get_idx(q->events, i), *e = NULL;
		if (json_object_object_get_ex(ev, "event", &e) &&
		    !strcmp(json_object_get_string(e), name))
			return true;
	}
	return false;
}

int qmp_wait_event(struct qmp *q, const char *name, int timeout_ms)
{
	uint64_t deadline = util_now_ms() + (uint64_t)timeout_ms;
	while (!have_event(q, name)) {
		json_object *msg = NULL;
		if (read_message(q, deadline, &msg) < 0)
			return -1;
		if (qmp_kind(msg) == QMP_EVENT)
			keep_event(q, msg);
		else
			json_object_put(msg);
	}
	return 0;
}

int qmp_query_status(struct qmp *q, bool *running, char *status, size_t status_len,
		     int timeout_ms)
{
	json_object *r = NULL, *v = NULL;
	if (qmp_execute(q, "query-status", NULL, &r, timeout_ms) < 0)
		return -1;
	*running = json_object_object_get_ex(r, "running", &v) && json_object_get_boolean(v);
	if (status && status_len) {
		status[0] = '\0';
		if (json_object_object_get_ex(r, "status", &v))
			snprintf(status, status_len, "%s", json_object_get_string(v));
	}
	json_object_put(r);
	return 0;
}

/* ---- jobs ---- */

/* Is there a JOB_STATUS_CHANGE to status for job id among the events kept? Those of that job are
 * dropped from the list once seen. */
static bool take_job_event(struct qmp *q, const char *id, const char *status)
{
	bool seen = false;
	size_t n = q->events ? json_object_array_length(q->events) : 0;
	for (size_t i = 0; i < n;) {
		json_object *ev = json_object_array_get_idx(q->events, i), *e = NULL, *d = NULL;
		json_object *jid = NULL, *st = NULL;
		if (!json_object_object_get_ex(ev, "event", &e) ||
		    strcmp(json_object_get_string(e), "JOB_STATUS_CHANGE") ||
		    !json_object_object_get_ex(ev, "data", &d) ||
		    !json_object_object_get_ex(d, "id", &jid) ||
		    strcmp(json_object_get_string(jid), id)) {
			i++;
			continue;
		}
		if (json_object_object_get_ex(d, "status", &st) &&
		    !strcmp(json_object_get_string(st), status))
			seen = true;
		json_object_array_del_idx(q->events, i, 1);
		n--;
	}
	return seen;
}

/* The job's entry in query-jobs: its "error" into err (empty when none). */
static int job_error(struct qmp *q, const char *id, char *err, size_t len, int timeout_ms)
{
	json_object *r = NULL;
	err[0] = '\0';
	if (qmp_execute(q, "query-jobs", NULL, &r, timeout_ms) < 0)
		return -1;
	size_t n = json_object_is_type(r, json_type_array) ? json_object_array_length(r) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *j = json_object_array_get_idx(r, i), *jid = NULL, *e = NULL;
		if (json_object_object_get_ex(j, "id", &jid) &&
		    !strcmp(json_object_get_string(jid), id) &&
		    json_object_object_get_ex(j, "error", &e))
			snprintf(err, len, "%s", json_object_get_string(e));
	}
	json_object_put(r);
	return 0;
}

int qmp_job_run(struct qmp *q, const char *cmd, json_object *args, const char *job_id,
		int timeout_ms)
{
	uint64_t deadline = util_now_ms() + (uint64_t)timeout_ms;
	if (qmp_execute(q, cmd, args, NULL, timeout_ms) < 0)
		return -1;
	while (!take_job_event(q, job_id, "concluded")) {
		json_object *msg = NULL;
		if (remaining(deadline) == 0)
			return vmm_fail("%s: job %s not concluded after %d ms", cmd, job_id,
					timeout_ms);
		if (read_message(q, deadline, &msg) < 0) {
			if (!q->eof)
				return vmm_fail("%s: job %s not concluded after %d ms", cmd, job_id,
						timeout_ms);
			return -1;
		}
		if (qmp_kind(msg) == QMP_EVENT)
			keep_event(q, msg);
		else
			json_object_put(msg);
	}
	char err[512];
	if (job_error(q, job_id, err, sizeof(err), 5000) < 0)
		return -1;
	json_object *d = json_object_new_object();
	json_object_object_add(d, "id", json_object_new_string(job_id));
	int rc = qmp_execute(q, "job-dismiss", d, NULL, 5000);
	json_object_put(d);
	if (err[0])
		return vmm_fail("%s: %s", cmd, err);
	return rc;
}
