// SPDX-License-Identifier: MIT
/* cmd/clone.c: vmm clone SRC NEW [--full]: a stopped guest's copy that boots as a new machine */
#include <getopt.h>
#include <stdio.h>

#include "vmm/cmd/cmd.h"
#include "vmm/config/validate.h"
#include "vmm/guest/clone.h"
#include "vmm/sys/error.h"

struct clone_args {
	bool full;
};

static const struct cmd_option clone_options[] = {
	OPT_FLAG(0, "full", struct clone_args, full,
		 "a standalone copy of the disk (default: both disks become overlays on a frozen base)"),
	OPT_END,
};

const struct cmd_spec cmd_clone_spec = {
	.name = "clone",
	.args = "SRC NEW",
	.summary = "copy a stopped guest as NEW, with its own MAC, address, VNC display, tap and "
		   "SSH host keys",
	.options = clone_options,
	.notes = "NEW gets SRC's profile (memory, CPUs, boot files, keys, shares, firmware, TPM) with\n"
		 "a new MAC, address, VNC display and tap; its SSH host keys, and so its cloud-init\n"
		 "instance-id, are made at its first start, so that it boots as a new machine and\n"
		 "\"vmm ssh NEW\" checks its own pinned keys. Hostname, forwards and autostart are not\n"
		 "copied; the TPM starts empty; UEFI variables are copied. Without --full, SRC's disk\n"
		 "is frozen as IMAGES/SRC-base-N.qcow2 and SRC and NEW each get an overlay on it, so\n"
		 "both can run at once (a disk with snapshots needs --full: they would stay in the\n"
		 "base). --full copies the disk (snapshots are not copied).\n",
	.complete = CMD_COMPLETE_PROFILE,
};

int cmd_clone(struct vmm_ctx *ctx, int argc, char **argv)
{
	struct clone_args a = { 0 };
	int rc = cmd_parse(&cmd_clone_spec, argc, argv, &a);
	if (rc)
		return rc;
	if (argc - optind != 2)
		return cmd_usage_error("clone", "needs SRC and NEW");
	const char *src = argv[optind], *dst = argv[optind + 1];
	if (profile_check_name(src) < 0)
		return cmd_report();
	struct guest_clone_result r;
	if (guest_clone(&ctx->home, src, dst, a.full, &r) < 0) {
		rc = cmd_report();
		guest_clone_result_free(&r);
		return rc;
	}
	const struct vmm_profile *p = &r.profile;
	char vnc[80];
	profile_vnc_describe(p, vnc, sizeof(vnc));
	if (r.base)
		cmd_note(ctx, "vmm: %s: disk frozen as %s; %s and %s run on overlays of it", src,
			 r.base, src, dst);
	cmd_note(ctx, "vmm: cloned %s as %s: mac %s, address %s, vnc %s, tap %s%s", src, dst,
		 p->mac, p->address, vnc, p->tap, r.base ? "" : " (full copy)");
	guest_clone_result_free(&r);
	return cmd_flush();
}
