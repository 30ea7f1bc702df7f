// SPDX-License-Identifier: MIT
/* autostart.c: `vmm autostart NAME on|off` (profile key, systemd unit instance) and `--boot` */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/cmd/cmd.h"
#include "vmm/guest/edit.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"
#include "vmm/config/validate.h"

struct autostart_args {
	bool boot;
};

static const struct cmd_option autostart_options[] = {
	OPT_FLAG(0, "boot", struct autostart_args, boot,
		 "start every guest whose profile says autostart (the network comes up with the first), one line each; for hosts without systemd (rc.local, OpenRC, cron @reboot)"),
	OPT_END,
};

const struct cmd_spec cmd_autostart_spec = {
	.name = "autostart",
	.args = "NAME on|off | --boot",
	.summary = "start a guest when the host boots (profile key autostart), or start every such guest",
	.options = autostart_options,
	.notes = "With systemd as init, root and the system home (no --home, no VMM_HOME), on/off also\n"
		 "runs systemctl enable/disable vmm@NAME.service: that unit starts the guest at boot after\n"
		 "vmm-net.service and powers it off at shutdown (ACPI, the profile's stop_timeout).\n"
		 "Without root, in the user's default home with XDG_RUNTIME_DIR set, the same with\n"
		 "systemctl --user and the user units (contrib/systemd/user/): they run with the user's\n"
		 "manager, at boot only when it lingers (loginctl enable-linger USER, as root).\n",
	.complete = CMD_COMPLETE_PROFILE,
};

/* systemd is the init and this is the home its units use: root's system home (system units),
 * or a user's default home with the user's own manager (user units). */
static enum guest_units use_systemd(const struct vmm_ctx *ctx)
{
	const char *env = getenv("VMM_HOME"), *rt = getenv("XDG_RUNTIME_DIR");
	if (ctx->home_dir || (env && *env) || access("/run/systemd/system", F_OK) != 0)
		return GUEST_UNITS_NONE;
	if (geteuid() == 0)
		return GUEST_UNITS_SYSTEM;
	return rt && *rt == '/' ? GUEST_UNITS_USER : GUEST_UNITS_NONE;
}

static int set_one(struct vmm_ctx *ctx, const char *name, const char *value)
{
	bool on;
	if (!strcmp(value, "on"))
		on = true;
	else if (!strcmp(value, "off"))
		on = false;
	else
		return cmd_usage_error("autostart", "\"%s\": want on or off", value);
	if (profile_check_name(name) < 0)
		return cmd_report();
	enum guest_units units = use_systemd(ctx);
	bool user = units == GUEST_UNITS_USER;
	if (guest_autostart(&ctx->home, name, on, units, ctx->dry_run) < 0)
		return cmd_report();
	if (ctx->dry_run) {
		printf("would set autostart = %s in %s's profile\n", on ? "true" : "false", name);
		if (units)
			printf("would run: systemctl %s%s " GUEST_AUTOSTART_UNIT "\n",
			       user ? "--user " : "", on ? "enable" : "disable", name);
	} else if (units) {
		cmd_note(ctx, "vmm: %s: autostart %s (" GUEST_AUTOSTART_UNIT " %s%s)", name,
			 on ? "on" : "off", name, on ? "enabled" : "disabled",
			 user && on ? " for your systemd user manager; at boot only when it lingers: "
				      "loginctl enable-linger, as root" : "");
	} else {
		cmd_note(ctx, "vmm: %s: autostart %s (profile; `vmm autostart --boot` starts it)", name,
			 on ? "on" : "off");
	}
	return 0;
}

/* Every autostart guest, in name order, each with `vmm start` itself (one flow, one lock per
 * start): a broken one is named and the others still start. */
static int boot_all(struct vmm_ctx *ctx)
{
	struct vmm_profile *ps = NULL;
	struct store_invalid *bad = NULL;
	size_t n = 0, nb = 0;
	if (store_load_all(&ctx->home, &ps, &n, &bad, &nb) < 0)
		return cmd_report();
	for (size_t i = 0; i < nb; i++)
		cmd_note(ctx, "vmm: autostart: skipped %s: %s", bad[i].name, bad[i].reason);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (!ps[i].autostart)
			continue;
		char *argv[] = { "start", ps[i].name, NULL };
		int r = cmd_start(ctx, 2, argv);
		if (r && !rc)
			rc = r;
	}
	store_free_all(ps, n);
	store_free_invalid(bad, nb);
	return rc;
}

int cmd_autostart(struct vmm_ctx *ctx, int argc, char **argv)
{
	struct autostart_args a = { 0 };
	int rc = cmd_parse(&cmd_autostart_spec, argc, argv, &a);
	if (rc)
		return rc;
	if (a.boot) {
		if (optind < argc)
			return cmd_usage_error("autostart", "--boot takes no NAME");
		return boot_all(ctx);
	}
	if (argc - optind != 2)
		return cmd_usage_error("autostart", "want NAME on|off");
	return set_one(ctx, argv[optind], argv[optind + 1]);
}
