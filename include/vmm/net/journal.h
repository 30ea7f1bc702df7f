/* SPDX-License-Identifier: MIT */
/* journal.h: the crash-safe record of every change vmm makes to the host's network */
#ifndef VMM_NET_JOURNAL_H
#define VMM_NET_JOURNAL_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "vmm/config/store.h"

/*
 * <home>/run/net.state, one line per change vmm made (and may have to undo):
 *   bridge br0 | address br0 192.168.166.1/24 | up br0 | tap vmm-ubuntu | forwarding |
 *   firewall br0 192.168.166.0/24 nat | sysctl6 all forwarding 0 | dnsmasq br0
 * An operation in progress is marked by a line "begin OP PID" (OP: up, down, start); the records
 * after it belong to that operation. Every record is written (write + rename; no fsync: the
 * records describe kernel state, which a power loss takes away too) BEFORE the change it stands
 * for is made (net up writes all of its records at once, before its first change), and the begin
 * line is dropped once the operation ends, so a vmm
 * killed at any instant leaves a journal that says what may have changed: every undo tolerates a
 * change that never happened. The next command that takes the network lock finishes the job
 * (journal_recover in hostnet.c: an interrupted up or start is rolled back, an interrupted down
 * completed).
 */
#define JOURNAL_FILE "net.state"

enum journal_kind {
	J_BRIDGE, J_ADDRESS, J_UP, J_TAP, J_FORWARDING, J_FIREWALL,
	J_SYSCTL6, /* sysctl6 IFACE KEY OLD: /proc/sys/net/ipv6/conf/IFACE/KEY was OLD */
	J_DNSMASQ, /* dnsmasq BRIDGE: the bridge's dnsmasq (run/dnsmasq-BRIDGE) */
};

struct journal_rec {
	enum journal_kind kind;
	char name[IF_NAMESIZE]; /* interface (bridge, tap); bridge for the firewall */
	char arg[64];           /* address "a.b.c.d/N" or "P::1/64"; firewall "network/prefix
				 * nat|nonat[ P::/64 nat6|nonat6]"; sysctl6 "KEY OLD" */
};

struct journal {
	char *path;
	struct journal_rec *v;
	size_t n;
	size_t open_at;  /* records [open_at, n) belong to the open operation */
	char op[16];     /* the open operation ("" none) */
	long pid;        /* its process */
};

/* Read the journal (a missing file is an empty journal). */
int journal_load(const struct vmm_home *h, struct journal *j);
void journal_free(struct journal *j);
/* Add a record in memory; journal_sync writes it. A duplicate is ignored, except that a committed
 * record added again while an operation is open moves into that operation. */
void journal_add(struct journal *j, enum journal_kind kind, const char *name, const char *arg);
/* Remove record i in memory. */
void journal_drop(struct journal *j, size_t i);
/* Write the journal (write + rename: atomic for readers, safe when the process dies); an empty
 * one removes the file. */
int journal_sync(struct journal *j);
/* Open an operation in memory (nothing when one is open already); its begin line is written with
 * the next journal_sync, before its first record. */
void journal_begin(struct journal *j, const char *op);
/* Record one change before it is made: journal_add + journal_sync. */
int journal_intend(struct journal *j, enum journal_kind kind, const char *name, const char *arg);
/* End the open operation, keeping its records (they become committed); written at once. */
int journal_end(struct journal *j);
/* The word of a kind ("bridge", "tap", ...). */
const char *journal_word(enum journal_kind kind);

/* The test build's crash points: with VMM_TEST_HOOKS, VMM_TEST_KILL_AT=N kills the process
 * (SIGKILL) at the N-th call of journal_test_point (before and after every journal write, and
 * after every step of net up), VMM_TEST_NET_FAIL_AFTER=STEP fails net up after that step. Both
 * compile to nothing in the shipped binary. */
#ifdef VMM_TEST_HOOKS
void journal_test_point(void);
int journal_test_fail(const char *step);
#else
static inline void journal_test_point(void) {}
static inline int journal_test_fail(const char *step) { (void)step; return 0; }
#endif

#endif
