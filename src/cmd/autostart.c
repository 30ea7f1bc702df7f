// SPDX-License-Identifier: MIT
/* autostart.c: `vmm autostart NAME on|off` (profile key, systemd unit instance) and `--boot` */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/cmd/cmd.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

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
		 "vmm-net.service and powers it off at shutdown (ACPI, the profile's stop_timeout).\n",
	.complete = CMD_COMPLETE_PROFILE,
};

/* systemd is the init and this is the home its units use. */
static bool use_systemd(const struct vmm_ctx *ctx)
{
	const char *env = getenv("VMM_HOME");
	return geteuid() == 0 && !ctx->home_dir && !(env && *env) &&
	       access("/run/systemd/system", F_OK) == 0;
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
	struct vmm_profile p;
	int lock = store_lock(&ctx->home);
	int rc = VMM_EFAIL;
	if (lock < 0)
		return cmd_report();
	if (store_load(&ctx->home, name, &p) < 0) {
		close(lock);
		return cmd_report();
	}
	p.autostart = on;
	if (ctx->dry_run) {
		printf("would set autostart = %s in %s's profile\n", on ? "true" : "false", name);
		if (use_systemd(ctx))
			printf("would run: systemctl %s vmm@%s.service\n", on ? "enable" : "disable",
			       name);
		rc = cmd_flush();
		goto out;
	}
	if (store_save(&ctx->home, &p) < 0) {
		rc = cmd_report();
		goto out;
	}
	if (use_systemd(ctx)) {
		char unit[VMM_NAME_MAX + 32];
		snprintf(unit, sizeof(unit), "vmm@%s.service", name);
		char *argv[] = { "systemctl", "--quiet", on ? "enable" : "disable", unit, NULL };
		char *err = NULL;
		int st = util_run(argv, NULL, &err);
		if (st != 0) {
			if (err)
				err[strcspn(err, "\n")] = '\0';
			rc = cmd_error(VMM_EFAIL, "%s: autostart is %s in the profile, but systemctl %s "
						  "%s failed: %s",
				       name, on ? "on" : "off", argv[2], unit,
				       st < 0 ? vmm_errmsg() : (err && *err ? err : "exit status not 0"));
			free(err);
			goto out;
		}
		free(err);
		cmd_note(ctx, "vmm: %s: autostart %s (%s %s)", name, on ? "on" : "off", unit,
			 on ? "enabled" : "disabled");
	} else {
		cmd_note(ctx, "vmm: %s: autostart %s (profile; `vmm autostart --boot` starts it)", name,
			 on ? "on" : "off");
	}
	rc = 0;
out:
	close(lock);
	profile_free(&p);
	return rc;
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
