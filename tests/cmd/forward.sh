# SPDX-License-Identifier: MIT
# Host port forwards from the command line: vmm create --forward, vmm set forward=, vmm forward
# (table and --json), every bad spec and every clash refused with its exact line (exit 2, home
# unchanged); a host port a host process listens on (named with its pid), or one below 1024, is
# refused unless the spec ends in '!'; a forward bound to one host address.
. "$SRCDIR/tests/lib.sh"
need_cmd qemu-img
need_cmd python3

run_vmm 0 create web --size 1G --forward 8080:80 --forward udp:5353:53
assert_contains "$(cat "$VMM_HOME/profiles/web.cfg")" 'forward = [ "tcp:8080:80", "udp:5353:53" ];'
run_vmm 0 create db --size 1G --forward TCP:2222:22 --forward udp:8080:80
assert_contains "$(cat "$VMM_HOME/profiles/db.cfg")" 'forward = [ "tcp:2222:22", "udp:8080:80" ];'
run_vmm 0 create plain --size 1G

run_vmm 0 forward web
assert_eq "$OUT" "GUEST            PROTO HOSTPORT  TO
web              tcp       8080  192.168.166.100:80
web              udp       5353  192.168.166.100:53" "vmm forward web"
run_vmm 0 forward
assert_eq "$(printf '%s\n' "$OUT" | tail -n +2 | awk '{print $1, $2, $3, $4}')" "db tcp 2222 192.168.166.101:22
db udp 8080 192.168.166.101:80
web tcp 8080 192.168.166.100:80
web udp 5353 192.168.166.100:53" "vmm forward (every guest)"
run_vmm 0 forward plain
assert_eq "$OUT" "GUEST            PROTO HOSTPORT  TO" "no forwards: the header only"
run_vmm 0 --json forward db
got=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))')
assert_eq "$got" '[{"forced": false, "guest": "db", "guest_address": "192.168.166.101", "guest_port": 22, "host_address": null, "host_port": 2222, "proto": "tcp"}, {"forced": false, "guest": "db", "guest_address": "192.168.166.101", "guest_port": 80, "host_address": null, "host_port": 8080, "proto": "udp"}]' "--json"
run_vmm 0 forward plain --json
assert_eq "$OUT" "[
]" "--json without forwards"
run_vmm 0 --json show web
assert_contains "$OUT" '"forward":[' "show --json lists them"

before=$(tree_sum "$VMM_HOME")
expect_bad() { # MESSAGE ARGS...: exit 2, exactly that line, nothing written
	local msg=$1; shift
	run_vmm 2 "$@"
	assert_eq "$ERR" "$msg" "message for: vmm $*"
	assert_eq "$(tree_sum "$VMM_HOME")" "$before" "home changed by: vmm $*"
}
WANT='want [tcp:|udp:][ADDR:]HOSTPORT:GUESTPORT[!]'
for cmd in "create g --size 1G --forward=" "set plain forward="; do
	# shellcheck disable=SC2086
	{
	expect_bad 'vmm: forward "tcp:0:80": host port 0: out of range (1 to 65535)' $cmd"tcp:0:80"
	expect_bad 'vmm: forward "80:65536": guest port 65536: out of range (1 to 65535)' $cmd"80:65536"
	expect_bad 'vmm: forward "sctp:80:80": protocol "sctp": use tcp or udp' $cmd"sctp:80:80"
	expect_bad "vmm: forward \"http\": $WANT" $cmd"http"
	expect_bad "vmm: forward \"1:2:3:4:5\": $WANT" $cmd"1:2:3:4:5"
	expect_bad 'vmm: forward "tcp:1:2:3": address "1": not an IPv4 address' $cmd"tcp:1:2:3"
	expect_bad 'vmm: forward "x:80": host port "x": not a number' $cmd"x:80"
	expect_bad 'vmm: forward "tcp:8080:80": tcp host port 8080 is already forwarded to web' $cmd"tcp:8080:80"
	expect_bad 'vmm: forward "udp:5353:5353": udp host port 5353 is already forwarded to web' $cmd"udp:5353:5353"
	}
done
expect_bad 'vmm: forward "tcp:9000:1": tcp host port 9000 is listed twice' create g --size 1G --forward 9000:80 --forward tcp:9000:1
expect_bad 'vmm: forward "9000:1": tcp host port 9000 is listed twice' set plain forward=9000:80,9000:1
expect_bad 'vmm: create: --forward needs a value (see "vmm help create")' create g --forward
assert_no_file "$VMM_HOME/profiles/g.cfg"
# the same port in the other protocol, and a guest keeping its own ports, are fine
run_vmm 0 set plain forward=tcp:5353:53,udp:2222:22
run_vmm 0 set web forward=tcp:8080:81,udp:5353:53
assert_contains "$(cat "$VMM_HOME/profiles/web.cfg")" 'forward = [ "tcp:8080:81", "udp:5353:53" ];'
assert_eq "$ERR" "" "no note without a listener"
# forward= removes them all, and the key leaves the profile
run_vmm 0 set plain forward=
assert_not_contains "$(cat "$VMM_HOME/profiles/plain.cfg")" "forward"
run_vmm 0 --json forward plain
assert_eq "$OUT" "[
]" "removed"

# a host port below 1024: refused unless forced with '!'
before=$(tree_sum "$VMM_HOME")
expect_bad "vmm: forward \"tcp:80:80\": tcp host port 80 is a system port (below 1024); add '!' to take it anyway (\"tcp:80:80!\")" \
	set plain forward=80:80
