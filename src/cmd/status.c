// SPDX-License-Identifier: MIT
/* status.c: `vmm status NAME`: running, stopped or crashed, with pid, address, tap and VNC */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "vmm/guest/lifecycle.h"
#include "vmm/cmd/cmd.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"
#include "vmm/config/validate.h"

const struct cmd_spec cmd_status_spec = {
	.name = "status",
	.args = "NAME",
	.summary = "show whether a guest is running, stopped or crashed, with pid, address, tap and VNC",
	.notes = "With --json, one object: name, state, pid, network (bridge or user), address, mac,\n"
		 "tap (null for network user), vnc, backend, host.\n"
		 "crashed: the pid file is there but its QEMU is gone (vmm start cleans it up).\n",
	.complete = CMD_COMPLETE_PROFILE,
};

int cmd_status(struct vmm_ctx *ctx, int argc, char **argv)
{
	struct vmm_profile p;
	int rc = cmd_parse(&cmd_status_spec, argc, argv, NULL);
	if (rc || (rc = cmd_load_one(ctx, "status", argc, argv, &p)))
		return rc;
	const char *name = argv[optind];
	struct vmm_status st;
	lifecycle_status_any(&ctx->home, &p, &st);
	const char *backend = p.backend ? p.backend : "qemu";
	char vnc[160];
	cmd_vnc_where(&p, &st, vnc, sizeof(vnc));
	if (ctx->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "state",
				       json_object_new_string(store_state_name(st.state)));
		json_object_object_add(o, "pid", st.pid > 0 ? json_object_new_int(st.pid) : NULL);
		bool user = profile_net_user(&p); /* behind its own passt: no address, no tap */
		json_object_object_add(o, "network", json_object_new_string(user ? "user" : "bridge"));
		json_object_object_add(o, "address", p.address && !user
							     ? json_object_new_string(p.address) : NULL);
		json_object_object_add(o, "mac", json_object_new_string(p.mac));
		json_object_object_add(o, "tap", user ? NULL : json_object_new_string(p.tap));
		json_object_object_add(o, "vnc", json_object_new_string(vnc));
		json_object_object_add(o, "backend", json_object_new_string(backend));
		json_object_object_add(o, "host",
				       json_object_new_string(st.host[0] ? st.host : "local"));
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		printf("%s: %s\n", name, store_state_name(st.state));
		if (st.pid > 0)
			printf("pid:      %ld\n", (long)st.pid);
		if (profile_net_user(&p))
			printf("network:  user (its own passt: the host's address, its forwards)\n"
			       "mac:      %s\n", p.mac);
		else
			printf("address:  %s\nmac:      %s\ntap:      %s\n", p.address ? p.address : "-",
			       p.mac, p.tap);
		printf("vnc:      %s\nbackend:  %s%s%s\n", vnc, backend,
		       st.host[0] && strcmp(st.host, "local") ? "@" : "",
		       st.host[0] && strcmp(st.host, "local") ? st.host : "");
		if (st.state == VMM_CRASHED)
			printf("note:     its QEMU is gone; vmm start %s cleans up and starts it again\n",
			       name);
	}
	rc = 0;
	profile_free(&p);
	return rc;
}
