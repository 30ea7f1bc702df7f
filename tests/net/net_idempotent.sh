#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# net_idempotent.sh: `vmm net up` twice and ten times leaves exactly the state of once.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd iptables-legacy-save
tutorial_topology
fw_pin iptables-legacy # the libiptc backend (tests/net/nft_*.sh test nftables)
create_guests ubuntu ubuntu2

nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "net up: $(cat "$T/err")"
once=$(net_snapshot "$HOST")
state_once=$(cat "$VMM_HOME/run/net.state")
assert_contains "$once" "br0" "snapshot holds the bridge"
assert_contains "$once" "MASQUERADE" "snapshot holds the rules"

nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "second net up: $(cat "$T/err")"
twice=$(net_snapshot "$HOST")
[ "$twice" = "$once" ] || { diff <(echo "$once") <(echo "$twice") >&2; fail "state after up x2 differs"; }
assert_eq "$(cat "$VMM_HOME/run/net.state")" "$state_once" "net.state after up x2"

for i in 3 4 5 6 7 8 9 10; do
	nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "net up #$i: $(cat "$T/err")"
done
ten=$(net_snapshot "$HOST")
[ "$ten" = "$once" ] || { diff <(echo "$once") <(echo "$ten") >&2; fail "state after up x10 differs"; }
assert_eq "$(cat "$VMM_HOME/run/net.state")" "$state_once" "net.state after up x10"

# A piece removed behind vmm's back is put back, and only that piece.
nsx "$HOST" ip link del vmm-ubuntu2
nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "net up after tap removal: $(cat "$T/err")"
again=$(net_snapshot "$HOST" | grep -v vmm-ubuntu2)
[ "$again" = "$(grep -v vmm-ubuntu2 <<<"$once")" ] || fail "state after repair differs"
nsx "$HOST" ip -d link show vmm-ubuntu2 | grep -q "master br0" || fail "tap not recreated"

# Up and down ten times: the host ends where it began.
nsx "$HOST" "$VMM" net down 2>"$T/err" || fail "net down: $(cat "$T/err")"
base=$(net_snapshot "$HOST")
for i in 1 2 3 4 5 6 7 8 9 10; do
	nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "cycle $i up: $(cat "$T/err")"
	nsx "$HOST" "$VMM" net down 2>"$T/err" || fail "cycle $i down: $(cat "$T/err")"
done
assert_eq "$(net_snapshot "$HOST")" "$base" "state after 10 up/down cycles"
echo ok
