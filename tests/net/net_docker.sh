#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# net_docker.sh: on a host with Docker's rules (FORWARD policy DROP, DOCKER chains, a MASQUERADE
# for 172.17.0.0/16) guests still reach the LAN, and `net down` leaves Docker's rules byte-identical.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd iptables-legacy-restore
tutorial_topology
guest_standin
create_guests ubuntu

load_docker_rules "$HOST"
# Byte-identical apart from the date comments; chain counters included (nothing ran yet).
docker_rules() { nsx "$HOST" iptables-legacy-save | sed -e '/^#/d'; }
before=$(docker_rules)
assert_contains "$before" ":FORWARD DROP"

# Baseline without vmm's rules: the same bridge by hand, and the DROP policy stops the guest.
nsx "$HOST" ip link add br0 type bridge
nsx "$HOST" ip addr add 192.168.166.1/24 dev br0
nsx "$HOST" ip link set br0 up
nsx "$HOST" ip link set vg0 master br0 up
echo 1 | nsx "$HOST" tee /proc/sys/net/ipv4/ip_forward >/dev/null
nsx "$GUEST" ping -c 1 -W 1 192.168.1.191 >/dev/null 2>&1 && fail "DROP policy not effective: the test proves nothing"
nsx "$HOST" ip link del br0
echo 0 | nsx "$HOST" tee /proc/sys/net/ipv4/ip_forward >/dev/null
nsx "$HOST" iptables-legacy -Z; nsx "$HOST" iptables-legacy -t nat -Z
before=$(docker_rules)

OUT=$(nsx "$HOST" "$VMM" net status)
assert_contains "$OUT" "problem: the FORWARD policy is DROP (iptables-legacy) and vmm's accept rules are missing"
# auto: Docker's legacy rules and an empty nf_tables: the legacy backend (libiptc)
case "$(readlink -f /usr/sbin/iptables 2>/dev/null)" in
*legacy*) assert_contains "$OUT" "firewall: iptables-legacy (auto: iptables is the legacy variant" ;;
*) assert_contains "$OUT" "firewall: iptables-legacy (auto: the legacy iptables tables hold rules and nf_tables holds none)" ;;
esac

nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "net up: $(cat "$T/err")"
# Docker's policy is untouched, vmm's jumps come first.
assert_contains "$(nsx "$HOST" iptables-legacy -S FORWARD | head -1)" "-P FORWARD DROP"
assert_contains "$(nsx "$HOST" iptables-legacy -S FORWARD | sed -n 2p)" "vmm"
assert_contains "$(nsx "$HOST" iptables-legacy -t nat -S POSTROUTING | sed -n 2p)" "vmm"
OUT=$(nsx "$HOST" "$VMM" net status)
assert_contains "$OUT" "vmm's accept rules let the guests through"

nsx "$HOST" ip link set vg0 master br0 up
nsx "$GUEST" ping -c 3 -W 2 192.168.1.191 >/dev/null || fail "stand-in cannot reach lan through DROP policy"
# Docker's own masquerade still there, exactly once.
assert_eq "$(nsx "$HOST" iptables-legacy-save -t nat | grep -c -- '-s 172.17.0.0/16 ! -o docker0 -j MASQUERADE')" 1

nsx "$HOST" "$VMM" net down 2>"$T/err" || fail "net down: $(cat "$T/err")"
# Counters moved (the DROP policy and Docker's chains saw packets): compare rules without them,
# and the complete text with counters zeroed.
nsx "$HOST" iptables-legacy -Z; nsx "$HOST" iptables-legacy -t nat -Z
after=$(docker_rules)
[ "$after" = "$before" ] || { diff <(echo "$before") <(echo "$after") >&2; fail "foreign rules changed"; }
nsx "$GUEST" ping -c 1 -W 1 192.168.1.191 >/dev/null 2>&1 && fail "guest still forwarded after down"
echo ok
