#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The tutorial end to end with the real test guest under QEMU: two guests started at once (one
# lock, distinct taps, the network brought up once), they reach each other, the bridge, the LAN
# through NAT (seen as 192.168.1.184) and resolve a LAN name through the DNS from their seed (the
# bridge's dnsmasq, forwarding to net.cfg's dns);
# status/list/console; refusals; stop/start cycle; kill -9 shows crashed and starts cleanly.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd dnsmasq
need_cmd iptables-legacy
need_guest
tutorial_topology
lan_dns
e2e_net_cfg
# The LAN counts echo requests by source address.
nsx "$LAN" iptables-legacy -A INPUT -p icmp --icmp-type echo-request -s 192.168.1.184
nsx "$LAN" iptables-legacy -A INPUT -p icmp --icmp-type echo-request -s 192.168.166.0/24
lan_count() { nsx "$LAN" iptables-legacy -L INPUT -n -v -x | awk -v s="$1" '{ for (i = 2; i <= NF; i++) if ($i == s) { print $1; exit } }'; }

guest_create ubuntu 192.168.166.100 --runcmd 'nslookup test.lan'
guest_create ubuntu2 192.168.166.101

# Both at once, the network down: one of them brings it up (and says so), both run.
nsx "$HOST" "$VMM" start ubuntu --wait=ping:120 >"$T/s1.out" 2>"$T/s1.err" & p1=$!
nsx "$HOST" "$VMM" start ubuntu2 --wait=ping:120 >"$T/s2.out" 2>"$T/s2.err" & p2=$!
wait $p1 || fail "start ubuntu: $(cat "$T/s1.err")"
wait $p2 || fail "start ubuntu2: $(cat "$T/s2.err")"
notes=$(cat "$T/s1.err" "$T/s2.err")
assert_eq "$(grep -c 'vmm: network br0 was down, bringing it up' <<<"$notes")" 1 "net brought up once"
assert_contains "$notes" "vmm: ubuntu: no KVM, using TCG (slow)"
assert_contains "$notes" "vmm: ubuntu: answers ping at 192.168.166.100"
assert_contains "$notes" "vmm: ubuntu2: answers ping at 192.168.166.101"

# Distinct taps, each held by its own QEMU and enslaved to br0.
for g in ubuntu ubuntu2; do
	pid=$(cat "$VMM_HOME/run/$g/pid") || fail "no pid file for $g"
	assert_eq "$(cat "/proc/$pid/comm")" "vmm-$g" "QEMU process name"
	assert_eq "$(cat "$VMM_HOME/run/$g/tap")" "vmm-$g" "run/$g/tap"
	assert_contains "$(nsx "$HOST" ip -d link show "vmm-$g")" "master br0"
	cmdline=$(tr '\0' '\n' <"/proc/$pid/cmdline")
	assert_eq "$(head -1 <<<"$cmdline")" "qemu-system-x86_64" "QEMU argv[0]"
	assert_contains "$cmdline" "tap,id=n0,fd=3"
	# QEMU runs as a uid of its own (the group of the account vmm) under its seccomp
	# sandbox, the tap its fd 3
	st=$(cat "/proc/$pid/status")
	uid=$(awk '/^Uid:/ {print $2}' <<<"$st")
	[ "$uid" != 0 ] || fail "QEMU of $g runs as root"
	[ "$uid" != "$(id -u vmm)" ] || fail "QEMU of $g runs as the shared user vmm"
	assert_eq "$(awk '/^Gid:/ {print $2}' <<<"$st")" "$(id -g vmm)" "QEMU's gid is vmm's group"
	assert_eq "$(awk '/^Seccomp:/ {print $2}' <<<"$st")" 2 "QEMU of $g under a seccomp filter"
	assert_eq "$(readlink "/proc/$pid/fd/3")" /dev/net/tun "QEMU's fd 3"
	# its run folder (QMP and serial sockets, bound by vmm) is root's, 0700; disk and seed 0600
	assert_eq "$(stat -c '%a %U' "$VMM_HOME/run/$g")" "700 root" "run/$g"
	# disk and seed: the owner alone; QEMU got them as descriptors, no ACL entry
	need_cmd getfacl
	assert_eq "$(getfacl -cp "$VMM_HOME/images/$g.qcow2" | grep . | tr '\n' ' ')" \
		"user::rw- group::--- other::--- " "disk ACL"
	assert_eq "$(getfacl -cp "$VMM_HOME/images/$g-seed.iso" | grep . | tr '\n' ' ')" \
		"user::rw- group::--- other::--- " "seed ACL"
