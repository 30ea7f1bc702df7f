#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# net_up.sh: `vmm net up` in the tutorial's picture builds bridge, address, taps, forwarding and
# NAT; a guest stand-in reaches the LAN masqueraded as 192.168.1.184; `net down` removes it all.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd iptables-legacy-save
need_cmd setpriv
tutorial_topology
fw_pin iptables-legacy # the libiptc backend (tests/net/nft_*.sh test nftables)
guest_standin

create_guests ubuntu ubuntu2
assert_contains "$(cat "$VMM_HOME/profiles/ubuntu.cfg")" 'tap = "vmm-ubuntu"'

# Without CAP_NET_ADMIN: refused, exit 1, nothing changed.
before=$(net_snapshot "$HOST")
OUT=$(nsx "$HOST" setpriv --bounding-set -net_admin --inh-caps -net_admin "$VMM" net up 2>&1); RC=$?
assert_eq "$RC" 1 "net up without CAP_NET_ADMIN"
assert_eq "$OUT" "vmm: net up: needs root (CAP_NET_ADMIN)"
assert_eq "$(net_snapshot "$HOST")" "$before" "state after refused net up"

# The LAN counts echo requests by source address.
nsx "$LAN" iptables-legacy -A INPUT -p icmp --icmp-type echo-request -s 192.168.1.184 -j ACCEPT
nsx "$LAN" iptables-legacy -A INPUT -p icmp --icmp-type echo-request -s 192.168.166.0/24 -j ACCEPT
lan_count() {
	nsx "$LAN" iptables-legacy -L INPUT -n -v -x | awk -v s="$1" '$8 == s { print $1 }'
}

nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "net up: $(cat "$T/err")"

# Bridge with its address, up.
link=$(nsx "$HOST" ip -d link show br0) || fail "no br0"
assert_contains "$link" "bridge forward_delay" "br0 is a bridge"
assert_contains "$link" ",UP" "br0 up"
assert_contains "$(nsx "$HOST" ip -o -4 addr show dev br0)" "inet 192.168.166.1/24 brd 192.168.166.255"
# Taps: persistent TAP devices, enslaved, up.
for tap in vmm-ubuntu vmm-ubuntu2; do
	l=$(nsx "$HOST" ip -d link show "$tap") || fail "no tap $tap"
	assert_contains "$l" "master br0" "$tap enslaved"
	assert_contains "$l" "tun type tap" "$tap is a tap"
	assert_contains "$l" ",UP" "$tap up"
done
# Forwarding.
assert_eq "$(nsx "$HOST" cat /proc/sys/net/ipv4/ip_forward)" 1 "ip_forward"
# Rules, each exactly once, the jumps first in FORWARD and POSTROUTING.
save=$(nsx "$HOST" iptables-legacy-save)
assert_eq "$(grep -c -- '-s 192.168.166.0/24.*-j MASQUERADE' <<<"$save")" 1 "one MASQUERADE"
assert_eq "$(grep -c -- '-A FORWARD ' <<<"$save")" 1 "one FORWARD rule (the jump)"
assert_eq "$(grep -c -- '-A POSTROUTING ' <<<"$save")" 1 "one POSTROUTING rule (the jump)"
assert_contains "$(nsx "$HOST" iptables-legacy -S FORWARD | sed -n 2p)" "vmm" "FORWARD jump tagged"
assert_contains "$(nsx "$HOST" iptables-legacy -t nat -S POSTROUTING | sed -n 2p)" "vmm" "POSTROUTING jump"
assert_contains "$save" "RELATED,ESTABLISHED" "return traffic accepted"
assert_eq "$(grep -- '^-A' <<<"$save" | grep -vic vmm)" 0 "every rule is vmm's"
# What net up did is recorded.
state=$(cat "$VMM_HOME/run/net.state")
assert_contains "$state" "bridge br0"
assert_contains "$state" "tap vmm-ubuntu2"
assert_contains "$state" "forwarding"

# The stand-in reaches the LAN, which sees the host's uplink address, not the guest's.
nsx "$HOST" ip link set vg0 master br0 up
nsx "$GUEST" ping -c 3 -W 2 192.168.1.191 >/dev/null || fail "stand-in cannot ping 192.168.1.191"
n=$(lan_count 192.168.1.184)
[ "${n:-0}" -ge 3 ] || fail "lan saw $n echo requests from 192.168.1.184, wanted >= 3"
assert_eq "$(lan_count 192.168.166.0/24)" 0 "lan saw unmasqueraded guest packets"

# Status says it is all there.
OUT=$(nsx "$HOST" "$VMM" net status) || fail "net status"
assert_contains "$OUT" "bridge br0: present, up"
assert_contains "$OUT" "address 192.168.166.1/24: present"
assert_contains "$OUT" "tap vmm-ubuntu (guest ubuntu): present, enslaved, up, not in use"
assert_contains "$OUT" "forwarding: on (turned on by vmm)"
assert_contains "$OUT" "uplink: uplink"
assert_not_contains "$OUT" ": missing"

# Down: everything vmm added is gone, forwarding back off, the stand-in's veth left alone.
nsx "$HOST" "$VMM" net down 2>"$T/err" || fail "net down: $(cat "$T/err")"
nsx "$HOST" ip link show br0 >/dev/null 2>&1 && fail "br0 still there"
nsx "$HOST" ip link show vmm-ubuntu >/dev/null 2>&1 && fail "tap still there"
nsx "$HOST" ip link show vg0 >/dev/null 2>&1 || fail "the stand-in's veth was removed"
assert_eq "$(nsx "$HOST" cat /proc/sys/net/ipv4/ip_forward)" 0 "ip_forward restored"
assert_eq "$(nsx "$HOST" iptables-legacy-save | grep -c -- '^-A')" 0 "rules left after down"
assert_no_file "$VMM_HOME/run/net.state"
nsx "$GUEST" ping -c 1 -W 1 192.168.1.191 >/dev/null 2>&1 && fail "stand-in still reaches lan"

# Down again: nothing to do, exit 0.
ERR=$(nsx "$HOST" "$VMM" net down 2>&1) || fail "second net down failed: $ERR"
assert_contains "$ERR" "nothing is up"
echo "ok"
