#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/net-floor.sh up|down: the least any tool must do for vmm's host network (bridge, two taps,
# address, forwarding, vmm's firewall rules): one `ip -batch` and one ruleset load each way, the
# links deleted in one batch (their group). The rules are vmm's own, in the firewall vmm uses here
# (FLOOR_FW: nftables, the default: `nft -f`, 6 rules in table inet vmm; iptables-legacy:
# `iptables-legacy-restore --noflush`, 2 chains and 8 rules). For bench/net.sh, inside a namespace.
set -e
case "$1" in
up)
	ip -batch - <<'IP'
link add br0 type bridge
tuntap add vmm-ubuntu mode tap
tuntap add vmm-ubuntu2 mode tap
link set vmm-ubuntu master br0 group 7 up
link set vmm-ubuntu2 master br0 group 7 up
link set br0 group 7 up
addr add 192.168.166.1/24 dev br0
IP
	echo 1 >/proc/sys/net/ipv4/ip_forward
	if [ "${FLOOR_FW:-nftables}" = nftables ]; then
		nft -f - <<'RULES'
table inet vmm {
	chain forward {
		type filter hook forward priority filter - 10; policy accept;
		iifname "br0" oifname "br0" meta mark set meta mark | 0x00002000 accept comment "vmm br0"
		iifname "br0" ip saddr 192.168.166.0/24 meta mark set meta mark | 0x00002000 accept comment "vmm br0"
		oifname "br0" ct state established,related meta mark set meta mark | 0x00002000 accept comment "vmm br0"
		iifname "br0" drop comment "vmm br0"
		oifname "br0" drop comment "vmm br0"
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 192.168.166.0/24 oifname != "br0" masquerade comment "vmm br0"
	}
}
RULES
	else
		iptables-legacy-restore --noflush <<'RULES'
*nat
:VMM-POSTROUTING - [0:0]
-A POSTROUTING -m comment --comment vmm -j VMM-POSTROUTING
-A VMM-POSTROUTING -s 192.168.166.0/24 ! -o br0 -m comment --comment "vmm br0" -j MASQUERADE
COMMIT
*filter
:VMM-FORWARD - [0:0]
-A FORWARD -m comment --comment vmm -j VMM-FORWARD
-A VMM-FORWARD -i br0 -o br0 -m comment --comment "vmm br0" -j ACCEPT
-A VMM-FORWARD -s 192.168.166.0/24 -i br0 -m comment --comment "vmm br0" -j ACCEPT
-A VMM-FORWARD -o br0 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "vmm br0" -j ACCEPT
-A VMM-FORWARD -i br0 -m comment --comment "vmm br0" -j DROP
-A VMM-FORWARD -o br0 -m comment --comment "vmm br0" -j DROP
COMMIT
RULES
	fi
	;;
down)
	if [ "${FLOOR_FW:-nftables}" = nftables ]; then
		nft delete table inet vmm
	else
		iptables-legacy-restore --noflush <<'RULES'
*nat
-D POSTROUTING -m comment --comment vmm -j VMM-POSTROUTING
-F VMM-POSTROUTING
-X VMM-POSTROUTING
COMMIT
*filter
-D FORWARD -m comment --comment vmm -j VMM-FORWARD
-F VMM-FORWARD
-X VMM-FORWARD
COMMIT
RULES
	fi
	echo 0 >/proc/sys/net/ipv4/ip_forward
	ip -batch - <<'IP'
link delete group 7
IP
	;;
*)
	echo "usage: $0 up|down" >&2
	exit 2
	;;
esac
