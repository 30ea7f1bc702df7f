#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# net_rollback.sh: refusals change nothing, and a failure half-way through `net up` undoes every
# step before it; `net down` removes only what vmm added (an admin's bridge stays).
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd iptables-legacy-save
tutorial_topology
create_guests ubuntu ubuntu2

# 1. The bridge address is already on another interface (a veth; this kernel has no dummy): refused before any change.
nsx "$HOST" ip link add dummy0 type veth peer name dummy0p
nsx "$HOST" ip addr add 192.168.166.1/24 dev dummy0
before=$(net_snapshot "$HOST")
OUT=$(nsx "$HOST" "$VMM" net up 2>&1); RC=$?
assert_eq "$RC" 2 "net up with the address taken"
assert_eq "$OUT" "vmm: bridge br0: address 192.168.166.1 is already on dummy0"
assert_eq "$(net_snapshot "$HOST")" "$before" "state after refusal"
assert_no_file "$VMM_HOME/run/net.state"
nsx "$HOST" ip link del dummy0

# 2. An interface called br0 that is not a bridge (a veth): refused, untouched.
nsx "$HOST" ip link add br0 type veth peer name br0p
before=$(net_snapshot "$HOST")
OUT=$(nsx "$HOST" "$VMM" net up 2>&1); RC=$?
assert_eq "$RC" 2 "net up with br0 a dummy"
assert_eq "$OUT" "vmm: bridge br0: an interface of that name exists and is not a bridge (it is a veth)"
assert_eq "$(net_snapshot "$HOST")" "$before" "state after refusal"
nsx "$HOST" ip link del br0

# 3. Half-way: the second guest's tap name is taken by a veth. The bridge, its address, the
#    first tap were made by then: all must be gone again.
nsx "$HOST" ip link add vmm-ubuntu2 type veth peer name vmmu2p
before=$(net_snapshot "$HOST")
OUT=$(nsx "$HOST" "$VMM" net up 2>&1); RC=$?
assert_eq "$RC" 1 "net up with a tap name taken"
assert_contains "$OUT" "ubuntu2: tap vmm-ubuntu2: an interface of that name exists and is not a tap (it is a veth)"
after=$(net_snapshot "$HOST")
[ "$after" = "$before" ] || { diff <(echo "$before") <(echo "$after") >&2; fail "left behind after failed net up"; }
assert_no_file "$VMM_HOME/run/net.state"
nsx "$HOST" ip link del vmm-ubuntu2

# 4. A failure injected after each step (a test hook in hostnet.c) leaves nothing behind.
before=$(net_snapshot "$HOST")
assert_eq "$(nsx "$HOST" cat /proc/sys/net/ipv4/ip_forward)" 0
for step in bridge address tap forwarding firewall; do
	OUT=$(VMM_TEST_NET_FAIL_AFTER=$step nsx "$HOST" "$BUILD/vmm-test" net up 2>&1); RC=$?
	assert_eq "$RC" 1 "injected failure after $step"
	assert_eq "$OUT" "vmm: net up: injected failure after the $step step"
	after=$(net_snapshot "$HOST")
	[ "$after" = "$before" ] || { diff <(echo "$before") <(echo "$after") >&2; fail "left behind after failure at $step"; }
	assert_no_file "$VMM_HOME/run/net.state"
done

# 5. A failure after a successful net up only undoes that run's changes, not the earlier ones.
nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "net up: $(cat "$T/err")"
up=$(net_snapshot "$HOST")
nsx "$HOST" ip link del vmm-ubuntu
OUT=$(VMM_TEST_NET_FAIL_AFTER=firewall nsx "$HOST" "$BUILD/vmm-test" net up 2>&1) && fail "injected failure ignored"
assert_eq "$(net_snapshot "$HOST")" "$(grep -v vmm-ubuntu: <<<"$up")" "state after failed second up"
nsx "$HOST" "$VMM" net down 2>"$T/err" || fail "net down: $(cat "$T/err")"
assert_eq "$(net_snapshot "$HOST")" "$before" "state after down"

# 6. The admin's own bridge with the address: net up adopts it, net down leaves it (and its
#    address), removing only the taps, forwarding and rules vmm added.
#    (With its own MAC: a bridge without one takes its ports' and goes 00:00:00:00:00:00 when
#    they leave: the kernel's doing, not vmm's.)
nsx "$HOST" ip link add br0 address 02:00:00:00:00:01 type bridge
nsx "$HOST" ip addr add 192.168.166.1/24 dev br0
nsx "$HOST" ip link set br0 up
before=$(net_snapshot "$HOST")
nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "net up on the admin's bridge: $(cat "$T/err")"
assert_not_contains "$(cat "$VMM_HOME/run/net.state")" "bridge br0"
nsx "$HOST" "$VMM" net down 2>"$T/err" || fail "net down: $(cat "$T/err")"
after=$(net_snapshot "$HOST")
[ "$after" = "$before" ] || { diff <(echo "$before") <(echo "$after") >&2; fail "admin's bridge changed"; }
echo ok
