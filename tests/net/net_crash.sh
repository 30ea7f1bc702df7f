#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# net_crash.sh: vmm killed (SIGKILL) at every crash point of `net up` and `net down` (the test
# build's VMM_TEST_KILL_AT: before and after each journal write, so between every two host
# changes), and at a few wall-clock instants: the next `net up` says it recovered, and `net up`
# then `net down` return the host exactly to the state before the first `net up`. Then the crash
# points again with a fixed IPv6 /64 in net.cfg, on each firewall backend: the firewall record
# carrying the IPv6 side, the ::1/64, the IPv6 sysctls and the ip6 rules are recovered too.
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
	[ "$after" = "$before" ] ||
		{ diff <(echo "$before") <(echo "$after") >&2; fail "$1: host not as before"; }
	assert_no_file "$VMM_HOME/run/net.state"
}

# crash_points WHAT [CHECK]: 1. and 2. below with the current net.cfg (WHAT names it in the
# messages); CHECK (a function) runs once net up got through, before its net down. $journals
# gets every journal a kill left behind.
crash_points() {
	local what=$1 check=${2:-true} killed n rc out pid after
	journals=
	# 1. Killed at crash point N of net up, for every N until a run gets through.
	killed=0
	for n in $(seq 1 60); do
		VMM_TEST_KILL_AT=$n nsx "$HOST" "$HOOKED" -q net up 2>/dev/null; rc=$?
		if [ $rc -eq 0 ]; then break; fi
		[ $rc -eq 137 ] || fail "$what: net up killed at point $n: exit $rc, wanted 137"
		killed=$((killed + 1))
		journals+=$(cat "$VMM_HOME/run/net.state" 2>/dev/null)$'\n'
		if grep -q '^begin up' "$VMM_HOME/run/net.state" 2>/dev/null; then
			cp "$VMM_HOME/run/net.state" "$T/journal.before"
			# the next command recovers and says so in one line
			out=$(nsx "$HOST" "$VMM" net up 2>&1) ||
				fail "$what: up after kill $n: $out"
			assert_contains "$out" "vmm: net: rolled back an interrupted \`net up\`" \
				"kill at $n"
			pid=$(sed -n 's/^begin up \([0-9]*\)$/\1/p' "$T/journal.before")
			assert_contains "$out" "(pid $pid)" "the killed process named"
			nsx "$HOST" "$VMM" net down 2>"$T/err" ||
				fail "$what: down after kill at $n: $(cat "$T/err")"
			after=$(net_snapshot "$HOST")
			[ "$after" = "$before" ] || { diff <(echo "$before") <(echo "$after") >&2
				fail "$what: up killed at $n: host not as before"; }
		else
			round_trip "$what: up killed at $n"
		fi
	done
	[ $rc -eq 0 ] || fail "$what: net up never got through 60 crash points"
	[ $killed -ge 8 ] ||
		fail "$what: only $killed crash points in net up: the journal is not stepwise"
	$check
	nsx "$HOST" "$VMM" net down 2>/dev/null
	echo "$what: net up killed at $killed points, recovered every time"

	# 2. Killed at crash point N of net down: the next command completes the down.
	killed=0
	for n in $(seq 1 60); do
		nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "$what: net up: $(cat "$T/err")"
		VMM_TEST_KILL_AT=$n nsx "$HOST" "$HOOKED" -q net down 2>/dev/null; rc=$?
		if [ $rc -eq 0 ]; then
			after=$(net_snapshot "$HOST")
			[ "$after" = "$before" ] || fail "$what: net down, not killed: host changed"
			break
		fi
		[ $rc -eq 137 ] || fail "$what: net down killed at point $n: exit $rc, wanted 137"
		killed=$((killed + 1))
		journals+=$(cat "$VMM_HOME/run/net.state" 2>/dev/null)$'\n'
		if grep -q '^begin down' "$VMM_HOME/run/net.state" 2>/dev/null; then
			out=$(nsx "$HOST" "$VMM" net down 2>&1) ||
				fail "$what: down after kill $n: $out"
			assert_contains "$out" "vmm: net: completed an interrupted \`net down\`" \
				"down kill at $n"
		fi
		round_trip "$what: down killed at $n"
	done
	[ $rc -eq 0 ] || fail "$what: net down never got through 60 crash points"
	[ $killed -ge 2 ] || fail "$what: only $killed crash points in net down"
	echo "$what: net down killed at $killed points, recovered every time"
}
crash_points "net.cfg as made by vmm create"

# 3. Wall-clock kills of the shipped binary (what Ctrl-C, the OOM killer or a power cut do).
for ms in 1 2 3 5 8 10 15 20 30; do
	nsx "$HOST" timeout -s KILL "0.00$ms" "$VMM" -q net up 2>/dev/null
	[ ${#ms} -eq 2 ] && nsx "$HOST" timeout -s KILL "0.0$ms" "$VMM" -q net up 2>/dev/null
	round_trip "net up killed after $ms ms"
	nsx "$HOST" "$VMM" -q net up 2>/dev/null || fail "net up"
	nsx "$HOST" timeout -s KILL "0.00$ms" "$VMM" -q net down 2>/dev/null
	round_trip "net down killed after $ms ms"
done

# 4. IPv6: a fixed unique local /64, on each firewall backend. The kills must have left the
#    firewall record with its IPv6 side and the IPv6 sysctls' records in the journal, and net up,
#    once through, must have put the IPv6 side in place (else 1. and 2. would prove nothing).
P6=fd00:1234:5678:9abc::/64
printf 'ipv6 = "%s";\n' "$P6" >>"$VMM_HOME/profiles/net.cfg"
ipv6_in_place() {
	assert_contains "$(nsx "$HOST" ip -o -6 addr show dev br0)" "fd00:1234:5678:9abc::1/64" \
		"$be: the bridge's IPv6 address"
	assert_eq "$(nsx "$HOST" cat /proc/sys/net/ipv6/conf/all/forwarding)" 1 \
		"$be: IPv6 forwarding"
	assert_eq "$(nsx "$HOST" cat /proc/sys/net/ipv6/conf/uplink/accept_ra)" 2 \
		"$be: accept_ra 2 on the uplink"
	if [ "$be" = nftables ]; then
		assert_contains "$(nft_save "$HOST")" \
			"ip6 saddr $P6 oifname != \"br0\" masquerade" "$be: NAT66"
	else
		assert_contains "$(nsx "$HOST" ip6tables-legacy-save)" "-A VMM-POSTROUTING -s $P6 \
! -o br0 -m comment --comment \"vmm br0\" -j MASQUERADE" "$be: NAT66"
	fi
}
for be in nftables iptables-legacy; do
	sed -i '/^firewall = /d' "$VMM_HOME/profiles/net.cfg"
	fw_pin "$be"
	crash_points "ipv6, $be" ipv6_in_place
	assert_contains "$journals" "firewall br0 192.168.166.0/24 nat $P6 nat6" \
		"$be: the firewall record with its IPv6 side, left by a kill"
	assert_contains "$journals" "sysctl6 all forwarding 0" "$be: IPv6 forwarding's record"
	assert_contains "$journals" "sysctl6 uplink accept_ra 1" "$be: accept_ra's record"
done
echo ok
