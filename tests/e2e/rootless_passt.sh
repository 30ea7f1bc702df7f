#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One guest without root and without net up: network = "user" gives the tiny guest its own passt
# (QEMU's -netdev stream on a socket pair). As an ordinary user made here: the guest gets the
# host's address by DHCP from passt, the LAN sees it as the host, a forward (a passt port
# mapping) reaches it from the LAN and from the host's loopback; --wait=ping is refused before
# anything starts; no namespace, no pasta, no bridge; stop ends passt with QEMU; the host
# namespace never changes.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd passt
need_cmd socat
need_cmd curl
need_guest
tutorial_topology
rootless_user
before=$(net_snapshot "$HOST")
nsx "$LAN" socat TCP-LISTEN:7000,reuseaddr,fork SYSTEM:'echo $SOCAT_PEERADDR' >/dev/null 2>&1 &
track_pid $!

run_as() { OUT=$(as_ruser "$VMM" "$@" 2>"$T/stderr"); RC=$?; ERR=$(cat "$T/stderr"); }
run_as create p1 --network user --size 1G --ram 256 --kernel "$GUEST_KERNEL" \
	--initrd "$GUEST_INITRD" --append console=ttyS0 --forward 8088:80
assert_eq "$RC" 0 "create p1: $ERR"
assert_contains "$(cat "$RHOME/.config/vmm/p1.cfg")" 'network = "user";'

# the plan, as typed by hand: passt with the forward on its socket first, then QEMU on it
run_as start p1 --dry-run
assert_eq "$(head -n1 <<<"$OUT")" "passt -q --socket $RRUN/vmm/p1/passt.sock --no-map-gw -t 8088:80 -u none"
assert_contains "$(tail -n1 <<<"$OUT")" \
	"-netdev stream,id=n0,server=off,addr.type=unix,addr.path=$RRUN/vmm/p1/passt.sock "
# no address of the host's: ping cannot be waited for; nothing started
run_as start p1 --wait=ping
assert_eq "$RC" 2 "--wait=ping with network user"
assert_contains "$ERR" "vmm: p1: --wait=ping needs the bridge (network = \"user\""
assert_no_file "$RRUN/vmm/p1"

run_as start p1
assert_eq "$RC" 0 "start p1: $ERR"
serial_log=$RRUN/vmm/p1/serial.log
for _ in $(seq 300); do grep -q 'VMM-GUEST: ready' "$serial_log" 2>/dev/null && break; sleep 0.2; done
assert_contains "$(grep 'VMM-GUEST: net' "$serial_log")" "net eth0 192.168.1.184/24 via 192.168.1.191" \
	"the host's address by DHCP from passt"
comms=$(ps -o comm= -u "$RUID" | sort | tr '\n' ' ')
assert_eq "$comms" "passt.avx2 vmm-p1 " "only QEMU and its passt run"
user_uids_only "p1 running"
assert_no_file "$RRUN/vmm/netns"
run_as status p1
assert_contains "$OUT" "network:  user (its own passt"
assert_not_contains "$OUT" "tap:"

out=$(printf '%s\n' 'echo "lan=$(sleep 2 | nc 192.168.1.191 7000)"' \
	'mkdir -p /www && echo p1-web >/www/index.html && httpd -p 80 -h /www; echo "httpd=$?"' |
	as_ruser "$VMM" console p1 --timeout 10)
assert_contains "$out" "lan=192.168.1.184" "the LAN sees the guest as the host"
assert_contains "$out" "httpd=0"
get() { nsx "$1" curl -s -m 5 "http://$2:8088/" 2>/dev/null; }
assert_eq "$(get "$LAN" 192.168.1.184)" p1-web "forward 8088 from the LAN"
assert_eq "$(get "$HOST" 127.0.0.1)" p1-web "forward 8088 from the host's loopback"
assert_eq "$(net_snapshot "$HOST")" "$before" "the host namespace while p1 runs"

run_as stop p1
assert_eq "$RC" 0 "stop p1: $ERR"
user_nothing_left "after stop"
assert_eq "$(net_snapshot "$HOST")" "$before" "the host namespace after stop"
echo ok
