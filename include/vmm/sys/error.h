/* SPDX-License-Identifier: MIT */
/* error.h: the one error slot modules fill and commands print */
#ifndef VMM_ERROR_H
#define VMM_ERROR_H

/* Exit codes, also used as error kinds. */
enum {
	VMM_OK = 0,
	VMM_EFAIL = 1,  /* something failed while acting */
	VMM_EINVAL = 2, /* bad usage or invalid input */
};

/*
 * Set the error slot: "OBJECT: REASON" (no "vmm: " prefix, lowercase, no full stop).
 * Returns -1 so that modules can write `return vmm_fail("disk %s: %s", p, strerror(errno));`.
 */
int vmm_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, but marks the error as invalid input (exit code 2). */
int vmm_invalid(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The message last set ("" when none). */
const char *vmm_errmsg(void);
/* The kind of the last error: VMM_EFAIL or VMM_EINVAL (VMM_OK when none). */
int vmm_errcode(void);
/* Forget the last error. */
void vmm_error_clear(void);
/* Put "PREFIX: " before the message in the slot, keeping its kind; returns -1. */
int vmm_error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* An error kept aside while cleanup code (which may overwrite the slot) runs. */
struct vmm_saved_error {
	int code;
	char msg[1024];
};
void vmm_error_save(struct vmm_saved_error *s);
/* Put a saved error back; returns -1. */
int vmm_error_restore(const struct vmm_saved_error *s);

/*
 * Announcements a module makes while it acts ("firewall: accepted br0 in ...", "net: rolled back
 * an interrupted net up"): one line each, without the "vmm: " prefix. Modules never print; the
 * command layer installs the handler that shows them (on stderr unless -q). Without a handler
 * they are dropped.
 */
void vmm_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vmm_set_notice_handler(void (*fn)(const char *line));

#endif
