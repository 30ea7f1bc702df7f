#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# net_ipv6.sh: IPv6 dual stack, with nftables, then with iptables-legacy (ip6tables through
# libip6tc). ipv6 = "auto" becomes this host's unique local /64 once, in net.cfg (the rest of the
# file kept); a guest stand-in takes its SLAAC address from the bridge's router advertisements and
# reaches an IPv6 LAN peer, which sees the host's address (NAT66); a forward answers over IPv6 from
# the LAN; a connection the guest did not ask for is dropped; nat6 = false leaves the /64 routed;
# `net down` returns the namespace as it was (rulesets of both backends, IPv6 sysctls, addresses).
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd dnsmasq
need_cmd socat
need_cmd nft
need_cmd ip6tables-legacy-save
need_cmd ip6tables-nft-save
tutorial_topology
guest_standin
# IPv6 on the LAN: the host's uplink fd00:1::184, the peer fd00:1::191 (its default route)
ip -n "$HOST" addr add fd00:1::184/64 dev uplink nodad
ip -n "$LAN" addr add fd00:1::191/64 dev lan0 nodad
ip -n "$HOST" -6 route add default via fd00:1::191
nsx "$HOST" sh -c 'echo 0 >/proc/sys/net/ipv6/conf/default/addr_gen_mode'
ip -n "$GUEST" addr flush dev eth0
ip -n "$GUEST" link set eth0 down
ip -n "$GUEST" link set eth0 address 52:54:00:00:00:10
nsx "$GUEST" sh -c 'echo 0 >/proc/sys/net/ipv6/conf/eth0/addr_gen_mode'
ip -n "$GUEST" addr add 192.168.166.50/24 dev eth0
nsx "$HOST" ip link set vg0 up && nsx "$HOST" ip link set vg0 down # its qdisc, as after the test
mkdir -p "$VMM_HOME/profiles"
cat >"$VMM_HOME/profiles/net.cfg" <<'CFG'
# the test's network
bridge = "br0";
address = "192.168.166.1/24";
uplink = "auto";
nat = true;
dns = [ "192.168.1.191" ];
ipv6 = "auto";  # picked once
firewall = "nftables";
CFG
"$VMM" create web --size 1G --mac 52:54:00:00:00:10 --ip 192.168.166.50/24 \
	--forward tcp:8080:80 >/dev/null || fail "create web"
before=$(net_snapshot "$HOST")

nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "net up: $(cat "$T/err")"
cfg=$(cat "$VMM_HOME/profiles/net.cfg")
prefix=$(sed -n 's/^ipv6 = "\(fd[0-9a-f:]*::\/64\)";  # picked once$/\1/p' <<<"$cfg")
[ -n "$prefix" ] || fail "ipv6 auto not replaced by a unique local /64 in place: $cfg"
assert_contains "$cfg" "# the test's network" "the rest of net.cfg kept"
assert_contains "$(cat "$T/err")" "net.cfg: ipv6 \"auto\" is $prefix from now on"
# PREFIX's address N / the SLAAC address of MAC in it (python's ipaddress, independent of vmm)
addr6() { python3 -c 'import ipaddress, sys
net = ipaddress.IPv6Network(sys.argv[1]); a = sys.argv[2]
if ":" in a:
    m = [int(x, 16) for x in a.split(":")]; m[0] ^= 2
    a = int.from_bytes(bytes(m[:3] + [0xff, 0xfe] + m[3:]), "big")
print(net[int(a)])' "$@"; }
nsx "$HOST" "$VMM" net up 2>/dev/null || fail "net up again"
assert_eq "$(cat "$VMM_HOME/profiles/net.cfg")" "$cfg" "the prefix stays"
assert_contains "$(nsx "$HOST" ip -o -6 addr show dev br0)" "$(addr6 "$prefix" 1)/64"

# SLAAC: the stand-in's address is the one vmm derives from its MAC (vmm show says it)
nsx "$HOST" ip link set vg0 master br0 up
ip -n "$GUEST" link set eth0 up
ip -n "$GUEST" route add default via 192.168.166.1
want=$(addr6 "$prefix" 52:54:00:00:00:10)
for _ in $(seq 50); do # (until duplicate address detection is done: no longer tentative)
	nsx "$GUEST" ip -o -6 addr show dev eth0 | grep "$want/64" | grep -vq tentative && break
	sleep 0.2
done
assert_contains "$(nsx "$GUEST" ip -o -6 addr show dev eth0)" "$want/64" "SLAAC address"
assert_contains "$("$VMM" show web)" "ipv6:     $want/64"
json6() { python3 -c 'import json, sys; print(json.load(sys.stdin)["address6"])'; }
assert_eq "$("$VMM" --json show web | json6)" \
	"$want" "show --json"
assert_contains "$("$VMM" list)" "$want"

# NAT66 (BACKEND's rule: $1), a forward over IPv6, inbound dropped, nat6 = false, net down
dual_stack() {
	# NAT66: the LAN peer sees the host's address
	nsx "$GUEST" ping -6 -c1 -W2 fd00:1::191 >/dev/null ||
		fail "$1: the stand-in cannot ping the LAN over IPv6"
	assert_eq "$(lan6)" "$(full6 fd00:1::184)" "$1: TCP over IPv6 from the stand-in, source seen"
	assert_contains "$(rules6 "$1")" "$(masq6 "$1")" "$1: the NAT66 rule"

	# a forward over IPv6: the LAN connects to the host's IPv6 address, the guest answers
	got=$(nsx "$LAN" timeout 5 socat -T2 - TCP6:[fd00:1::184]:8080,connect-timeout=2 \
		</dev/null 2>/dev/null)
	assert_eq "$got" "web6 $(full6 fd00:1::191)" \
		"$1: the forward over IPv6 (the guest sees the client)"

	# a connection from the LAN straight to the guest (a route to the /64 through the host) is
	# not one the guest asked for: dropped
	ip -n "$LAN" -6 route add "$prefix" via fd00:1::184
	got=$(nsx "$LAN" timeout 5 socat -T2 - "TCP6:[$want]:80,connect-timeout=2" </dev/null \
		2>/dev/null)
	assert_eq "$got" "" "$1: unrequested inbound IPv6 to the guest"

	# routed: nat6 = false drops the masquerade; the LAN then sees the guest's own address
	echo 'nat6 = false;' >>"$VMM_HOME/profiles/net.cfg"
	nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "$1: net up nat6 = false: $(cat "$T/err")"
	assert_not_contains "$(rules6 "$1")" "$(masq6 "$1")" "$1: nat6 = false"
	assert_eq "$(lan6)" "$(full6 "$want")" "$1: routed: the LAN sees the guest's address"
	ip -n "$LAN" -6 route del "$prefix" via fd00:1::184
	sed -i '/^nat6 = false;$/d' "$VMM_HOME/profiles/net.cfg"

	nsx "$HOST" ip link set vg0 nomaster down
	nsx "$HOST" "$VMM" net down 2>"$T/err" || fail "$1: net down: $(cat "$T/err")"
	assert_eq "$(net_snapshot "$HOST")" "$before" "$1: the namespace after net down"
	ipt_nft_clean "$HOST" # iptables-nft still reads every table without a warning
}
rules6() {
	if [ "$1" = nftables ]; then nft_save "$HOST"; else nsx "$HOST" ip6tables-legacy-save; fi
}
masq6() {
	if [ "$1" = nftables ]; then echo "ip6 saddr $prefix oifname != \"br0\" masquerade"
	else echo "-A VMM-POSTROUTING -s $prefix ! -o br0 -m comment --comment \"vmm br0\" -j MASQUERADE"
	fi
}
# socat's $SOCAT_PEERADDR is an IPv6 address written in full: "[ADDR]" written so
full6() { python3 -c 'import ipaddress, sys
print("[%s]" % ipaddress.IPv6Address(sys.argv[1]).exploded)' "$1"; }
lan6() { # what the LAN's server saw as the stand-in's address
	nsx "$GUEST" timeout 5 socat -T2 - TCP6:[fd00:1::191]:7006,connect-timeout=2 </dev/null 2>/dev/null
}
nsx "$LAN" socat TCP6-LISTEN:7006,reuseaddr,fork SYSTEM:'echo $SOCAT_PEERADDR' >/dev/null 2>&1 &
track_pid $!
for _ in $(seq 50); do nsx "$LAN" ss -ltn | grep -q ':7006 ' && break; sleep 0.1; done
nsx "$GUEST" socat TCP6-LISTEN:80,reuseaddr,fork SYSTEM:'echo web6 $SOCAT_PEERADDR' \
	>/dev/null 2>&1 &
track_pid $!
for _ in $(seq 50); do nsx "$GUEST" ss -ltn | grep -q ':80 ' && break; sleep 0.1; done
dual_stack nftables

# iptables-legacy: the same through ip6tables (libip6tc)
sed -i 's/^firewall = "nftables";/firewall = "iptables-legacy";/' "$VMM_HOME/profiles/net.cfg"
plan=$(nsx "$HOST" "$VMM" net up --dry-run 2>&1) || fail "net up --dry-run: $plan"
assert_contains "$plan" "# ip6tables-legacy-restore --noflush" "the plan's IPv6 part"
assert_contains "$plan" "$(masq6 iptables-legacy)"
assert_contains "$plan" \
	"-A VMM-FORWARD -s $prefix -i br0 -m comment --comment \"vmm br0\" -j ACCEPT"
nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "iptables-legacy: net up: $(cat "$T/err")"
# every line of the plan's IPv6 part is in ip6tables-legacy-save, byte for byte
saved6=$(nsx "$HOST" ip6tables-legacy-save)
while IFS= read -r l; do
	case "$l" in -A*) assert_contains "$saved6" "$l" "ip6tables-legacy-save";; esac
done < <(sed -n '/^# ip6tables-legacy-restore/,$p' <<<"$plan")
assert_contains "$saved6" \
	"-A VMM-PREROUTING -p tcp -m tcp --dport 8080 -m addrtype --dst-type LOCAL"
nsx "$HOST" ip link set vg0 master br0 up
# a new bridge: the stand-in asks for its router again (link down and up: a router solicitation)
ip -n "$GUEST" link set eth0 down
ip -n "$GUEST" addr add 192.168.166.50/24 dev eth0 2>/dev/null
ip -n "$GUEST" link set eth0 up
ip -n "$GUEST" route replace default via 192.168.166.1
for _ in $(seq 50); do
	nsx "$GUEST" ip -o -6 addr show dev eth0 | grep "$want/64" | grep -vq tentative &&
		nsx "$GUEST" ip -6 route show default | grep -q via && break
	sleep 0.2
done
dual_stack iptables-legacy
echo ok
