#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nft_dockerlike.sh: Docker's rules written by hand with iptables-nft (FORWARD policy DROP, the
# DOCKER, DOCKER-ISOLATION and DOCKER-USER chains): `auto` picks nftables, vmm's opening goes into
# DOCKER-USER as a rule iptables-nft reads back (-m mark ... -m comment --comment vmm -j ACCEPT);
# an iptables-nft-restore of Docker's rules (which flushes the tables) drops it, `net status`
# reports it, `net up` puts it back; net down leaves Docker's rules exactly as they were.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd nft
need_cmd socat
need_cmd iptables-nft-restore
tutorial_topology
guest_standin
create_guests ubuntu
case "$(readlink -f /usr/sbin/iptables 2>/dev/null)" in *legacy*) fw_pin nftables ;; esac

docker_reload() { load_docker_rules "$HOST" iptables-nft-restore; }
docker_reload
OUT=$(nsx "$HOST" "$VMM" net status) || fail "net status"
assert_contains "$OUT" "firewall: nftables (auto: "
assert_contains "$OUT" "0 ip filter FORWARD (Docker): policy drop: drops guest traffic; vmm's opening in DOCKER-USER: missing"
docker_before=$(nsx "$HOST" iptables-nft-save | sed -e '/^#/d' -e 's/\[[0-9]*:[0-9]*\]/[c]/')

nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "net up: $(cat "$T/err")"
assert_contains "$(cat "$T/err")" "vmm: firewall: accepted br0 in ip filter DOCKER-USER (Docker)"
# iptables-nft reads vmm's opening as its own kind of rule, first in DOCKER-USER
assert_eq "$(nsx "$HOST" iptables-nft -S DOCKER-USER | sed -n 2p)" \
	"-A DOCKER-USER -m mark --mark 0x2000/0x2000 -m comment --comment vmm -j ACCEPT"
nsx "$HOST" "$VMM" net down 2>"$T/err" || fail "net down: $(cat "$T/err")"
assert_eq "$(nsx "$HOST" iptables-nft-save | sed -e '/^#/d' -e 's/\[[0-9]*:[0-9]*\]/[c]/')" "$docker_before" \
	"Docker's rules after net down"

nft_story docker-like docker_reload
assert_eq "$(nsx "$HOST" iptables-nft-save | sed -e '/^#/d' -e 's/\[[0-9]*:[0-9]*\]/[c]/')" "$docker_before" \
	"Docker's rules after the story"
