#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# vnc_private.sh: issue 17 item 7. The attack: a guest made with the defaults got a VNC display
# on 127.0.0.1:5900+N without a password, so any local account (here: nobody, in the same network
# namespace) had the screen and keyboard of root's guest, and could squat the port before the
# guest started. Now the default is a unix socket in the guest's private run folder: QEMU
# listens on no TCP port, nobody can neither find an open display nor enter the folder, a
# squatted port changes nothing, and root's `vmm vnc` still shows the screen. A TCP display
# (vnc = :N) off loopback always has a password, which vmm vnc uses and --password prints.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd setpriv
need_cmd python3
need_cmd ss
need_guest
tutorial_topology
e2e_net_cfg
chmod 755 "$T" # the barrier must be vmm's own run folder, not this test's temporary one
as_nobody() { nsx "$HOST" setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$@"; }
# (the system python: a python3 found first in PATH may live where nobody cannot go)
PY=/usr/bin/python3; [ -x "$PY" ] || skip "needs /usr/bin/python3"

# rfb_scan FROM TO: as nobody, every VNC port on the namespace's loopback; one line per port that
# answers: "PORT open" (a screen without password) or "PORT auth TYPES"
rfb_scan() {
	as_nobody "$PY" - "$1" "$2" <<'PY'
import socket, sys
for port in range(int(sys.argv[1]), int(sys.argv[2]) + 1):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        if not s.recv(12).startswith(b"RFB "):
            continue
        s.sendall(b"RFB 003.008\n")
        n = s.recv(1)[0]
        types = list(s.recv(n))
        print(port, "open" if 1 in types else "auth " + ",".join(map(str, types)))
    except OSError:
        pass
PY
}
# squat PORT: as nobody, listen on 127.0.0.1:PORT first (tracked by PID)
squat() {
	as_nobody "$PY" -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
print("ready", flush=True); time.sleep(600)' "$1" >"$T/squat.out" 2>&1 &
	track_pid $!
	for _ in $(seq 50); do grep -q ready "$T/squat.out" && return 0; sleep 0.1; done
	fail "nobody could not squat port $1: $(cat "$T/squat.out")"
}
qemu_tcp_ports() { nsx "$HOST" ss -Hltnp | grep "pid=$1," || true; }

# 1. a guest with the defaults: the attacker (nobody) finds no screen: QEMU listens on no TCP
# port, no display answers on loopback
guest_create g 192.168.166.150 # no --vnc
nsx "$HOST" "$VMM" start g >"$T/start.out" 2>&1 || fail "vmm start g: $(cat "$T/start.out")"
pid=$(cat "$VMM_HOME/run/g/pid")
sock=$VMM_HOME/run/g/vnc.sock
assert_eq "$(rfb_scan 5900 5999)" "" "VNC displays nobody can reach"
assert_eq "$(qemu_tcp_ports "$pid")" "" "TCP ports QEMU listens on"
# (QEMU makes the socket in run/g/vnc, a folder it gets as descriptor 13; vmm links it in)
assert_contains "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "-vnc unix:/proc/self/fd/13/vnc.sock " \
	"QEMU's display on the socket"
assert_contains "$(cat "$T/start.out")" "vnc unix:$sock"
assert_contains "$(cat "$VMM_HOME/profiles/g.cfg")" 'vnc = "socket";'
# ... and nobody cannot reach the socket either
out=$(as_nobody "$PY" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1]); print("connected")
except OSError as e:
    print(e.strerror)' "$sock")
assert_eq "$out" "Permission denied" "nobody connecting to $sock"
# 2. root (the profile's owner) gets the screen through the socket
[ -S "$sock" ] || fail "no socket at $sock"
run_vmm 0 status g
assert_contains "$OUT" "vnc:      unix:$sock"
nsx "$HOST" "$VMM" vnc g --png "$T/g.png" 2>"$T/err" || fail "vmm vnc g: $(cat "$T/err")"
read -r W H _ < <(image_diff "$T/g.png" "$T/g.png")
[ "$W" -gt 0 ] && [ "$H" -gt 0 ] || fail "no picture through the socket"
run_vmm 1 vnc g --password
assert_eq "$ERR" "vmm: g: no VNC password (its screen is on a private unix socket)"
nsx "$HOST" "$VMM" stop g --force >/dev/null 2>&1 || fail "vmm stop g"

# 3. nobody squats the first VNC ports before the guest starts: nothing changes for it
squat 5900
nsx "$HOST" "$VMM" start g >"$T/start.out" 2>&1 || fail "vmm start g (port 5900 squatted): $(cat "$T/start.out")"
nsx "$HOST" "$VMM" vnc g --png "$T/g2.png" 2>"$T/err" || fail "vmm vnc g (port squatted): $(cat "$T/err")"
nsx "$HOST" "$VMM" stop g --force >/dev/null 2>&1 || fail "vmm stop g"

# 4. TCP asked for, off loopback: a password vmm makes (root's alone), used by vmm vnc itself
run_vmm 0 set g vnc=:7 vnc.listen=0.0.0.0
nsx "$HOST" "$VMM" start g >"$T/start.out" 2>&1 || fail "vmm start g on :7: $(cat "$T/start.out")"
pid=$(cat "$VMM_HOME/run/g/pid")
assert_contains "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "-vnc 0.0.0.0:7,password=on " "QEMU asks for a password"
assert_eq "$(rfb_scan 5900 5999)" "5907 auth 2" "what nobody sees of a TCP display off loopback"
pwf=$VMM_HOME/run/g/vnc.password
assert_eq "$(stat -c '%U %a' "$pwf")" "root 600" "the password file"
run_vmm 0 vnc g --password
assert_eq "${#OUT}" 8 "a VNC password has 8 characters"
assert_eq "$OUT" "$(head -1 "$pwf")" "--password prints the password made at start"
nsx "$HOST" "$VMM" vnc g --png "$T/t.png" 2>"$T/err" || fail "vmm vnc g over TCP: $(cat "$T/err")"
printf 'wrong\n' >"$T/badpw"
OUT=$(nsx "$HOST" "$VMM" vnc g --png "$T/t2.png" --password-file "$T/badpw" 2>&1); RC=$?
assert_eq "$RC" 1 "vnc with a wrong password: $OUT"
assert_eq "$OUT" "vmm: g: vnc authentication failed"
nsx "$HOST" "$VMM" stop g --force >/dev/null 2>&1 || fail "vmm stop g"
assert_no_file "$pwf"

# 5. the tutorial's -vnc :19 on loopback, as asked (no password unless the profile names one)
run_vmm 0 set g vnc=:19 vnc.listen=127.0.0.1
nsx "$HOST" "$VMM" start g >"$T/start.out" 2>&1 || fail "vmm start g on :19: $(cat "$T/start.out")"
pid=$(cat "$VMM_HOME/run/g/pid")
assert_contains "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "-vnc 127.0.0.1:19 " "the tutorial's display"
nsx "$HOST" "$VMM" stop g --force >/dev/null 2>&1 || fail "vmm stop g"
echo ok
