// SPDX-License-Identifier: MIT
/* cmd/ssh.c: `vmm ssh NAME [-- COMMAND...]`: OpenSSH's ssh (exec'd with an argv) to the guest as
 * its image's user, with its key and pinned host keys: no prompt, strict checking */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/cmd/cmd.h"
#include "vmm/sys/error.h"
#include "vmm/net/netmode.h"
#include "vmm/storage/sshkey.h"
#include "vmm/sys/util.h"
#include "vmm/config/validate.h"

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

/* ssh's argv (malloc'd array; its strings are borrowed, o_kh aside, which *o_kh owns). login:
 * the user to log in as (NULL: ssh's default). */
static char **ssh_argv(const struct vmm_profile *p, const char *login, const char *ip,
		       const char *port, const char *kh, const char *priv, char *const *cmd,
		       int ncmd, char **o_kh, int *n_out)
{
	char **av = calloc((size_t)(24 + ncmd), sizeof(char *));
	if (!av)
		abort();
	int n = 0;
	*o_kh = util_fmt("UserKnownHostsFile=%s", kh);
	av[n++] = "ssh";
	av[n++] = "-o";
	av[n++] = "StrictHostKeyChecking=yes";
	av[n++] = "-o";
	av[n++] = *o_kh;
	av[n++] = "-o";
	av[n++] = "GlobalKnownHostsFile=/dev/null";
	av[n++] = "-o";
	av[n++] = "UpdateHostKeys=no";
	if (priv) {
		av[n++] = "-o";
		av[n++] = "IdentitiesOnly=yes";
		av[n++] = "-i";
		av[n++] = (char *)priv;
	}
	if (login) {
		av[n++] = "-l";
		av[n++] = (char *)login;
	}
	if (port) {
		av[n++] = "-p";
		av[n++] = (char *)port;
	}
	av[n++] = (char *)ip;
	for (int i = 0; i < ncmd; i++)
		av[n++] = cmd[i];
	av[n] = NULL;
	*n_out = n;
	return av;
}

/* The guest's host keys into known_hosts (at its address now) and the key to log in with
 * (*priv malloc'd, or NULL: ssh's own). Returns 0 or the exit code. */
static int ssh_keys(struct vmm_ctx *ctx, const struct vmm_profile *p, const char *ip, bool print,
		    char **priv)
{
	struct sshkey_host hk = { 0 };
	char *pub = NULL;
	int rc = 0;
	int r = sshkey_host_load(&ctx->home, p->name, &hk);
	if (r < 0)
		return cmd_report();
	if (r > 0)
		return cmd_error(VMM_EFAIL,
				 "%s: vmm has no host keys for this guest (it gets them in its seed "
				 "when it has SSH keys: vmm set %s ssh_key=FILE, then restart it)",
				 p->name, p->name);
	/* the address may have changed since the keys were made: known_hosts follows it */
	if (!print && sshkey_known_hosts_write(&ctx->home, p->name, ip, &hk) < 0)
		rc = cmd_report();
	sshkey_host_free(&hk);
	if (rc)
		return rc;
	if (p->ssh_identity)
		*priv = util_strdup(p->ssh_identity);
	else if (sshkey_default_identity(&ctx->home, false, &pub, priv, NULL) < 0)
		vmm_error_clear(); /* no key of ours: ssh tries its own (agent, ~/.ssh) */
	free(pub);
	if (*priv && !util_exists(*priv))
		return cmd_error(VMM_EFAIL, "%s: ssh key %s: %s", p->name, *priv,
				 util_strerror(ENOENT));
	return 0;
}

/* Where ssh goes: the guest's address (on the bridge: the host's, or the user's namespace,
 * entered first), or with network = "user" the host's loopback at its forward to port 22
 * (known_hosts names it "[127.0.0.1]:PORT"). host: the known_hosts name; port: "" for 22. */
static int ssh_target(const struct vmm_profile *p, char ip[16], char host[32], char port[8])
{
	if (!profile_net_user(p)) {
		if (profile_ip(p, ip) < 0)
			return -1;
		snprintf(host, 32, "%s", ip);
		return 0;
	}
	unsigned fwd = profile_forward_to(p, 22);
	if (!fwd)
		return vmm_invalid("%s: vmm ssh with network = \"user\" needs a forward to its port "
				   "22 (vmm set %s forward=2222:22)", p->name, p->name);
	snprintf(ip, 16, "127.0.0.1");
	snprintf(port, 8, "%u", fwd & 0xffff);
	snprintf(host, 32, "[127.0.0.1]:%u", fwd & 0xffff);
	return 0;
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
	int rc = cmd_parse(&cmd_ssh_spec, dash, argv, &a);
	if (rc)
		return rc;
	bool print = a.print || ctx->dry_run;
	if (dash - optind != 1)
		return cmd_usage_error("ssh", "needs exactly one NAME (a command goes after \"--\")");
	struct vmm_profile p;
	if (store_load(&ctx->home, argv[optind], &p) < 0)
		return cmd_report();
	char *kh = NULL, *priv = NULL, *ssh = NULL, *o_kh = NULL;
	char **av = NULL;
	char ip[16], host[32], port[8] = "";
	int n = 0;
	if (ssh_target(&p, ip, host, port) < 0) {
		rc = cmd_report();
		goto out;
	}
	if ((rc = ssh_keys(ctx, &p, host, print, &priv)))
		goto out;
	kh = sshkey_known_hosts_path(&ctx->home, p.name);
	/* without root, ssh runs inside the user's namespace, where it believes it is root: it
	 * gets the login name from here (user, key and known_hosts are all explicit then) */
	const struct netmode *nm = profile_net_user(&p) ? &netmode_host : netmode_current();
	struct passwd *pw = nm->rootless && !p.user ? getpwuid(getuid()) : NULL;
	const char *login = p.user ? p.user : pw ? pw->pw_name : NULL;
	av = ssh_argv(&p, login, ip, *port ? port : NULL, kh, priv, argv + dash + 1,
		      dash < argc ? argc - dash - 1 : 0, &o_kh, &n);
	if (print) {
		for (int i = 0; i < n; i++) {
			if (i)
				putchar(' ');
			put_word(stdout, av[i]);
		}
		putchar('\n');
		rc = 0;
		goto out;
	}
	ssh = util_which("ssh");
	if (!ssh) {
		rc = cmd_error(VMM_EFAIL, "ssh: not found (install the openssh-client package)");
		goto out;
	}
	fflush(NULL);
	if (nm->enter(&ctx->home) < 0) {
		rc = cmd_report();
		goto out;
	}
	execv(ssh, av);
	rc = cmd_error(VMM_EFAIL, "%s: %s", ssh, util_strerror(errno));
out:
	free(av);
	free(o_kh);
	free(ssh);
	free(priv);
	free(kh);
	profile_free(&p);
	return rc;
}