done
nsx "$HOST" ip -o link show master br0 >"$T/ports"
assert_eq "$(grep -c 'vmm-ubuntu[2]*:' "$T/ports")" 2 "two taps on br0"

# status / list
run_vmm 0 status ubuntu
assert_contains "$OUT" "ubuntu: running"
assert_contains "$OUT" "pid:      $(cat "$VMM_HOME/run/ubuntu/pid")"
assert_contains "$OUT" "address:  192.168.166.100/24"
assert_contains "$OUT" "tap:      vmm-ubuntu"
assert_contains "$OUT" "vnc:      unix:$VMM_HOME/run/ubuntu/vnc.sock" # the default: private
run_vmm 0 --json status ubuntu2
assert_eq "$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["state"], d["tap"], d["address"], d["pid"] > 0)' <<<"$OUT")" \
	"running vmm-ubuntu2 192.168.166.101/24 True" "status --json"
run_vmm 0 list
assert_contains "$OUT" "ubuntu           running"
assert_contains "$OUT" "ubuntu2          running"

# The guests' own view, through their serial consoles.
out=$(guest_sh ubuntu 'ping -c1 -W3 192.168.166.101 >/dev/null; echo "peer=$?"' \
	'ping -c1 -W3 192.168.166.1 >/dev/null; echo "bridge=$?"' \
	'ping -c3 -W3 192.168.1.191 >/dev/null; echo "lan=$?"' \
	'nslookup -type=a test.lan' 'cat /etc/resolv.conf')
echo "$out" >"$T/console-ubuntu.log"
assert_contains "$out" "peer=0" "ubuntu pings ubuntu2"
assert_contains "$out" "bridge=0" "ubuntu pings the bridge"
assert_contains "$out" "lan=0" "ubuntu pings 192.168.1.191 through NAT"
assert_contains "$out" "nameserver 192.168.166.1" "resolv.conf from the seed: the bridge's dnsmasq"
# busybox nslookup: "Name: test.lan" then "Address: 192.168.1.191" (not the "Server:" lines)
tr -d '\r' <<<"$out" | awk '/^Name:[ \t]*test\.lan$/ { n = NR } n && NR == n + 1 && /^Address:?[ \t]*192\.168\.1\.191$/ { ok = 1 } END { exit !ok }' ||
	fail "ubuntu did not resolve test.lan to 192.168.1.191: $out"
out=$(guest_sh ubuntu2 'ping -c1 -W3 192.168.166.100 >/dev/null; echo "peer=$?"')
assert_contains "$out" "peer=0" "ubuntu2 pings ubuntu"
n=$(lan_count 192.168.1.184)
[ "${n:-0}" -ge 3 ] || fail "lan saw ${n:-0} echo requests from 192.168.1.184, wanted >= 3"
assert_eq "$(lan_count 192.168.166.0/24)" 0 "lan saw unmasqueraded guest packets"
# user-data runcmd ran at boot (its output is on the serial log): the lookup's answer, i.e. the
# "Address:" line right after "Name: test.lan" (the "Server:" lines come even when it fails)
serial_wait ubuntu "VMM-RUNCMD: done" 30
sed -n 's/^VMM-RUNCMD: //p' "$VMM_HOME/run/ubuntu/serial.log" | tr -d '\r' >"$T/runcmd.log"
awk '/^Name:[ \t]*test\.lan$/ { n = NR } n && NR == n + 1 && /^Address:?[ \t]*192\.168\.1\.191$/ { ok = 1 } END { exit !ok }' \
	"$T/runcmd.log" || fail "runcmd's nslookup did not resolve test.lan to 192.168.1.191: $(cat "$T/runcmd.log")"

