#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nft_commits.sh: the nftables backend through the firewall module's test driver (test_firewall
# --do, VMM_TEST_FW=nftables): one transaction for the first apply and none after; a transaction
# that fails at its last command leaves nothing (atomic); port forwards' DNAT reaches the guest
# from the LAN and from the host, the guest sees the real client; remove by handle, then nothing.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd nft
need_cmd socat
BIN="$BUILD/tests/test_firewall"
[ -x "$BIN" ] || fail "$BIN not built (make $BUILD/tests/test_firewall)"
tutorial_topology
guest_standin
create_guests ubuntu
fw_pin nftables
export VMM_TEST_FW=nftables
FWD=(tcp:8080:192.168.166.100:80 udp:5353:192.168.166.100:53)
# fw OP [FORWARDS...]: the driver in $HOST; stdout in $OUT, "commits N" -> $COMMITS
fw() {
	local op=$1; shift
	OUT=$(nsx "$HOST" "$BIN" --do "$op" br0 192.168.166.0/24 nat "$@" 2>"$T/fw.err") ||
		fail "fw $op: $(cat "$T/fw.err")"
	COMMITS=$(printf '%s\n' "$OUT" | sed -n 's/^commits //p')
}

# Docker-like rules by hand, so that an opening is part of the transaction
load_docker_rules "$HOST" iptables-nft-restore
before=$(nft_save "$HOST")

# atomic: the whole transaction with one failing command at its end leaves nothing at all
OUT=$(nsx "$HOST" "$BIN" --do apply-broken br0 192.168.166.0/24 nat "${FWD[@]}" 2>&1) && fail "apply-broken succeeded"
assert_contains "$OUT" "firewall: nftables: commit: "
assert_eq "$(nft_save "$HOST")" "$before" "ruleset after a failed transaction"

fw apply "${FWD[@]}"
assert_eq "$COMMITS" 1 "the first apply: one transaction"
assert_contains "$OUT" "announce accepted br0 in ip filter DOCKER-USER (Docker)"
once=$(nft_save "$HOST")
for i in 1 2 3 4 5 6 7 8 9 10; do
	fw apply "${FWD[@]}"
	assert_eq "$COMMITS" 0 "apply #$i commits nothing"
	assert_not_contains "$OUT" "announce" "apply #$i announces nothing"
done
assert_eq "$(nft_save "$HOST")" "$once" "ruleset after apply x10"
fw status "${FWD[@]}"
assert_contains "$OUT" "backend nftables"
assert_contains "$OUT" "complete 1"
assert_eq "$(printf '%s\n' "$OUT" | grep -c ' missing: ')" 0 "status: nothing missing"
assert_eq "$(printf '%s\n' "$OUT" | grep -c ' present: ')" 10 "status: 10 rules present"
ipt_nft_clean "$HOST"

# the forwards: listeners in the stand-in tell who connected
nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "net up: $(cat "$T/err")"
nsx "$HOST" ip link set vg0 master br0 up
fw apply "${FWD[@]}" # net up knows no forwards (net.cfg has none): put them back
assert_eq "$COMMITS" 1 "forwards back: one transaction"
nsx "$GUEST" socat TCP-LISTEN:80,reuseaddr,fork SYSTEM:'echo $SOCAT_PEERADDR' >/dev/null 2>&1 &
track_pid $!
nsx "$GUEST" socat UDP-RECVFROM:53,reuseaddr,fork SYSTEM:'echo $SOCAT_PEERADDR' >/dev/null 2>&1 &
track_pid $!
sleep 0.5
ask() { # NS PROTO: what the guest saw
	local r _
	for _ in 1 2 3; do
		case $2 in
		tcp) r=$(nsx "$1" timeout 5 socat -T2 - TCP:192.168.1.184:8080,connect-timeout=2 </dev/null 2>/dev/null) ;;
		udp) r=$(echo x | nsx "$1" timeout 5 socat -T2 - UDP:192.168.1.184:5353 2>/dev/null) ;;
		esac
		[ -n "$r" ] && break
	done
	echo "$r"
}
assert_eq "$(ask "$LAN" tcp)" 192.168.1.191 "TCP forward from the LAN: the guest sees the client"
assert_eq "$(ask "$LAN" udp)" 192.168.1.191 "UDP forward from the LAN: the guest sees the client"
assert_eq "$(ask "$HOST" tcp)" 192.168.1.184 "TCP forward from the host itself"
assert_eq "$(ask "$HOST" udp)" 192.168.1.184 "UDP forward from the host itself"
ipt_nft_clean "$HOST"

# the forwards go (one transaction), then net down and remove leave Docker's ruleset as it was
fw apply
assert_eq "$COMMITS" 1 "forwards removed: one transaction"
assert_not_contains "$(nft_save "$HOST")" "dnat" "no DNAT left"
[ -z "$(ask "$LAN" tcp)" ] || fail "the TCP forward still answers"
nsx "$HOST" "$VMM" net down 2>"$T/err" || fail "net down: $(cat "$T/err")"
fw remove
assert_eq "$COMMITS" 0 "remove after net down: nothing left to do"
assert_eq "$(nft_save "$HOST")" "$before" "ruleset after net down"
fw apply "${FWD[@]}"
fw remove
assert_eq "$COMMITS" 1 "remove: one transaction"
assert_eq "$(nft_save "$HOST")" "$before" "ruleset after remove"
