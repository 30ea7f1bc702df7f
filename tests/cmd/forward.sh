# SPDX-License-Identifier: MIT
# Host port forwards from the command line: vmm create --forward, vmm set forward=, vmm forward
# (table and --json), every bad spec and every clash refused with its exact line (exit 2, home
# unchanged), and the note about a host process already listening on the port.
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
assert_eq "$got" '[{"guest": "db", "guest_address": "192.168.166.101", "guest_port": 22, "host_port": 2222, "proto": "tcp"}, {"guest": "db", "guest_address": "192.168.166.101", "guest_port": 80, "host_port": 8080, "proto": "udp"}]' "--json"
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
WANT='want [tcp:|udp:]HOSTPORT:GUESTPORT'
for cmd in "create g --size 1G --forward=" "set plain forward="; do
	# shellcheck disable=SC2086
	{
	expect_bad 'vmm: forward "tcp:0:80": host port 0: out of range (1 to 65535)' $cmd"tcp:0:80"
	expect_bad 'vmm: forward "80:65536": guest port 65536: out of range (1 to 65535)' $cmd"80:65536"
	expect_bad 'vmm: forward "sctp:80:80": protocol "sctp": use tcp or udp' $cmd"sctp:80:80"
	expect_bad "vmm: forward \"http\": $WANT" $cmd"http"
	expect_bad "vmm: forward \"1:2:3:4\": $WANT" $cmd"1:2:3:4"
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

# a host process listening on the port: one note, the forward is still set
python3 -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(60)' >"$T/port" &
track_pid $!
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
port=$(cat "$T/port")
[ -n "$port" ] || fail "listener did not start"
run_vmm 0 set plain forward="tcp:$port:80"
assert_eq "$ERR" "vmm: forward \"tcp:$port:80\": note: a host process listens on tcp port $port; connections to the host's addresses on it will reach plain instead" "listener note"
run_vmm 0 set plain forward="udp:$port:80"
assert_eq "$ERR" "" "a tcp listener is no udp one"
run_vmm 0 set plain forward="udp:$port:80,tcp:$port:80"
assert_contains "$ERR" "note: a host process listens on tcp port $port" "set: a new tcp forward gets the note"
run_vmm 0 set plain forward="tcp:$port:80"
assert_eq "$ERR" "" "no note again for a forward the guest already had"
run_vmm 0 set plain forward=
run_vmm 0 create g2 --size 1G --forward "$port:22" -q
assert_eq "$ERR" "" "-q silences the note"
run_vmm 0 create g3 --size 1G --forward "udp:$port:22" --forward "$((port == 65535 ? 1 : port + 1)):1"
echo "forward: ok"
