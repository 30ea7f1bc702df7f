// SPDX-License-Identifier: MIT
/* fw_config.c: the check of a firewall config, shared by the firewall and its backends */
#include <stdio.h>
#include <string.h>

#include <net/if.h>

#include "vmm/net/fw_config.h"
#include "vmm/sys/error.h"
#include "vmm/sys/util.h"

int fw_config_check(const struct fw_config *c)
{
	if (!c || !c->bridge || !*c->bridge)
		return vmm_invalid("firewall: no bridge name");
	size_t n = strlen(c->bridge);
	if (n >= IFNAMSIZ)
		return vmm_invalid("firewall: bridge %s: name longer than %d characters", c->bridge,
				   IFNAMSIZ - 1);
	for (size_t i = 0; i < n; i++) {
		char ch = c->bridge[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '-' || ch == '_' || ch == '.'))
			return vmm_invalid("firewall: bridge %s: only letters, digits, '-', '_' and '.' "
					   "are allowed in its name", c->bridge);
	}
	if (c->prefix < 1 || c->prefix > 32)
		return vmm_invalid("firewall: prefix /%u: must be 1 to 32", c->prefix);
	if (c->network & ~util_prefix_mask(c->prefix)) {
		char a[16];
		util_format_ipv4(c->network, a);
		return vmm_invalid("firewall: network %s/%u: host bits set", a, c->prefix);
	}
	if (c->mark & (c->mark - 1))
		return vmm_invalid("firewall: mark 0x%x: must be a single bit", c->mark);
	for (size_t i = 0; i < c->n_forwards; i++) {
		const struct fw_forward *f = &c->forwards[i];
		if ((f->proto != 6 && f->proto != 17) || !f->host_port || !f->guest_port)
			return vmm_invalid("firewall: forward %zu of %s: needs tcp or udp and two ports",
					   i + 1, f->guest);
		if ((f->guest_ip & util_prefix_mask(c->prefix)) != c->network) {
			char a[16], nw[16];
			util_format_ipv4(f->guest_ip, a);
			util_format_ipv4(c->network, nw);
			return vmm_invalid("firewall: forward %zu of %s: guest address %s outside %s/%u",
					   i + 1, f->guest, a, nw, c->prefix);
		}
		uint32_t lo = f->host_ip >> 24;
		if (f->host_ip && (lo == 127 || lo == 0 || lo >= 224))
			return vmm_invalid("firewall: forward %zu of %s: host address not usable "
					   "(loopback, 0.0.0.0/8 or multicast)", i + 1, f->guest);
		for (size_t j = 0; j < i; j++)
			if (c->forwards[j].proto == f->proto && c->forwards[j].host_port == f->host_port &&
			    (!f->host_ip || !c->forwards[j].host_ip || f->host_ip == c->forwards[j].host_ip))
				return vmm_invalid("firewall: host port %s/%u forwarded twice (%s, %s)",
						   f->proto == 6 ? "tcp" : "udp", f->host_port,
						   c->forwards[j].guest, f->guest);
	}
	return 0;
}
