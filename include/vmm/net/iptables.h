/* SPDX-License-Identifier: MIT */
/* iptables.h: the iptables-legacy firewall backend (libiptc): fw_legacy_ops and its live part (the pure part: iptables_rules.h) */
#ifndef VMM_IPTABLES_H
#define VMM_IPTABLES_H

#include "vmm/net/fw_config.h"
#include "vmm/net/iptables_rules.h"

/* The backend's face to firewall.c. */
extern const struct fw_ops fw_legacy_ops;

/* The entry points behind fw_legacy_ops. */
int fw_legacy_apply(const struct fw_config *c);
int fw_legacy_remove(const struct fw_config *c);
int fw_legacy_status_rules(const struct fw_config *c, struct fw_status *st);
/* The two host probes for status: iptables is the nf_tables variant; an nf_tables forward chain
 * has policy drop. */
void fw_legacy_probes(struct fw_status *st);
int fw_legacy_plan(const struct fw_config *c, char **text);
/* 1 when a legacy table in this network namespace holds a rule, a user chain or a policy other
 * than ACCEPT; 0 when none does (or none is loaded); never loads a table. */
int fw_legacy_in_use(void);
unsigned fw_legacy_commits(void);

#endif
