#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# net_config.sh: net.cfg drives it all: another bridge name and subnet, nat = false (no NAT rules
# at all), explicit DNS servers.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd iptables-legacy-save
tutorial_topology
net_cfg vmbr1 10.77.0.1/16 uplink false '"192.168.1.191", "auto"'
fw_pin iptables-legacy # the libiptc backend
printf 'nameserver 10.9.9.9\n' >"$T/resolv.conf"
export VMM_RESOLV_CONF="$T/resolv.conf"
"$VMM" create web --size 1G >/dev/null 2>"$T/err" || fail "vmm create web: $(cat "$T/err")"
assert_contains "$(cat "$VMM_HOME/profiles/web.cfg")" 'address = "10.77.'

nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "net up: $(cat "$T/err")"
assert_contains "$(nsx "$HOST" ip -d link show vmbr1)" "bridge forward_delay"
assert_contains "$(nsx "$HOST" ip -o -4 addr show dev vmbr1)" "inet 10.77.0.1/16 brd 10.77.255.255"
assert_contains "$(nsx "$HOST" ip -d link show vmm-web)" "master vmbr1"
nsx "$HOST" ip link show br0 >/dev/null 2>&1 && fail "a br0 appeared"
save=$(nsx "$HOST" iptables-legacy-save)
assert_not_contains "$save" "MASQUERADE" "nat = false"
assert_eq "$(grep -c -- '-A POSTROUTING' <<<"$save")" 0 "no POSTROUTING jump with nat = false"
assert_contains "$save" "-i vmbr1"
OUT=$(nsx "$HOST" "$VMM" net status) || fail "net status"
assert_contains "$OUT" "bridge vmbr1: present, up"
assert_contains "$OUT" "uplink: uplink"
assert_contains "$OUT" "dns: 192.168.1.191 10.9.9.9"
assert_contains "$OUT" ": not used"
assert_not_contains "$OUT" ": missing"
assert_eq "$(nsx "$HOST" "$VMM" net status --json | jq -r '[.firewall.rules[] | select(.state == "not used")] | length')" 2

# Same again: nothing changes.
before=$(net_snapshot "$HOST")
nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "second net up: $(cat "$T/err")"
assert_eq "$(net_snapshot "$HOST")" "$before" "state after second net up"

nsx "$HOST" "$VMM" net down 2>"$T/err" || fail "net down: $(cat "$T/err")"
nsx "$HOST" ip link show vmbr1 >/dev/null 2>&1 && fail "vmbr1 still there"
assert_eq "$(nsx "$HOST" iptables-legacy-save | grep -c -- '^-A')" 0 "rules left"

# A net.cfg naming a loopback DNS server is refused by status with the reason.
sed -i 's/"192.168.1.191", "auto"/"127.0.0.53"/' "$VMM_HOME/profiles/net.cfg"
OUT=$(nsx "$HOST" "$VMM" net status 2>&1)
assert_contains "$OUT" "loopback address is not reachable from a guest"
echo ok
