/* SPDX-License-Identifier: MIT */
/* qmp.h: a QEMU Machine Protocol client (json-c): framing, greeting, commands matched by id, events */
#ifndef VMM_QMP_H
#define VMM_QMP_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

/*
 * The framer turns a byte stream into JSON objects. One read may hold several messages, and a
 * message may be split across reads: feed whatever arrived, then take messages until it says
 * it needs more bytes.
 */
struct qmp_framer {
	json_tokener *tok;
	char *buf;       /* bytes fed but not yet handed to the tokener */
	size_t len, pos, cap;
	bool in_msg;     /* the tokener holds the start of a message */
};

int qmp_framer_init(struct qmp_framer *f);
void qmp_framer_free(struct qmp_framer *f);
/* Append bytes. */
void qmp_framer_feed(struct qmp_framer *f, const char *data, size_t len);
/* 1: *msg is the next whole message (caller puts it); 0: need more bytes; -1: not JSON or not
 * an object (error slot set; the stream is unusable). */
int qmp_framer_next(struct qmp_framer *f, json_object **msg);

/* The kind of a QMP message. */
enum qmp_kind { QMP_OTHER, QMP_GREETING, QMP_EVENT, QMP_RETURN, QMP_ERROR };
enum qmp_kind qmp_kind(json_object *msg);

struct qmp {
	int fd;
	struct qmp_framer fr;
	unsigned next_id;
	json_object *greeting;  /* the "QMP" member of the greeting */
	json_object *events;    /* array of events received while waiting for replies */
	bool eof;
};

/*
 * Connect to a QMP unix socket, retrying until timeout_ms (QEMU may still be creating it), read
 * the greeting and leave capabilities negotiation mode. *out is freed with qmp_close.
 */
int qmp_connect(const char *path, int timeout_ms, struct qmp **out);
/* Same on an already connected stream (takes ownership of fd; tests use a socketpair). */
int qmp_open_fd(int fd, int timeout_ms, struct qmp **out);
void qmp_close(struct qmp *q);

/*
 * Run one command; args may be NULL (borrowed). On success *ret (may be NULL) gets the
 * "return" value (caller puts it). An "error" reply fails with "qmp CMD: DESC". Events that
 * arrive first are kept in q->events. For "quit", EOF before the reply counts as success.
 */
int qmp_execute(struct qmp *q, const char *cmd, json_object *args, json_object **ret,
		int timeout_ms);

/* Wait for an event named name (already received ones count). 0 when seen, -1 on timeout/EOF. */
int qmp_wait_event(struct qmp *q, const char *name, int timeout_ms);

/* query-status: *running set from the "running" member, status (may be NULL, >= 32 bytes)
 * gets the "status" string. */
int qmp_query_status(struct qmp *q, bool *running, char *status, size_t status_len,
		     int timeout_ms);

/*
 * Run a job command (snapshot-save, snapshot-load, snapshot-delete: QEMU >= 6.0). args must hold
 * "job-id": job_id. QEMU answers {} at once, even for a job that will fail: the result comes
 * only as JOB_STATUS_CHANGE events and in query-jobs. This waits until the job is "concluded"
 * (events already received count), reads its error from query-jobs and dismisses it. 0, or -1
 * with "CMD: ERROR" (QEMU's words), or "CMD: job JOB_ID not concluded after N ms" (the job is
 * left to QEMU then).
 */
int qmp_job_run(struct qmp *q, const char *cmd, json_object *args, const char *job_id,
		int timeout_ms);

#endif
