#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nft_owned.sh: chains vmm cannot open, which must not fail the whole transaction: firewalld 2.x
# keeps its table with flag owner (no other process may change it; the owner here is a
# long-lived `nft -i`), and a table whose name nft's parser refuses (the keyword "fwd", made
# through nft's JSON input). net up succeeds and says it cannot open them, `net status` names
# them with what would open them, and net down leaves both tables exactly as they were.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd nft
need_cmd socat
tutorial_topology
guest_standin
create_guests ubuntu
fw_pin nftables

mkfifo "$T/owner.in"
nsx "$HOST" nft -i <"$T/owner.in" >"$T/owner.log" 2>&1 &
track_pid $!
exec 3>"$T/owner.in"
cat >&3 <<'NFT'
add table inet firewalld { flags owner; }
add chain inet firewalld filter_FORWARD { type filter hook forward priority filter + 10; policy accept; }
add rule inet firewalld filter_FORWARD ct state established,related accept
add rule inet firewalld filter_FORWARD reject with icmpx admin-prohibited
NFT
for _ in $(seq 50); do nsx "$HOST" nft list tables 2>/dev/null | grep -q firewalld && break; sleep 0.1; done
assert_contains "$(nsx "$HOST" nft list table inet firewalld)" "flags owner"
nsx "$HOST" nft insert rule inet firewalld filter_FORWARD accept 2>/dev/null && fail "the owner flag does not protect the table here: the test proves nothing"
cat >"$T/fwd.json" <<'JSON'
{"nftables": [{"add": {"table": {"family": "inet", "name": "fwd"}}},
 {"add": {"chain": {"family": "inet", "table": "fwd", "name": "fwd", "type": "filter",
  "hook": "forward", "prio": 5, "policy": "drop"}}}]}
JSON
nsx "$HOST" nft -j -f "$T/fwd.json" || fail "a table named fwd"
before=$(nft_save "$HOST")

nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "net up with an owned table: $(cat "$T/err")"
assert_contains "$(cat "$T/err")" "vmm: firewall: inet firewalld filter_FORWARD (firewalld) drops br0's traffic and its table is owned by another process: vmm cannot open it"
assert_contains "$(cat "$T/err")" "vmm: firewall: inet fwd fwd (nftables) drops br0's traffic and its name cannot be written in nft's syntax: vmm cannot open it"
assert_eq "$(nsx "$HOST" nft list table inet firewalld | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/')" \
	"$(printf '%s\n' "$before" | sed -n '/^table inet firewalld/,/^}/p')" "the owned table after net up"
nsx "$HOST" nft list table inet vmm >/dev/null || fail "vmm's own table is missing"
OUT=$(nsx "$HOST" "$VMM" net status) || fail "net status"
assert_contains "$OUT" "problem: inet firewalld filter_FORWARD (firewalld) drops guest traffic and its table is owned by firewalld (flag owner): vmm cannot open it; \`firewall-cmd --permanent --zone=trusted --add-interface=br0 && firewall-cmd --reload\` would"
assert_contains "$OUT" "problem: inet fwd fwd (nftables) drops guest traffic and its name cannot be written in nft's syntax: vmm cannot open it; accept traffic from and back to br0 there"
assert_eq "$(nsx "$HOST" "$VMM" net status --json | jq -r '.firewall.forward_hook[] | select(.table == "firewalld") | .table_owned')" true
# nothing more to do: a second net up commits nothing and says nothing
nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "second net up: $(cat "$T/err")"
assert_not_contains "$(cat "$T/err")" "firewall:" "second net up"
nsx "$HOST" ip link set vg0 master br0 up
lan_peer_servers
guest_blocked "through firewalld's owned reject"
nsx "$HOST" ip link set vg0 nomaster
nsx "$HOST" "$VMM" net down 2>"$T/err" || fail "net down: $(cat "$T/err")"
assert_eq "$(nft_save "$HOST")" "$before" "ruleset after net down"
exec 3>&-
