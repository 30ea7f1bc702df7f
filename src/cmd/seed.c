// SPDX-License-Identifier: MIT
/* seed.c: `vmm seed NAME`: write the guest's cloud-init seed ISO (images/NAME-seed.iso) */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "vmm/cmd/cmd.h"
#include "vmm/config/dns.h"
#include "vmm/sys/error.h"
#include "vmm/storage/seed.h"
#include "vmm/sys/util.h"

struct seed_args {
	bool print;
};

static const struct cmd_option seed_options[] = {
	OPT_FLAG(0, "print", struct seed_args, print,
		 "print meta-data, user-data and network-config instead of writing the ISO (also what --dry-run does)"),
	OPT_END,
};

const struct cmd_spec cmd_seed_spec = {
	.name = "seed",
	.args = "NAME",
	.summary = "write the guest's cloud-init NoCloud seed ISO (HOME/images/NAME-seed.iso) and print its path",
	.options = seed_options,
	.complete = CMD_COMPLETE_PROFILE,
};

/* The three files, each under a "==> NAME <==" header (like `head` of several files). */
static int print_files(const struct vmm_home *home, const struct vmm_profile *p,
		       const struct vmm_netcfg *n)
{
	char **dns = NULL;
	size_t n_dns = 0;
	struct seed_files f = { 0 };
	struct sshkey_host hk = { 0 };
	int rc = 0, have_hk = 1;

	/* the host keys as the ISO will carry them (not made here: printing changes nothing) */
	if (p->n_ssh_keys && (have_hk = sshkey_host_load(home, p->name, &hk)) < 0) {
		rc = cmd_report();
		goto out;
	}
	if (seed_dns(p, n, &dns, &n_dns) < 0 ||
	    seed_render(p, n, dns, n_dns, p->runcmd, p->n_runcmd, have_hk == 0 ? &hk : NULL,
			&f) < 0) {
		rc = cmd_report();
		goto out;
	}
	printf("==> meta-data <==\n%s\n==> user-data <==\n%s\n==> network-config <==\n%s",
	       f.meta_data, f.user_data, f.network_config);
	rc = 0;
out:
	seed_files_free(&f);
	dns_free(dns, n_dns);
	sshkey_host_free(&hk);
	return rc;
}

int cmd_seed(struct vmm_ctx *ctx, int argc, char **argv)
{
	struct seed_args a = { .print = ctx->dry_run };
	struct vmm_profile p;
	struct vmm_netcfg n;
	char *path = NULL;
	int rc = cmd_parse(&cmd_seed_spec, argc, argv, &a);
	if (rc || (rc = cmd_load_one(ctx, "seed", argc, argv, &p)))
		return rc;
	bool print = a.print;
	if (store_load_net(&ctx->home, &n) < 0) {
		rc = cmd_report();
		goto out; /* n holds the defaults even then */
	}
	if (print) {
		rc = print_files(&ctx->home, &p, &n);
		goto out;
	}
	if (seed_ensure(&ctx->home, &p, &n, &path) < 0) {
		rc = cmd_report();
		goto out;
	}
	printf("%s\n", path);
	rc = 0;
out:
	free(path);
	netcfg_free(&n);
	profile_free(&p);
	return rc;
}