expect_bad "vmm: forward \"udp:53:53\": udp host port 53 is a system port (below 1024); add '!' to take it anyway (\"udp:53:53!\")" \
	create g --size 1G --forward udp:53:53
run_vmm 0 set plain 'forward=80:80!'
assert_contains "$(cat "$VMM_HOME/profiles/plain.cfg")" 'forward = [ "tcp:80:80!" ];'
run_vmm 0 forward plain
assert_eq "$(printf '%s\n' "$OUT" | tail -n 1)" "plain            tcp        80!  192.168.166.102:80" "forced: HOSTPORT with its '!'"
# kept as it was: no refusal for a forward the guest already had
run_vmm 0 set plain 'forward=80:80!,9090:90'
run_vmm 0 set plain forward=

# bound to one host address: stored, listed, and beside the same port on another address
before=$(tree_sum "$VMM_HOME")
run_vmm 0 set plain forward=192.168.1.184:7070:70,tcp:10.1.2.3:7070:71
assert_contains "$(cat "$VMM_HOME/profiles/plain.cfg")" 'forward = [ "tcp:192.168.1.184:7070:70", "tcp:10.1.2.3:7070:71" ];'
before=$(tree_sum "$VMM_HOME")
run_vmm 0 --json forward plain
assert_eq "$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(" ".join(str(o["host_address"]) for o in json.load(sys.stdin)))')" \
	"192.168.1.184 10.1.2.3" "host_address"
expect_bad 'vmm: forward "tcp:7070:72": tcp host port 7070 is already forwarded to plain' set db forward=7070:72
expect_bad 'vmm: forward "127.0.0.1:7070:70": address 127.0.0.1: not one a forward can be bound to (loopback, 0.0.0.0/8, multicast); leave it out for every address' \
	set db forward=127.0.0.1:7070:70
run_vmm 0 set plain forward=

# a host process listening on the port (every address): refused, naming it; '!' takes it
before=$(tree_sum "$VMM_HOME")
python3 -c 'import socket,sys,time
s=socket.socket(); s.bind(("0.0.0.0", 0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(60)' >"$T/port" &
lpid=$!
track_pid $lpid
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
port=$(cat "$T/port")
[ -n "$port" ] || fail "listener did not start"
held="tcp host port $port is in use by python3 (pid $lpid)"
expect_bad "vmm: forward \"tcp:$port:80\": $held; add '!' to take it anyway (\"tcp:$port:80!\")" \
	set plain forward="tcp:$port:80"
expect_bad "vmm: forward \"tcp:$port:22\": $held; add '!' to take it anyway (\"tcp:$port:22!\")" \
	create g2 --size 1G --forward "$port:22"
expect_bad "vmm: forward \"tcp:$port:22\": $held; add '!' to take it anyway (\"tcp:$port:22!\")" \
	--dry-run create g2 --size 1G --forward "$port:22"
expect_bad "vmm: forward \"tcp:192.168.1.184:$port:22\": $held; add '!' to take it anyway (\"tcp:192.168.1.184:$port:22!\")" \
	create g2 --size 1G --forward "192.168.1.184:$port:22"
run_vmm 0 set plain forward="udp:$port:80"
assert_eq "$ERR" "" "a tcp listener is no udp one"
run_vmm 0 set plain forward="udp:$port:80,tcp:$port:80!"
assert_eq "$ERR" "" "forced: no refusal, no note"
run_vmm 0 set plain forward=
run_vmm 0 create g2 --size 1G --forward "udp:$port:22" --forward "$((port == 65535 ? 1 : port + 1)):1" -q
# vmm forward leaves out (and names) a listed forward that is not forced, as net up does
sed -i "s/\"tcp:$((port == 65535 ? 1 : port + 1)):1\"/\"tcp:$port:1\"/" "$VMM_HOME/profiles/g2.cfg"
run_vmm 0 forward g2
assert_eq "$OUT" "$(printf 'GUEST            PROTO HOSTPORT  TO\n%-16s %-5s %8s  %s' g2 udp "$port" 192.168.166.103:22)" \
	"vmm forward g2"
assert_eq "$ERR" "vmm: forward \"tcp:$port:1\" of g2: not installed: $held; \"tcp:$port:1!\" would take it anyway" "vmm forward's note"
# an IPv6 listener on every address (dual stack) holds the IPv4 port too
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::", 0))' 2>/dev/null; then
	python3 -c 'import socket,sys,time
s=socket.socket(socket.AF_INET6); s.bind(("::", 0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(60)' >"$T/port6" &
	track_pid $!
	for _ in $(seq 50); do [ -s "$T/port6" ] && break; sleep 0.1; done
	port6=$(cat "$T/port6")
	[ -n "$port6" ] || fail "IPv6 listener did not start"
	run_vmm 2 set plain forward="tcp:$port6:80"
	assert_contains "$ERR" "tcp host port $port6 is in use by python3 (pid $!)" "IPv6 listener"
fi
# a listener on loopback only keeps its port: the forward leaves 127.0.0.0/8 alone
python3 -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(60)' >"$T/lport" &
track_pid $!
for _ in $(seq 50); do [ -s "$T/lport" ] && break; sleep 0.1; done
lport=$(cat "$T/lport")
[ -n "$lport" ] || fail "loopback listener did not start"
run_vmm 0 set plain forward="tcp:$lport:80"
assert_eq "$ERR" "" "a loopback listener is not taken"
echo "forward: ok"
