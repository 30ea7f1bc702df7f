#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/net-tutorial.sh up|down: the tutorial's shell procedure for the host network (bridge,
# two taps, address, forwarding, NAT), for bench/net.sh to time. Run it inside a namespace.
set -e
case "$1" in
up)
	brctl addbr br0
	tunctl -b -u root -t vmm-ubuntu >/dev/null
	tunctl -b -u root -t vmm-ubuntu2 >/dev/null
	brctl addif br0 vmm-ubuntu
	brctl addif br0 vmm-ubuntu2
	ip link set vmm-ubuntu up
	ip link set vmm-ubuntu2 up
	ip link set br0 up
	ip addr add 192.168.166.1/24 dev br0
	sysctl -q -w net.ipv4.ip_forward=1
	iptables -P FORWARD ACCEPT
	iptables -t nat -A POSTROUTING -s 192.168.166.0/24 ! -o br0 -j MASQUERADE
	;;
down)
	iptables -t nat -D POSTROUTING -s 192.168.166.0/24 ! -o br0 -j MASQUERADE
	sysctl -q -w net.ipv4.ip_forward=0
	ip link set br0 down
	brctl delif br0 vmm-ubuntu
	brctl delif br0 vmm-ubuntu2
	tunctl -d vmm-ubuntu >/dev/null
	tunctl -d vmm-ubuntu2 >/dev/null
	brctl delbr br0
	;;
*)
	echo "usage: $0 up|down" >&2
	exit 2
	;;
esac