# Refusals while running: exact message, nothing started or changed.
pid1=$(cat "$VMM_HOME/run/ubuntu/pid")
OUT=$(nsx "$HOST" "$VMM" start ubuntu 2>&1); RC=$?
assert_eq "$RC" 1 "start while running"
assert_eq "$OUT" "vmm: ubuntu: already running (pid $pid1)"
assert_eq "$(cat "$VMM_HOME/run/ubuntu/pid")" "$pid1" "pid after refused start"
guest_create g3 192.168.166.102 --vnc :42
# the VNC port taken by another process
ip netns exec "$HOST" python3 -c 'import socket,time; s=socket.socket(); s.bind(("127.0.0.1",5942)); s.listen(); time.sleep(600)' &
lp=$!; track_pid $lp
for _ in $(seq 50); do nsx "$HOST" ss -ltn | grep -q '127.0.0.1:5942 ' && break; sleep 0.1; done
OUT=$(nsx "$HOST" "$VMM" start g3 2>&1); RC=$?
assert_eq "$RC" 1 "start with the VNC port taken"
assert_eq "$OUT" "vmm: g3: vnc 127.0.0.1:5942: port in use by another process (vmm set g3 vnc=:N)"
assert_no_file "$VMM_HOME/run/g3"
kill $lp; wait $lp 2>/dev/null
# the tap held open by another process
hold_tap "$HOST" vmm-g3 600
OUT=$(nsx "$HOST" "$VMM" start g3 2>&1); RC=$?
assert_eq "$RC" 1 "start with the tap held"
assert_eq "$OUT" "vmm: g3: tap vmm-g3: held open by another process"
assert_no_file "$VMM_HOME/run/g3"
kill $HOLDER; wait $HOLDER 2>/dev/null
# held for an instant (as another vmm's net up holds a tap it makes persistent): waited out
hold_tap "$HOST" vmm-g3 0.15
nsx "$HOST" "$VMM" start g3 >/dev/null 2>"$T/err" || fail "start with the tap held an instant: $(cat "$T/err")"
nsx "$HOST" "$VMM" stop g3 --force 2>"$T/err" || fail "stop g3: $(cat "$T/err")"
wait $HOLDER
# a disk that is not qcow2: vmm reads its header and refuses before anything changes
guest_create g4 192.168.166.104 --vnc :44
truncate -s 1M "$T/raw.img"; cp "$T/raw.img" "$VMM_HOME/images/g4.qcow2"
OUT=$(nsx "$HOST" "$VMM" start g4 2>&1); RC=$?
assert_eq "$RC" 2 "start with a broken disk"
assert_eq "$OUT" "vmm: g4: disk $VMM_HOME/images/g4.qcow2: not a qcow2 image"
assert_no_file "$VMM_HOME/run/g4"
nsx "$HOST" ip link show vmm-g4 >/dev/null 2>&1 && fail "tap vmm-g4 left after a refused start"
# QEMU itself fails (a kernel that is none): its message, and everything rolled back
rm "$VMM_HOME/images/g4.qcow2"
qemu-img create -q -f qcow2 "$VMM_HOME/images/g4.qcow2" 64M
echo "not a kernel" >"$T/notakernel"
"$VMM" set g4 "kernel=$T/notakernel" >/dev/null 2>&1 || fail "set g4 kernel"
OUT=$(nsx "$HOST" "$VMM" start g4 2>&1); RC=$?
assert_eq "$RC" 1 "start with a broken kernel"
assert_contains "$OUT" "vmm: g4: qemu-system-x86_64 failed: "
assert_contains "$OUT" "linux kernel too old to load a ram disk"
assert_no_file "$VMM_HOME/run/g4"
nsx "$HOST" ip link show vmm-g4 >/dev/null 2>&1 && fail "tap vmm-g4 left after a failed start"

# stop / start cycle: the tap and run state go away and come back. The stop is graceful: the
# guest itself powers off on the ACPI button (its console says so; `stop` says which way it
# ended). The serial log goes away with the run state: a copy is followed while stop runs.
# watch_console NAME: copy the guest's serial output from now on into $T/NAME.stop.log.
watch_console() {
	tail -n 0 -f "$VMM_HOME/run/$1/serial.log" >"$T/$1.stop.log" 2>/dev/null &
	WATCH=$!; track_pid $WATCH
}
end_watch() { sleep 0.5; kill $WATCH; wait $WATCH 2>/dev/null; }
watch_console ubuntu2
nsx "$HOST" "$VMM" stop ubuntu2 --timeout 60 2>"$T/err" || fail "stop ubuntu2: $(cat "$T/err")"
end_watch
assert_eq "$(cat "$T/err")" "vmm: ubuntu2: powered off (ACPI)" "stop says the guest powered off"
grep -q "VMM-GUEST: power button, powering off" "$T/ubuntu2.stop.log" ||
	fail "the guest did not see the power button: $(tail -5 "$T/ubuntu2.stop.log")"
grep -q "reboot: Power down" "$T/ubuntu2.stop.log" ||
	fail "the guest's kernel did not power down: $(tail -5 "$T/ubuntu2.stop.log")"
