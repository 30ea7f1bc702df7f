#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# net_down.sh: `net down` refuses while a guest runs (changing nothing), --force goes ahead but
# leaves a tap a process holds open; `net up` copes with a tap held open; --dry-run changes nothing.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd python3
tutorial_topology
create_guests ubuntu ubuntu2

# --dry-run prints the plan and changes nothing.
before=$(net_snapshot "$HOST")
OUT=$(nsx "$HOST" "$VMM" --dry-run net up 2>"$T/err") || fail "net up --dry-run: $(cat "$T/err")"
assert_contains "$OUT" "create bridge br0 (up)"
assert_contains "$OUT" "add address 192.168.166.1/24 to br0"
assert_contains "$OUT" "create tap vmm-ubuntu for ubuntu"
assert_contains "$OUT" "set /proc/sys/net/ipv4/ip_forward = 1"
assert_contains "$OUT" "firewall:"
OUT2=$(nsx "$HOST" "$VMM" net up --dry-run 2>&1) || fail "net up --dry-run (option after)"
assert_eq "$OUT2" "$OUT" "--dry-run before and after the subcommand"
assert_eq "$(net_snapshot "$HOST")" "$before" "state after --dry-run"
assert_no_file "$VMM_HOME/run/net.state"

# A process (standing in for QEMU) holds the first guest's tap open before net up.
hold_tap "$HOST" vmm-ubuntu 600

nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "net up with a tap held open: $(cat "$T/err")"
assert_contains "$(nsx "$HOST" ip -d link show vmm-ubuntu)" "master br0" "held tap enslaved"
OUT=$(nsx "$HOST" "$VMM" net status)
assert_contains "$OUT" "tap vmm-ubuntu (guest ubuntu): present, enslaved, up, in use"
assert_contains "$OUT" "tap vmm-ubuntu2 (guest ubuntu2): present, enslaved, up, not in use"
OUT=$(nsx "$HOST" "$VMM" --dry-run net down) || fail "net down --dry-run"
assert_contains "$OUT" "delete bridge br0"

# A running guest: a process recorded as vmm records its QEMU (pid and start time).
cp "$(command -v sleep)" "$T/qemu-system-x86_64"
"$T/qemu-system-x86_64" 600 &
fake=$!; track_pid $fake
fake_running ubuntu $fake

up=$(net_snapshot "$HOST")
state=$(cat "$VMM_HOME/run/net.state")
OUT=$(nsx "$HOST" "$VMM" net down 2>&1); RC=$?
assert_eq "$RC" 1 "net down while a guest runs"
assert_eq "$OUT" "vmm: net down: guests running: ubuntu (stop them first, or --force)"
assert_eq "$(net_snapshot "$HOST")" "$up" "state after refused down"
assert_eq "$(cat "$VMM_HOME/run/net.state")" "$state" "net.state after refused down"

run_vmm 2 net up --force
assert_contains "$ERR" "--force is for \"net down\""

nsx "$HOST" "$VMM" net down --force 2>"$T/err" || fail "net down --force: $(cat "$T/err")"
nsx "$HOST" ip link show br0 >/dev/null 2>&1 && fail "bridge still there after --force"
nsx "$HOST" ip link show vmm-ubuntu2 >/dev/null 2>&1 && fail "free tap still there"
nsx "$HOST" ip link show vmm-ubuntu >/dev/null 2>&1 || fail "the held tap was removed under its process"
assert_eq "$(nsx "$HOST" cat /proc/sys/net/ipv4/ip_forward)" 0

# Once its process is gone, the held tap (a non-persistent one here) goes with it.
kill $HOLDER; wait $HOLDER 2>/dev/null
for _ in $(seq 50); do nsx "$HOST" ip link show vmm-ubuntu >/dev/null 2>&1 || break; sleep 0.1; done
nsx "$HOST" ip link show vmm-ubuntu >/dev/null 2>&1 && fail "tap outlived its holder"

# Unknown subcommands and stray arguments are usage errors.
run_vmm 2 net sideways
assert_contains "$ERR" "unknown subcommand \"sideways\""
run_vmm 2 net
run_vmm 2 net up extra
echo ok
