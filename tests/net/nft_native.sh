#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nft_native.sh: a hardened /etc/nftables.conf (a forward chain with policy drop) on an nf_tables
# host: with foreign = "leave" vmm only reports the chain and what would open it; with the default
# "open" it puts one mark rule at the top of that chain; `systemctl reload nftables` (nft -f of a
# file that begins with `flush ruleset`) wipes vmm's table and opening, `net status` says so and
# `net up` repairs; net down gives the host's ruleset back exactly.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd nft
need_cmd socat
need_cmd iptables-nft-save
tutorial_topology
guest_standin
create_guests ubuntu
fw_pin nftables

cat >"$T/nftables.conf" <<'CONF'
flush ruleset
table inet filter {
	chain input { type filter hook input priority filter; policy accept; }
	chain forward {
		type filter hook forward priority filter; policy drop;
		iifname "lo" accept
	}
	chain output { type filter hook output priority filter; policy accept; }
}
CONF
reload_conf() { nsx "$HOST" nft -f "$T/nftables.conf" || fail "nft -f nftables.conf"; }
reload_conf

# foreign = "leave": the chain is named with what would open it, nothing is opened
printf 'foreign = "leave";\n' >>"$VMM_HOME/profiles/net.cfg"
before=$(nft_host_state "$HOST")
nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "net up (leave): $(cat "$T/err")"
assert_not_contains "$(cat "$T/err")" "accepted" "foreign = leave opens nothing"
OUT=$(nsx "$HOST" "$VMM" net status) || fail "net status"
assert_contains "$OUT" "problem: inet filter forward (nftables) drops guest traffic; left alone (foreign = \"leave\")"
assert_contains "$OUT" "0 inet filter forward (nftables): policy drop: drops guest traffic; left alone (foreign = \"leave\"); foreign = \"open\" or \`nft insert rule inet filter forward meta mark & 0x2000 == 0x2000 accept\` would open it"
J=$(nsx "$HOST" "$VMM" net status --json) || fail "net status --json"
assert_eq "$(jq -r '.firewall.backend' <<<"$J")" nftables
assert_eq "$(jq -r '[.firewall.forward_hook[] | select(.drops_guest_traffic)] | map(.table + " " + .chain + " " + .opening) | join(",")' <<<"$J")" "filter forward missing"
assert_eq "$(jq -r '.firewall.forward_hook | map(.priority) | join(",")' <<<"$J")" "-10,0"
assert_not_contains "$(nsx "$HOST" nft list chain inet filter forward)" "vmm" "leave: the chain untouched"
nsx "$HOST" ip link set vg0 master br0 up
lan_peer_servers
guest_blocked "foreign = leave"
nsx "$HOST" ip link set vg0 nomaster
nsx "$HOST" "$VMM" net down 2>"$T/err" || fail "net down (leave): $(cat "$T/err")"
[ "$(nft_host_state "$HOST")" = "$before" ] || fail "host state after net down (leave)"
pkill_lan() { for p in $(ip netns pids "$LAN"); do kill "$p"; done; sleep 0.2; }
pkill_lan

# foreign = "open" (the default)
sed -i '/^foreign/d' "$VMM_HOME/profiles/net.cfg"
nft_story native reload_conf
