#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# net_crash.sh: vmm killed (SIGKILL) at every crash point of `net up` and `net down` (the test
# build's VMM_TEST_KILL_AT: before and after each journal write, so between every two host
# changes), and at a few wall-clock instants: the next `net up` says it recovered, and `net up`
# then `net down` return the host exactly to the state before the first `net up`.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd iptables-legacy-save
tutorial_topology
create_guests ubuntu ubuntu2
HOOKED="$BUILD/vmm-test"
[ -x "$HOOKED" ] || fail "no test build at $HOOKED (make $HOOKED)"
before=$(net_snapshot "$HOST")

# up then down must come back to $before; $1 says which kill this was
round_trip() {
	nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "$1: net up after the kill: $(cat "$T/err")"
	nsx "$HOST" "$VMM" net down 2>"$T/err" || fail "$1: net down: $(cat "$T/err")"
	after=$(net_snapshot "$HOST")
	[ "$after" = "$before" ] || { diff <(echo "$before") <(echo "$after") >&2; fail "$1: host not as before"; }
	assert_no_file "$VMM_HOME/run/net.state"
}

# 1. Killed at crash point N of net up, for every N until a run gets through.
killed=0
for n in $(seq 1 60); do
	VMM_TEST_KILL_AT=$n nsx "$HOST" "$HOOKED" -q net up 2>/dev/null; rc=$?
	if [ $rc -eq 0 ]; then break; fi
	[ $rc -eq 137 ] || fail "net up killed at point $n: exit $rc, wanted 137 (SIGKILL)"
	killed=$((killed + 1))
	if grep -q '^begin up' "$VMM_HOME/run/net.state" 2>/dev/null; then
		cp "$VMM_HOME/run/net.state" "$T/journal.before"
		# the next command recovers and says so in one line
		out=$(nsx "$HOST" "$VMM" net up 2>&1) || fail "up after kill at $n: $out"
		assert_contains "$out" "vmm: net: rolled back an interrupted \`net up\`" "kill at $n"
		pid=$(sed -n 's/^begin up \([0-9]*\)$/\1/p' "$T/journal.before")
		assert_contains "$out" "(pid $pid)" "the killed process named"
		nsx "$HOST" "$VMM" net down 2>"$T/err" || fail "down after kill at $n: $(cat "$T/err")"
		after=$(net_snapshot "$HOST")
		[ "$after" = "$before" ] || { diff <(echo "$before") <(echo "$after") >&2; fail "up killed at $n: host not as before"; }
	else
		round_trip "up killed at $n"
	fi
done
[ $rc -eq 0 ] || fail "net up never got through 60 crash points"
[ $killed -ge 8 ] || fail "only $killed crash points in net up: the journal is not written step by step"
nsx "$HOST" "$VMM" net down 2>/dev/null
echo "net up: killed at $killed points, recovered every time"

# 2. Killed at crash point N of net down: the next command completes the down.
killed=0
for n in $(seq 1 60); do
	nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "net up: $(cat "$T/err")"
	VMM_TEST_KILL_AT=$n nsx "$HOST" "$HOOKED" -q net down 2>/dev/null; rc=$?
	if [ $rc -eq 0 ]; then
		after=$(net_snapshot "$HOST")
		[ "$after" = "$before" ] || fail "net down (not killed) left the host changed"
		break
	fi
	[ $rc -eq 137 ] || fail "net down killed at point $n: exit $rc, wanted 137"
	killed=$((killed + 1))
	if grep -q '^begin down' "$VMM_HOME/run/net.state" 2>/dev/null; then
		out=$(nsx "$HOST" "$VMM" net down 2>&1) || fail "down after kill at $n: $out"
		assert_contains "$out" "vmm: net: completed an interrupted \`net down\`" "down kill at $n"
	fi
	round_trip "down killed at $n"
done
[ $rc -eq 0 ] || fail "net down never got through 60 crash points"
[ $killed -ge 2 ] || fail "only $killed crash points in net down"
echo "net down: killed at $killed points, recovered every time"

# 3. Wall-clock kills of the shipped binary (what Ctrl-C, the OOM killer or a power cut do).
for ms in 1 2 3 5 8 10 15 20 30; do
	nsx "$HOST" timeout -s KILL "0.00$ms" "$VMM" -q net up 2>/dev/null
	[ ${#ms} -eq 2 ] && nsx "$HOST" timeout -s KILL "0.0$ms" "$VMM" -q net up 2>/dev/null
	round_trip "net up killed after $ms ms"
	nsx "$HOST" "$VMM" -q net up 2>/dev/null || fail "net up"
	nsx "$HOST" timeout -s KILL "0.00$ms" "$VMM" -q net down 2>/dev/null
	round_trip "net down killed after $ms ms"
done
echo ok
