#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# vmm start and the firewall it ensures (nftables): a start that finds the rules complete
# records the ruleset's generation (run/fw.checked), so the next start knows without loading
# libnftables; when anything changed the ruleset since (vmm's table deleted by hand), or net.cfg
# changed, the next start checks again and brings the rules back in line.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd nft
need_guest
tutorial_topology
e2e_net_cfg
fw_pin nftables
guest_create g1 192.168.166.100
NFTLIB=$(grep -aoE -m1 'libnftables\.so\.[0-9]+' "$VMM" | head -n 1)
[ -n "$NFTLIB" ] || fail "vmm names no libnftables.so.N"

# start_maps: vmm start g1 in $HOST; $ERR its notices, $MAPS the shared objects it loaded
start_maps() {
	nsx "$HOST" env LD_DEBUG=files LD_DEBUG_OUTPUT="$T/ld" "$VMM" start g1 >/dev/null 2>"$T/err" ||
		fail "vmm start g1: $(cat "$T/err")"
	ERR=$(cat "$T/err")
	MAPS=$(cat "$T"/ld.* 2>/dev/null | sed -n 's/.*file=\([^ ]*\) \[0\];  generating link map/\1/p')
	rm -f "$T"/ld.*
	nsx "$HOST" "$VMM" stop g1 --force >/dev/null 2>&1 || fail "vmm stop g1"
}

# the first start brings the network up, the second finds it complete and records that
start_maps
assert_contains "$ERR" "vmm: network br0 was down, bringing it up"
start_maps
assert_not_contains "$ERR" "was down"
assert_contains "$MAPS" "$NFTLIB" "a full check reads the ruleset"
assert_file "$VMM_HOME/run/fw.checked"
# nothing changed since: no libnftables at all
start_maps
assert_not_contains "$ERR" "was down"
assert_not_contains "$MAPS" "$NFTLIB" "a start after a complete check"

# the ruleset changed under vmm (its table deleted): the next start sees it and repairs
nsx "$HOST" nft delete table inet vmm || fail "nft delete table"
start_maps
assert_contains "$ERR" "vmm: network br0 was down, bringing it up"
assert_contains "$MAPS" "$NFTLIB"
assert_contains "$(nsx "$HOST" nft list table inet vmm)" "masquerade" "rules back"
# another tool's change anywhere in the ruleset also makes the next start look
start_maps
nsx "$HOST" nft add table ip othertool || fail "nft add table"
start_maps
assert_contains "$MAPS" "$NFTLIB" "a start after another tool's change"

# net.cfg changed (no NAT now): the record does not match, the rules follow net.cfg
sed -i 's/^nat = true;/nat = false;/' "$VMM_HOME/profiles/net.cfg"
grep -q '^nat = false;' "$VMM_HOME/profiles/net.cfg" || fail "net.cfg not edited"
start_maps
assert_contains "$MAPS" "$NFTLIB" "a start after net.cfg changed"
assert_not_contains "$(nsx "$HOST" nft list table inet vmm)" "masquerade" "the NAT rule left with nat = false"
nsx "$HOST" "$VMM" net down >/dev/null 2>&1 || fail "net down"
echo ok
