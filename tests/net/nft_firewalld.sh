#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nft_firewalld.sh: a firewalld-like native table (inet firewalld, a forward chain at priority
# filter + 10 that ends in `reject with icmpx admin-prohibited`): vmm opens the bridge's traffic at
# the top of that chain; `firewall-cmd --reload` (the table deleted and made again) drops the
# opening, `net status` reports it, `net up` puts it back; net down gives the table back exactly.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd nft
need_cmd socat
need_cmd iptables-nft-save
tutorial_topology
guest_standin
create_guests ubuntu
fw_pin nftables

cat >"$T/firewalld.nft" <<'CONF'
table inet firewalld
delete table inet firewalld
table inet firewalld {
	chain filter_FORWARD {
		type filter hook forward priority filter + 10; policy accept;
		ct state { established, related } accept
		ct status dnat accept
		iifname "lo" accept
		ct state invalid drop
		reject with icmpx admin-prohibited
	}
	chain filter_INPUT {
		type filter hook input priority filter + 10; policy accept;
		ct state { established, related } accept
		iifname "lo" accept
	}
}
CONF
firewalld_reload() { nsx "$HOST" nft -f "$T/firewalld.nft" || fail "firewalld-like reload"; }
firewalld_reload

OUT=$(nsx "$HOST" "$VMM" net status) || fail "net status"
assert_contains "$OUT" "10 inet firewalld filter_FORWARD (firewalld): ends in drop/reject: drops guest traffic; vmm's opening in filter_FORWARD: missing"
nft_story firewalld firewalld_reload
# the opening went in first, and only there
