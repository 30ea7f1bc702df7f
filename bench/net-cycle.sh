#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/net-cycle.sh KIND: run inside a fresh namespace by bench/net.sh; does one timed up+down
# (KIND vmm, tutorial or floor) and prints "TOTAL UP DOWN" in microseconds. floor: the kernel's
# own cost for the same changes, the fewest processes that can make them: one `ip -batch` for
# the links and the address, one write for forwarding, one `nft -f` for the rules (vmm's own).
set -e
here=$(cd "$(dirname "$0")" && pwd)
now() { local t=${EPOCHREALTIME/./}; echo "$t"; }
case "$1" in
vmm)
	t0=$(now)
	"$VMM" net up 2>/dev/null
	t1=$(now)
	"$VMM" net down 2>/dev/null
	t2=$(now)
	;;
tutorial)
	t0=$(now)
	bash "$here/net-tutorial.sh" up
	t1=$(now)
	bash "$here/net-tutorial.sh" down
	t2=$(now)
	;;
floor)
	d=$(mktemp -d)
	printf '%s\n' 'link add br0 type bridge' 'tuntap add vmm-ubuntu mode tap' \
		'tuntap add vmm-ubuntu2 mode tap' 'link set vmm-ubuntu master br0 up' \
		'link set vmm-ubuntu2 master br0 up' 'link set br0 up' \
		'addr add 192.168.166.1/24 dev br0' >"$d/up"
	printf '%s\n' 'link del vmm-ubuntu' 'link del vmm-ubuntu2' 'link del br0' >"$d/down"
	cat >"$d/rules" <<'RULES'
table inet vmm {
	chain forward {
		type filter hook forward priority filter - 10; policy accept;
		iifname "br0" meta mark set meta mark | 0x00002000 accept comment "vmm br0"
		oifname "br0" ct state established,related meta mark set meta mark | 0x00002000 accept comment "vmm br0"
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 192.168.166.0/24 oifname != "br0" masquerade comment "vmm br0"
	}
}
RULES
	t0=$(now)
	ip -batch "$d/up"
	echo 1 >/proc/sys/net/ipv4/ip_forward
	nft -f "$d/rules"
	t1=$(now)
	nft delete table inet vmm
	echo 0 >/proc/sys/net/ipv4/ip_forward
	ip -batch "$d/down"
	t2=$(now)
	rm -rf "$d"
	;;
*) echo "usage: $0 vmm|tutorial|floor" >&2; exit 2 ;;
esac
# The cycle must have cleaned up after itself, or the figure means nothing.
if ip link show br0 >/dev/null 2>&1; then echo "br0 left behind" >&2; exit 1; fi
echo $((t2 - t0)) $((t1 - t0)) $((t2 - t1))
