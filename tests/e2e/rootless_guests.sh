#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The tutorial without root: an ordinary user made here (no sudo, no groups) runs vmm in its own
# home inside the host namespace. Two tiny guests started at once bring the network up in a
# namespace of the user's (holder + pasta): they reach each other, the LAN sees only the host's
# address; a forward from the host's port (from the LAN, and from the host's own loopback)
# reaches a guest; a forward added while up follows at once, a port below 1024 is refused; the
# host namespace's links, addresses, routes, sysctls and rules never change; every process is the
# user's; net down leaves no process, namespace or run file.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd pasta
need_cmd socat
need_cmd curl
need_cmd lsns
need_guest
tutorial_topology
rootless_user
user_net_cfg
before=$(net_snapshot "$HOST")

# the LAN: TCP 7000 answers with the address it sees
nsx "$LAN" socat TCP-LISTEN:7000,reuseaddr,fork SYSTEM:'echo $SOCAT_PEERADDR' >/dev/null 2>&1 &
track_pid $!

ucreate() { # NAME IP [options]
	local name=$1 ip=$2; shift 2
	as_ruser "$VMM" create "$name" --size 1G --ram 256 --kernel "$GUEST_KERNEL" \
		--initrd "$GUEST_INITRD" --append 'console=ttyS0' --ip "$ip/24" "$@" \
		>"$T/create.log" 2>&1 || fail "vmm create $name as the user: $(cat "$T/create.log")"
}
ucreate g1 192.168.166.100 --forward 8080:80
ucreate g2 192.168.166.101
assert_file "$RHOME/.config/vmm/g1.cfg"
assert_file "$RHOME/.local/share/vmm/images/g1.qcow2"

# a forward from a port below 1024: refused at once (exit 2), nothing written
cfg=$(cat "$RHOME/.config/vmm/g2.cfg")
OUT=$(as_ruser "$VMM" set g2 forward=80:80 2>&1); RC=$?
assert_eq "$RC" 2 "set forward=80:80 without root"
assert_contains "$OUT" "vmm: g2: forward tcp:80: without root, host ports below 1024 cannot be forwarded"
assert_eq "$(cat "$RHOME/.config/vmm/g2.cfg")" "$cfg" "profile unchanged"

# both at once, the network down: one of them brings it up (in the user's namespace)
as_ruser "$VMM" start g1 --wait=ping:180 >"$T/s1.out" 2>"$T/s1.err" & p1=$!
as_ruser "$VMM" start g2 --wait=ping:180 >"$T/s2.out" 2>"$T/s2.err" & p2=$!
wait $p1 || fail "start g1: $(cat "$T/s1.err")"
wait $p2 || fail "start g2: $(cat "$T/s2.err")"
notes=$(cat "$T/s1.err" "$T/s2.err")
assert_eq "$(grep -c 'bringing it up in a network namespace of your own (without root)' <<<"$notes")" 1 \
	"net brought up once, in the user's namespace"
assert_contains "$notes" "vmm: g1: answers ping at 192.168.166.100"
assert_contains "$notes" "vmm: g2: answers ping at 192.168.166.101"

# what runs: the holder, pasta, the QEMUs: all the user's; the host namespace as it was
holder=$(cut -d' ' -f1 "$RRUN/vmm/netns") || fail "no run/netns"
pasta=$(head -1 "$RRUN/vmm/pasta" | cut -d' ' -f1) || fail "no run/pasta"
assert_eq "$(cat "/proc/$holder/comm")" "vmm-netns" "the holder's name"
assert_eq "$(cat "/proc/$pasta/comm")" "passt.avx2" "pasta's name"
[ "$(readlink "/proc/$holder/ns/net")" != "$(readlink "/proc/$pasta/ns/net" 2>/dev/null || echo x)" ] ||
	fail "holder and pasta in one namespace"
assert_eq "$(readlink "/proc/$holder/ns/user")" "$(lsns -n -o NS,PID -t user | awk -v p="$holder" '$2 == p { print "user:[" $1 "]" }')" \
	"the holder owns a user namespace"
user_uids_only "guests running"
assert_eq "$(net_snapshot "$HOST")" "$before" "the host namespace while guests run"

