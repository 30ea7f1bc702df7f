// SPDX-License-Identifier: MIT
/* common.c: what every command handler shares: printing errors and notes, the one NAME */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>

#include "vmm/backend/backend.h"
#include "vmm/cmd/cmd.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"
#include "vmm/config/validate.h"

void cmd_vnc_where(const struct vmm_profile *p, const struct vmm_status *st, char *buf,
		   size_t len)
{
	if (p->vnc_display == VMM_VNC_NONE)
		snprintf(buf, len, "none");
	else if (st->vnc_host[0] == '/')
		snprintf(buf, len, "unix:%s", st->vnc_host);
	else if (!profile_vnc_tcp(p))
		snprintf(buf, len, "socket");
	else
		snprintf(buf, len, "%s:%d", st->vnc_host, st->vnc_port);
}

int cmd_report(void)
{
	int code = vmm_errcode() ? vmm_errcode() : VMM_EFAIL;
	fprintf(stderr, "vmm: %s\n", *vmm_errmsg() ? vmm_errmsg() : "failed");
	return code;
}

int cmd_error(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("vmm: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return code;
}

int cmd_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "vmm: %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see \"vmm help %s\")\n", cmd);
	va_end(ap);
	return VMM_EINVAL;
}

void cmd_note(const struct vmm_ctx *ctx, const char *fmt, ...)
{
	if (ctx && ctx->verbose < 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int cmd_flush(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "vmm: stdout: %s\n", util_strerror(errno ? errno : EIO));
		return VMM_EFAIL;
	}
	return 0;
}

int cmd_one_name(const char *cmd, int argc, char **argv, const char **name)
{
	if (argc - optind != 1)
		return cmd_usage_error(cmd, "needs exactly one NAME");
	*name = argv[optind];
	if (profile_check_name(*name) < 0)
		return cmd_report();
	return 0;
}

int cmd_load_one(struct vmm_ctx *ctx, const char *cmd, int argc, char **argv,
		 struct vmm_profile *p)
{
	const char *name = NULL;
	int rc = cmd_one_name(cmd, argc, argv, &name);
	if (rc)
		return rc;
	if (store_load(&ctx->home, name, p) < 0)
		return cmd_report();
	return 0;
}

