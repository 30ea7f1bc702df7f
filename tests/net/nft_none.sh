#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nft_none.sh: an nf_tables host without any firewall: `auto` picks nftables, vmm's table inet vmm
# alone gives the guests NAT (ICMP, TCP, UDP), --dry-run shows the transaction, net up x10 commits
# nothing new, net down leaves the ruleset empty and forwarding off again.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd nft
need_cmd socat
need_cmd iptables-nft-save
tutorial_topology
guest_standin
create_guests ubuntu

# auto: this host's iptables is the nf_tables variant (or missing), the legacy tables are empty
case "$(readlink -f /usr/sbin/iptables 2>/dev/null)" in *legacy*) fw_pin nftables ;; esac
OUT=$(nsx "$HOST" "$VMM" net status) || fail "net status"
assert_contains "$OUT" "firewall: nftables ("
assert_contains "$OUT" "note: vmm's rules: \`nft list table inet vmm\`"
# the plan is the nft transaction, and looking changes nothing
before=$(nft_host_state "$HOST")
OUT=$(nsx "$HOST" "$VMM" net up --dry-run) || fail "net up --dry-run"
assert_contains "$OUT" "add table inet vmm"
assert_contains "$OUT" "add chain inet vmm forward { type filter hook forward priority filter - 10; policy accept; }"
assert_contains "$OUT" 'add rule inet vmm postrouting ip saddr 192.168.166.0/24 oifname != "br0" masquerade comment "vmm br0 '
assert_not_contains "$OUT" "insert rule" "nothing to open on this host"
assert_eq "$(nft_host_state "$HOST")" "$before" "state after --dry-run"

nft_story none :
# nothing of vmm's is left in nf_tables, and the legacy tables were never touched
assert_eq "$(nsx "$HOST" nft list ruleset)" "" "ruleset after net down"
assert_eq "$(nsx "$HOST" iptables-legacy-save | grep -c -- '^-A')" 0 "legacy rules"
