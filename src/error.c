// SPDX-License-Identifier: MIT
/* error.c: a single error slot, filled by modules and printed by commands */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vmm/error.h"

static char errbuf[1024];
static int errcode;

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
