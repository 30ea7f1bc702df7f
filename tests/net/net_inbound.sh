#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# net_inbound.sh: what the LAN may reach and what the guests may send, through each firewall
# backend (like libvirt's NAT network), on a host with no firewall of its own (FORWARD policy
# accept, rp_filter off): a LAN host that routes the guests' subnet via the host cannot open a
# connection to a guest port (TCP or UDP); a guest sending from a source outside the subnet is
# not forwarded (the LAN peer sees nothing of it); a port forward still reaches the guest; the
# guests' own connections and their replies still work; two guests on the bridge still reach
# each other (bridged, through FORWARD too with bridge-nf-call-iptables = 1).
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd socat
need_cmd nft
need_cmd iptables-legacy

# listen NS PROTO PORT: a listener in NS that answers with the client's address
listen() {
	case $2 in
	tcp) nsx "$1" socat "TCP-LISTEN:$3,fork,reuseaddr" SYSTEM:'read -r l; echo "$SOCAT_PEERADDR"' & ;;
	udp) nsx "$1" socat "UDP-RECVFROM:$3,fork" SYSTEM:'read -r l; echo "$SOCAT_PEERADDR"' & ;;
	esac
	track_pid $!
	for _ in $(seq 50); do
		nsx "$1" ss -ln --"$2" | grep -q ":$3 " && return 0
		sleep 0.1
	done
	fail "no $2 listener on port $3 in $1"
}
# forged_seen: packets from 10.9.9.9 that reached the LAN host (an nft counter there)
forged_seen() {
	nsx "$LAN" nft list chain inet watch in |
		sed -n 's/.*saddr 10.9.9.9 counter packets \([0-9]*\) .*/\1/p'
}

scenario() {
	local fw=$1 s
	echo "== firewall = $fw"
	tutorial_topology
	guest_standin
	# a second guest on the bridge
	GUEST2=$(new_ns vmmguest2); ns_track "$GUEST2"
	ip link add vg1 netns "$HOST" type veth peer name eth0 netns "$GUEST2" || fail "veth vg1"
	ip -n "$GUEST2" addr add 192.168.166.101/24 dev eth0
	ip -n "$GUEST2" link set eth0 up
	ip -n "$GUEST2" route add default via 192.168.166.1
	# a host with no firewall of its own that does not check sources on the way in either
	for s in all default; do
		echo 0 | nsx "$HOST" tee /proc/sys/net/ipv4/conf/$s/rp_filter >/dev/null
	done
	# bridged frames go through FORWARD as well (the default of a new namespace)
	s=/proc/sys/net/bridge/bridge-nf-call-iptables
	if nsx "$HOST" test -e $s; then echo 1 | nsx "$HOST" tee $s >/dev/null; fi
	# the LAN host routes the guests' subnet via the host, and 10.9.9.9 too (so that a forged
	# connection would complete, were it forwarded; the host routes it to the guest below)
	ip -n "$LAN" route add 192.168.166.0/24 via 192.168.1.184
	ip -n "$LAN" route add 10.9.9.9/32 via 192.168.1.184
	nsx "$LAN" nft add table inet watch
	nsx "$LAN" nft 'add chain inet watch in { type filter hook input priority 0; }'
	nsx "$LAN" nft add rule inet watch in ip saddr 10.9.9.9 counter
	net_cfg br0 192.168.166.1/24 auto true '"auto"'
	fw_pin "$fw"
	vmm_in_ns "$HOST"

	listen "$GUEST" tcp 80
	listen "$GUEST" tcp 7777
	listen "$GUEST" udp 7778
	listen "$GUEST2" tcp 7777
	listen "$LAN" tcp 7000
	run_vmm 0 create web --size 1G --ip 192.168.166.100 --forward 8080:80
	run_vmm 0 net up
	nsx "$HOST" ip link set vg0 master br0 up
	nsx "$HOST" ip link set vg1 master br0 up

	# the attack: a new connection from the LAN straight to a guest's address
	assert_eq "$(ask tcp 192.168.166.100 7777)" "" "$fw: the LAN opened a TCP connection to a guest"
	assert_eq "$(ask tcp 192.168.166.100 80)" "" "$fw: the LAN reached the forwarded port directly"
	assert_eq "$(ask udp 192.168.166.100 7778)" "" "$fw: the LAN reached a guest over UDP"
	nsx "$LAN" ping -c 1 -W 1 192.168.166.100 >/dev/null 2>&1 && fail "$fw: the LAN pinged a guest"
	# the forward still reaches the guest (who sees the LAN client)
	assert_eq "$(ask tcp 192.168.1.184 8080)" "192.168.1.191" "$fw: forward from the LAN"
	# the guest's own connections, and their replies, as the host's address
	assert_eq "$(ask tcp 192.168.1.191 7000 "$GUEST")" "192.168.1.184" "$fw: guest to the LAN"
	nsx "$GUEST" ping -c 1 -W 2 192.168.1.191 >/dev/null || fail "$fw: guest cannot ping the LAN"
	# guest to guest on the bridge
	assert_eq "$(ask tcp 192.168.166.101 7777 "$GUEST")" "192.168.166.100" "$fw: guest to guest"
	nsx "$GUEST2" ping -c 1 -W 2 192.168.166.100 >/dev/null || fail "$fw: guest cannot ping guest"

	# the other attack: a guest sending from a source outside the subnet
	ip -n "$GUEST" addr add 10.9.9.9/32 dev eth0
	ip -n "$HOST" route add 10.9.9.9/32 via 192.168.166.100 # the way back, were it forwarded
	assert_eq "$(ask tcp 192.168.1.191 7000 "$GUEST" bind=10.9.9.9)" "" "$fw: forged source forwarded"
	assert_eq "$(forged_seen)" 0 "$fw: packets from the forged source seen by the LAN"
	ip -n "$GUEST" addr del 10.9.9.9/32 dev eth0
	assert_eq "$(ask tcp 192.168.1.191 7000 "$GUEST")" "192.168.1.184" "$fw: guest to the LAN again"

	run_vmm 0 net status
	assert_not_contains "$OUT" "missing" "$fw: net status after net up"
	nsx "$HOST" ip link set vg0 nomaster
	nsx "$HOST" ip link set vg1 nomaster
	run_vmm 0 net down
	scenario_end "$GUEST" "$GUEST2" "$LAN"
}

scenario iptables-legacy
scenario nftables
echo "net_inbound: ok"
