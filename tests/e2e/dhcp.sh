#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# dhcp.sh: the tiny guest that ignores its seed's address (`vmm.dhcp` on its kernel command line,
# as an installer or an image without cloud-init) gets its profile's address by DHCP from the
# bridge's dnsmasq, its IPv6 address by SLAAC (the one vmm derives from its MAC), the bridge as
# DNS; it resolves and pings another guest by name (NAME.vmm) and is resolved by it. A dnsmasq
# that died is started again by the next `vmm start`.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd dnsmasq
need_guest
tutorial_topology
lan_dns
e2e_net_cfg
echo 'ipv6 = "fd12:3456:789a:1::/64";' >>"$VMM_HOME/profiles/net.cfg"
# the bridge gets a link-local address (router advertisements come from it), as on a real host
nsx "$HOST" sh -c 'echo 0 >/proc/sys/net/ipv6/conf/default/addr_gen_mode'

guest_create web 192.168.166.100
guest_create dyn 192.168.166.120 --append 'console=ttyS0 vmm.dhcp' --mac 52:54:00:00:01:20
nsx "$HOST" "$VMM" start web --wait=ping:120 2>"$T/err" || fail "start web: $(cat "$T/err")"
# dnsmasq dies while the network stays up: the next start brings it back before the guest boots
read -r dpid _ <"$VMM_HOME/run/dnsmasq-br0/vmm.pid" || fail "no dnsmasq record"
kill -9 "$dpid"
for _ in $(seq 50); do [ -e "/proc/$dpid" ] || break; sleep 0.1; done
nsx "$HOST" "$VMM" start dyn 2>"$T/err" || fail "start dyn: $(cat "$T/err")"
assert_contains "$(cat "$T/err")" "vmm: dnsmasq on br0 was not running, starting it"
serial_wait dyn "VMM-GUEST: ready" 120
log=$(tr -d '\r' <"$VMM_HOME/run/dyn/serial.log")
assert_contains "$log" \
	"VMM-GUEST: net eth0 192.168.166.120/24 via 192.168.166.1 dns 192.168.166.1 (dhcp)" \
	"the reservation, by DHCP"
assert_contains "$log" "VMM-GUEST: net eth0 fd12:3456:789a:1:5054:ff:fe00:120/64 (slaac)" \
	"the SLAAC address is the one vmm derives from the MAC"
assert_contains "$(nsx "$HOST" "$VMM" net status)" "lease 192.168.166.120 dyn 52:54:00:00:01:20"

out=$(guest_sh dyn 'ping -c1 -W3 web.vmm >/dev/null; echo "name=$?"' \
	'ping -c1 -W3 web >/dev/null; echo "short=$?"' \
	'ping -6 -c1 -W3 fd12:3456:789a:1::1 >/dev/null; echo "bridge6=$?"' \
	'nslookup -type=a test.lan' 'cat /etc/resolv.conf')
echo "$out" >"$T/console-dyn.log"
assert_contains "$out" "name=0" "dyn pings web.vmm"
assert_contains "$out" "short=0" "dyn pings web (the search domain from DHCP)"
assert_contains "$out" "bridge6=0" "dyn pings the bridge over IPv6"
assert_contains "$out" "search vmm"
tr -d '\r' <<<"$out" | awk '/^Name:[ \t]*test\.lan$/ { n = NR }
	n && NR == n + 1 && /^Address:?[ \t]*192\.168\.1\.191$/ { ok = 1 } END { exit !ok }' ||
	fail "dyn did not resolve test.lan through the bridge's dnsmasq: $out"
out=$(guest_sh web 'ping -c1 -W3 dyn.vmm >/dev/null; echo "name=$?"')
assert_contains "$out" "name=0" "web pings dyn.vmm"

nsx "$HOST" "$VMM" stop web --force >/dev/null 2>&1
nsx "$HOST" "$VMM" stop dyn --force >/dev/null 2>&1
nsx "$HOST" "$VMM" net down 2>"$T/err" || fail "net down: $(cat "$T/err")"
pgrep -f "dnsmasq-br0/dnsmasq.pid" | while read -r p; do
	grep -q "$VMM_HOME" /proc/"$p"/cmdline 2>/dev/null && fail "dnsmasq left running"
done
echo ok
