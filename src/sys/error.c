// SPDX-License-Identifier: MIT
/* error.c: a single error slot, filled by modules and printed by commands */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vmm/sys/error.h"

/* one per thread: a list loads profiles on several (store.c) */
static __thread char errbuf[1024];
static __thread int errcode;

__attribute__((format(printf, 2, 0))) static int set(int code, const char *fmt, va_list ap)
{
	char tmp[sizeof(errbuf)]; /* the arguments may point into errbuf itself */
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	memcpy(errbuf, tmp, sizeof(errbuf));
	errcode = code;
	return -1;
}

int vmm_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set(VMM_EFAIL, fmt, ap);
	va_end(ap);
	return -1;
}

int vmm_invalid(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set(VMM_EINVAL, fmt, ap);
	va_end(ap);
	return -1;
}

const char *vmm_errmsg(void)
{
	return errbuf;
}

int vmm_errcode(void)
{
	return errcode;
}

void vmm_error_clear(void)
{
	errbuf[0] = '\0';
	errcode = VMM_OK;
}

int vmm_error_prefix(const char *fmt, ...)
{
	char pfx[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pfx, sizeof(pfx), fmt, ap);
	va_end(ap);
	int code = errcode == VMM_OK ? VMM_EFAIL : errcode;
	char tmp[sizeof(errbuf) + sizeof(pfx) + 2];
	snprintf(tmp, sizeof(tmp), "%s: %s", pfx, errbuf);
	memcpy(errbuf, tmp, sizeof(errbuf) - 1);
	errbuf[sizeof(errbuf) - 1] = '\0';
	errcode = code;
	return -1;
}

void vmm_error_save(struct vmm_saved_error *s)
{
	s->code = errcode == VMM_OK ? VMM_EFAIL : errcode;
	memcpy(s->msg, errbuf, sizeof(s->msg));
}

int vmm_error_restore(const struct vmm_saved_error *s)
{
	memcpy(errbuf, s->msg, sizeof(errbuf));
	errcode = s->code;
	return -1;
}

static void (*notice_fn)(const char *line);

void vmm_set_notice_handler(void (*fn)(const char *line))
{
	notice_fn = fn;
}

void vmm_notice(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	if (!notice_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	notice_fn(line);
}