run_as() { OUT=$(as_ruser "$VMM" "$@" 2>"$T/stderr"); RC=$?; ERR=$(cat "$T/stderr"); }
run_as status g1
assert_contains "$OUT" "g1: running"
run_as list
assert_contains "$OUT" "g2               running"
run_as net status
assert_contains "$OUT" "namespace: your own, held by pid $holder (vmm-netns)"
assert_contains "$OUT" "pasta: pid $pasta, the uplink; forwards from the host: tcp 8080, udp none"
assert_contains "$OUT" "tap vmm-g1 (guest g1): present, enslaved, up, in use"
assert_contains "$OUT" "firewall port forwards (1, see vmm forward): present"
assert_contains "$OUT" "note: without root: host ports below 1024 cannot be forwarded"

# the guests' view, through their serial consoles (as the user). (nc's stdin stays open until the
# answer is in: pasta 2023-03 loses the server's FIN of a connection the guest half-closed first.)
usr_sh() { local name=$1; shift; printf '%s\n' "$@" | as_ruser "$VMM" console "$name" --timeout 10; }
out=$(usr_sh g1 'ping -c1 -W3 192.168.166.101 >/dev/null; echo "peer=$?"' \
	'ping -c1 -W3 192.168.166.1 >/dev/null; echo "bridge=$?"' \
	'echo "lan=$(sleep 2 | nc 192.168.1.191 7000)"' \
	'mkdir -p /www && echo g1-web >/www/index.html && httpd -p 80 -h /www; echo "httpd=$?"')
echo "$out" >"$T/console-g1.log"
assert_contains "$out" "peer=0" "g1 pings g2"
assert_contains "$out" "bridge=0" "g1 pings the bridge"
assert_contains "$out" "lan=192.168.1.184" "the LAN sees g1 as the host's address"
assert_contains "$out" "httpd=0"
out=$(usr_sh g2 'ping -c1 -W3 192.168.166.100 >/dev/null; echo "peer=$?"' \
	'echo "lan=$(sleep 2 | nc 192.168.1.191 7000)"' \
	'mkdir -p /www && echo g2-web >/www/index.html && httpd -p 80 -h /www; echo "httpd=$?"')
assert_contains "$out" "peer=0" "g2 pings g1"
assert_contains "$out" "lan=192.168.1.184" "the LAN sees g2 as the host's address"

# the forward: the host's port from the LAN, the host's own address and loopback
get() { nsx "$1" curl -s -m 5 "http://$2:$3/" 2>/dev/null; }
assert_eq "$(get "$LAN" 192.168.1.184 8080)" g1-web "forward 8080 from the LAN"
assert_eq "$(get "$HOST" 192.168.1.184 8080)" g1-web "forward 8080 from the host's address"
assert_eq "$(get "$HOST" 127.0.0.1 8080)" g1-web "forward 8080 from the host's loopback"

# a forward added while up follows at once (pasta restarted with both ports)
run_as set g2 forward=8081:80
assert_eq "$RC" 0 "set g2 forward=8081:80: $ERR"
assert_contains "$ERR" "vmm: net: restarting pasta"
assert_eq "$(get "$LAN" 192.168.1.184 8081)" g2-web "new forward 8081 from the LAN"
assert_eq "$(get "$LAN" 192.168.1.184 8080)" g1-web "forward 8080 still there"
assert_eq "$(sed -n 2p "$RRUN/vmm/pasta")" "8080,8081" "pasta's tcp ports"
run_as forward
assert_contains "$OUT" "g2               tcp       8081  192.168.166.101:80"
user_uids_only "after the forward"

# net down: refused while guests run; after stop, nothing of it is left
run_as net down
assert_eq "$RC" 1 "net down while running"
assert_contains "$ERR" "net down: guests running: g1, g2"
run_as stop g1
assert_eq "$RC" 0 "stop g1: $ERR"
run_as stop g2
assert_eq "$RC" 0 "stop g2: $ERR"
run_as net down
assert_eq "$RC" 0 "net down: $ERR"
user_nothing_left "after net down"
assert_eq "$(net_snapshot "$HOST")" "$before" "the host namespace after net down"
run_as net down
assert_eq "$ERR" "net down: nothing is up"
echo ok
