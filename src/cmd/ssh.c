// SPDX-License-Identifier: MIT
/* cmd/ssh.c: `vmm ssh NAME [-- COMMAND...]`: OpenSSH's ssh (exec'd with an argv) to the guest as
 * its image's user, with its key and pinned host keys: no prompt, strict checking */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/cmd.h"
#include "vmm/error.h"
#include "vmm/sshkey.h"
#include "vmm/util.h"

struct ssh_args {
	bool print;
};

static const struct cmd_option ssh_options[] = {
	OPT_FLAG(0, "print", struct ssh_args, print, "print the ssh command instead of running it"),
	OPT_END,
};

const struct cmd_spec cmd_ssh_spec = {
	.name = "ssh",
	.args = "NAME [-- COMMAND...]",
	.summary = "log in to a guest with OpenSSH as its image's user; host keys pinned, never prompted",
	.options = ssh_options,
	.notes = "COMMAND runs on the guest (its words joined and given to the guest's shell, as ssh\n"
		 "does); the exit status is the command's. The guest's host keys are made by vmm and\n"
		 "handed to cloud-init in the seed; vmm writes them to HOME/images/ssh/NAME/known_hosts\n"
		 "and ssh checks them strictly: a host key that changes is refused (exit 255). The key\n"
		 "is the profile's ssh_identity (the private half of the --ssh-key given at create, or\n"
		 "the default one).\n",
	.complete = CMD_COMPLETE_PROFILE,
};

/* A word as a POSIX shell would read it back (for --print only; nothing is run through one). */
static void put_word(FILE *f, const char *w)
{
	bool plain = *w != '\0';
	for (const char *c = w; *c && plain; c++)
		plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			       "@%+=:,./-_",
			       *c) != NULL;
	if (plain) {
		fputs(w, f);
		return;
	}
	fputc('\'', f);
	for (const char *c = w; *c; c++) {
		if (*c == '\'')
			fputs("'\\''", f);
		else
			fputc(*c, f);
	}
	fputc('\'', f);
}

int cmd_ssh(struct vmm_ctx *ctx, int argc, char **argv)
{
	struct ssh_args a = { 0 };
	/* options only before "--"; the rest is the remote command, untouched */
	int dash = argc;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			dash = i;
			break;
		}
	int rc0 = cmd_parse(&cmd_ssh_spec, dash, argv, &a);
	if (rc0)
		return rc0;
	bool print = a.print || ctx->dry_run;
	if (dash - optind != 1)
		return cmd_usage_error("ssh", "needs exactly one NAME (a command goes after \"--\")");
	struct vmm_profile p;
	if (store_load(&ctx->home, argv[optind], &p) < 0)
		return cmd_report();
	struct sshkey_host hk = { 0 };
	char *kh = NULL, *pub = NULL, *priv = NULL, *ssh = NULL;
	char **av = NULL;
	int rc = VMM_EFAIL;
	char ip[16];
	if (profile_ip(&p, ip) < 0) {
		rc = cmd_report();
		goto out;
	}
	int r = sshkey_host_load(&ctx->home, p.name, &hk);
	if (r < 0) {
		rc = cmd_report();
		goto out;
	}
	if (r > 0) {
		rc = cmd_error(VMM_EFAIL,
			       "%s: vmm has no host keys for this guest (it gets them in its seed when "
			       "it has SSH keys: vmm set %s ssh_key=FILE, then restart it)",
			       p.name, p.name);
		goto out;
	}
	/* the address may have changed since the keys were made: known_hosts follows it */
	if (!print && sshkey_known_hosts_write(&ctx->home, p.name, ip, &hk) < 0) {
		rc = cmd_report();
		goto out;
	}
	kh = sshkey_known_hosts_path(&ctx->home, p.name);
	if (p.ssh_identity)
		priv = util_strdup(p.ssh_identity);
	else if (sshkey_default_identity(&ctx->home, false, &pub, &priv, NULL) < 0)
		vmm_error_clear(); /* no key of ours: ssh tries its own (agent, ~/.ssh) */
	if (priv && !util_exists(priv)) {
		rc = cmd_error(VMM_EFAIL, "%s: ssh key %s: %s", p.name, priv, util_strerror(ENOENT));
		goto out;
	}
	int ncmd = dash < argc ? argc - dash - 1 : 0;
	av = calloc((size_t)(24 + ncmd), sizeof(char *));
	if (!av)
		abort();
	int n = 0;
	char *o_kh = util_fmt("UserKnownHostsFile=%s", kh);
	av[n++] = "ssh";
	av[n++] = "-o";
	av[n++] = "StrictHostKeyChecking=yes";
	av[n++] = "-o";
	av[n++] = o_kh;
	av[n++] = "-o";
	av[n++] = "GlobalKnownHostsFile=/dev/null";
	av[n++] = "-o";
	av[n++] = "UpdateHostKeys=no";
	if (priv) {
		av[n++] = "-o";
		av[n++] = "IdentitiesOnly=yes";
		av[n++] = "-i";
		av[n++] = priv;
	}
	if (p.user) {
		av[n++] = "-l";
		av[n++] = p.user;
	}
	av[n++] = ip;
	for (int i = 0; i < ncmd; i++)
		av[n++] = argv[dash + 1 + i];
	av[n] = NULL;
	if (print) {
		for (int i = 0; i < n; i++) {
			if (i)
				putchar(' ');
			put_word(stdout, av[i]);
		}
		putchar('\n');
		free(o_kh);
		rc = cmd_flush();
		goto out;
	}
	ssh = util_which("ssh");
	if (!ssh) {
		free(o_kh);
		rc = cmd_error(VMM_EFAIL, "ssh: not found (install the openssh-client package)");
		goto out;
	}
	fflush(NULL);
	execv(ssh, av);
	free(o_kh);
	rc = cmd_error(VMM_EFAIL, "%s: %s", ssh, util_strerror(errno));
out:
	free(av);
	free(ssh);
	free(pub);
	free(priv);
	free(kh);
	sshkey_host_free(&hk);
	profile_free(&p);
	return rc;
}