assert_no_file "$VMM_HOME/run/ubuntu2"
nsx "$HOST" ip link show vmm-ubuntu2 >/dev/null 2>&1 && fail "tap vmm-ubuntu2 left after stop"
run_vmm 0 status ubuntu2
assert_contains "$OUT" "ubuntu2: stopped"
ERR=$(nsx "$HOST" "$VMM" stop ubuntu2 2>&1) || fail "stop of a stopped guest: $ERR"
assert_contains "$ERR" "vmm: ubuntu2: not running"

# What `vmm --dry-run start` prints is what a person types: run by hand (the tap made first, as
# in the tutorial, and the run folder for QEMU's sockets), the same guest boots and answers ping.
line=$(nsx "$HOST" "$VMM" --dry-run start ubuntu2) || fail "dry-run start ubuntu2"
assert_contains "$line" "-netdev tap,id=n0,ifname=vmm-ubuntu2,script=no,downscript=no"
eval "hand=($line)"
mkdir -p "$VMM_HOME/run/ubuntu2"
nsx "$HOST" ip tuntap add dev vmm-ubuntu2 mode tap || fail "tuntap add"
nsx "$HOST" ip link set vmm-ubuntu2 master br0 up || fail "enslave the tap"
ip netns exec "$HOST" "${hand[@]}" >"$T/hand.log" 2>&1 & # (ip execs QEMU: $! is QEMU's pid)
hp=$!; track_pid $hp
for _ in $(seq 120); do nsx "$HOST" ping -c1 -W1 192.168.166.101 >/dev/null 2>&1 && break; done
nsx "$HOST" ping -c1 -W1 192.168.166.101 >/dev/null 2>&1 ||
	fail "the hand-typed QEMU's guest does not answer ping: $(tail -3 "$T/hand.log")"
kill $hp; wait $hp 2>/dev/null
nsx "$HOST" ip link del vmm-ubuntu2
rm -rf "$VMM_HOME/run/ubuntu2"
nsx "$HOST" "$VMM" start ubuntu2 --wait=ping:120 2>"$T/err" || fail "restart ubuntu2: $(cat "$T/err")"
assert_not_contains "$(cat "$T/err")" "was down"
out=$(guest_sh ubuntu2 'ping -c1 -W3 192.168.166.100 >/dev/null; echo "peer=$?"')
assert_contains "$out" "peer=0" "ubuntu2 pings ubuntu after a restart"

# kill -9: crashed, then a clean start.
pid2=$(cat "$VMM_HOME/run/ubuntu2/pid")
kill -9 "$pid2"
for _ in $(seq 50); do alive "$pid2" || break; sleep 0.1; done
run_vmm 0 status ubuntu2
assert_contains "$OUT" "ubuntu2: crashed"
run_vmm 0 list
assert_contains "$OUT" "ubuntu2          crashed"
nsx "$HOST" "$VMM" start ubuntu2 --wait=ping:120 2>"$T/err" || fail "start after crash: $(cat "$T/err")"
run_vmm 0 status ubuntu2
assert_contains "$OUT" "ubuntu2: running"
[ "$(cat "$VMM_HOME/run/ubuntu2/pid")" != "$pid2" ] || fail "same pid after restart"

# Stop both: forced, and a guest that ignores the power button (its acpid killed): each way is
# named, and neither guest powered itself off. Then the network goes down cleanly.
watch_console ubuntu2
nsx "$HOST" "$VMM" stop ubuntu2 --force 2>"$T/err" || fail "stop --force: $(cat "$T/err")"
end_watch
assert_eq "$(cat "$T/err")" "vmm: ubuntu2: quit (--force)"
assert_not_contains "$(cat "$T/ubuntu2.stop.log")" "powering off" "--force pressed the power button"
out=$(guest_sh ubuntu 'killall acpid; echo "acpid=$?"')
assert_contains "$out" "acpid=0" "acpid stopped in ubuntu"
watch_console ubuntu
nsx "$HOST" "$VMM" stop ubuntu --timeout 3 2>"$T/err" || fail "stop ubuntu: $(cat "$T/err")"
end_watch
assert_eq "$(cat "$T/err")" "vmm: ubuntu: did not power off in 3 s, quit"
assert_not_contains "$(cat "$T/ubuntu.stop.log")" "Power down" "ubuntu powered off without acpid"
alive "$pid1" && fail "QEMU of ubuntu still runs"
for g in ubuntu ubuntu2; do assert_no_file "$VMM_HOME/run/$g"; done
nsx "$HOST" "$VMM" net down 2>"$T/err" || fail "net down: $(cat "$T/err")"
nsx "$HOST" ip link show br0 >/dev/null 2>&1 && fail "br0 left"
echo ok
