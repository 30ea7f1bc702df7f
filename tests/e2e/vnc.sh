#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/vnc.sh: `vmm vnc` against real QEMU guests (inside a namespace of their own):
# the PNG equals QEMU's own screendump, ASCII on a pipe, colour on a terminal, over TCP and over
# the default unix socket in the guest's run folder, and the failures (not running, port closed,
# no socket, no/wrong password, no frame in time) each give one line and exit 1. (What another
# account can reach: tests/e2e/vnc_private.sh.)
. "$SRCDIR/tests/lib.sh"
# screendumps QEMU writes, whatever uid it runs as
DUMPS=$T/dumps && mkdir -m 1777 "$DUMPS" && chmod 0711 "$T"
need_root
need_cmd qemu-system-x86_64
need_cmd qemu-img
need_cmd python3

# The hand-started guests: the host's kernel with no root file system when there is one: it
# panics within seconds, leaving a VGA text screen that never changes again. Else the test guest
# (built when missing), whose screen only comes to rest once its bochs-drm console is up (~30 s
# under TCG, switching 720x400 text to 1280x800): settle waits for that (MODESET=1).
KERNEL=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1) INITRD= MODESET=0
if [ -z "$KERNEL" ] || [ ! -r "$KERNEL" ]; then
	if [ ! -s "$GUEST_KERNEL" ] && [ -x "$SRCDIR/contrib/build-guest.sh" ]; then
		"$SRCDIR/contrib/build-guest.sh" "$SRCDIR/images" >"$T/guest-build.log" 2>&1 ||
			fail "contrib/build-guest.sh: $(tail -3 "$T/guest-build.log")"
	fi
	KERNEL=$GUEST_KERNEL INITRD=$GUEST_INITRD MODESET=1
fi
[ -n "$KERNEL" ] && [ -r "$KERNEL" ] || skip "no guest kernel (images/ or /boot)"
# Non-black pixels a settled screen has at least: the BIOS lines alone (~1500-2500) do not count;
# the host kernel's panic screen has ~24000, the test guest's console (1280x800) ~10000.
MIN_LIT=5000

NS=$(new_ns vmmvnc); ns_track "$NS" # QEMU and vmm meet on this namespace's loopback only
RUNNS=$NS

# qmp SOCKET JSON...: run QMP commands, fail on an error reply.
qmp() {
	python3 - "$@" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile('rw')
def reply():
    while True:
        m = json.loads(f.readline())
        if 'event' not in m:
            return m
reply()
for cmd in ['{"execute":"qmp_capabilities"}'] + sys.argv[2:]:
    f.write(cmd + '\n'); f.flush()
    r = reply()
    if 'error' in r:
        sys.exit('qmp: ' + r['error']['desc'])
PY
}

# start_qemu NAME DISPLAY [VNC-OPTIONS]: the guest as the QEMU backend would leave it
# (run/NAME/pid), with a QMP socket at $T/NAME.qmp. DISPLAY "unix:PATH": that socket.
start_qemu() {
	local name=$1 disp=$2 extra=${3:-} vnc
	mkdir -p "$VMM_HOME/run/$name"
	vnc=127.0.0.1:$disp
	[[ $disp == unix:* ]] && vnc=$disp
	local args=(-name "$name" -m 256 -accel tcg -nic none -display none -serial none
		-kernel "$KERNEL" -append "console=tty0 panic=0"
		-vnc "$vnc$extra" -qmp "unix:$T/$name.qmp,server=on,wait=off"
		-pidfile "$VMM_HOME/run/$name/pid" -daemonize)
	[ -n "$INITRD" ] && args+=(-initrd "$INITRD")
	nsx "$NS" qemu-system-x86_64 "${args[@]}" >"$T/$name.qemu.log" 2>&1 ||
		fail "qemu for $name: $(cat "$T/$name.qemu.log")"
	track_pid "$(cat "$VMM_HOME/run/$name/pid")"
	fake_running "$name" "$(cat "$VMM_HOME/run/$name/pid")" # with its start time, as vmm's
}

# settle NAME [QMP-SOCKET [MODESET]]: wait until the screen shows text and stays the same (but
# for the cursor) for 3 s; with MODESET=1, only once it has left the 720x400 text mode.
settle() {
	local name=$1 sock=${2:-$T/$1.qmp} modeset=${3:-$MODESET} i prev='' cur stable=0 w
	# the dump lands where any QEMU may write (one started by vmm runs as a uid of its own)
	local dump=$DUMPS/$name.settle.ppm
	for ((i = 0; i < 150; i++)); do
		qmp "$sock" "{\"execute\":\"screendump\",\"arguments\":{\"filename\":\"$dump\"}}" ||
			fail "screendump of $name"
		read -r w cur < <(python3 -c '
import sys
p = open(sys.argv[1], "rb").read().split(maxsplit=4)
d = p[4]
print(int(p[1]), sum(1 for i in range(0, len(d), 3) if d[i:i + 3] != b"\0\0\0"))' "$dump")
		if [ "$modeset" = 1 ] && [ "$w" = 720 ]; then
			cur=0 # still the BIOS text mode
		fi
		if [ "$cur" -gt "$MIN_LIT" ] && [ -n "$prev" ] && [ $((cur - prev)) -le 100 ] &&
			[ $((prev - cur)) -le 100 ]; then
			stable=$((stable + 1))
			[ $stable -ge 3 ] && return 0
		else
			stable=0
		fi
		prev=$cur
		sleep 1
	done
	fail "$name: the screen never settled (lit pixels: $cur)"
}

mkprofile() { # NAME DISPLAY [create options]
	local name=$1 disp=$2; shift 2
	"$VMM" create "$name" --size 64M --ram 256 --kernel "$KERNEL" --append console=tty0 \
		--vnc ":$disp" "$@" >"$T/create.log" 2>&1 || fail "vmm create $name: $(cat "$T/create.log")"
}

vnc() { # EXPECTED_RC ARGS...: vmm vnc inside the namespace ($RUNNS)
	local want=$1; shift
	OUT=$(nsx "$RUNNS" "$VMM" vnc "$@" 2>"$T/stderr"); RC=$?
	ERR=$(cat "$T/stderr")
	[ "$RC" = "$want" ] || fail "vmm vnc $*: exit $RC, wanted $want; stderr: $ERR"
}

# ---- not running ----
mkprofile g1 1
vnc 1 g1 --png "$T/none.png"
assert_eq "$ERR" "vmm: g1: not running"
assert_no_file "$T/none.png"

# ---- the picture: equal to QEMU's screendump, but for the blinking cursor ----
start_qemu g1 1
settle g1
vnc 0 g1 --png "$T/shot.png"
assert_eq "$OUT" "" "--png prints nothing"
qmp "$T/g1.qmp" "{\"execute\":\"screendump\",\"arguments\":{\"filename\":\"$T/dump.ppm\"}}" || fail screendump
read -r W H DIFF LIT < <(image_diff "$T/shot.png" "$T/dump.ppm")
echo "png ${W}x$H, $DIFF pixels differ from the screendump, $LIT lit"
[ "$DIFF" != size ] || fail "PNG is ${W}x$H, screendump $LIT"
[ "$LIT" -gt "$MIN_LIT" ] || fail "the PNG is (nearly) black: $LIT lit pixels"
[ "$DIFF" -le 64 ] || fail "$DIFF pixels differ from QEMU's screendump"
OUT=$(nsx "$NS" "$VMM" -v vnc g1 --png "$T/shot2.png") || fail "vmm -v vnc g1 --png"
assert_eq "$OUT" "$T/shot2.png" "-v prints the path"
assert_file "$T/shot2.png"
ls "$T"/shot2.png.tmp* >/dev/null 2>&1 && fail "temporary file left behind"

# ---- terminal text: ASCII on a pipe, sized to --width ----
nsx "$NS" "$VMM" vnc g1 --width 80 >"$T/ascii.txt" 2>"$T/stderr" || fail "vmm vnc | cat: $(cat "$T/stderr")"
OUT=$(cat "$T/ascii.txt")
gh=$(( (H * 80 + W / 2) / W )) # pixel rows after scaling to 80 columns, two per line
rows=$(( (gh + 1) / 2 ))
assert_eq "$(wc -l <"$T/ascii.txt")" "$rows" "ASCII line count at 80 columns"
assert_not_contains "$OUT" $'\e' "escape sequences on a pipe"
longest=$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$T/ascii.txt")
[ "$longest" -le 80 ] || fail "ASCII line of $longest characters at --width 80"
[ "$(printf '%s' "$OUT" | tr -d ' \n' | wc -c)" -gt 5 ] || fail "ASCII picture is blank"
# --color=always: colour into a pipe too (less -R, CI logs); --color=never = ASCII; auto = ASCII here
nsx "$NS" env COLORTERM=truecolor "$VMM" vnc g1 --width 60 --color=always >"$T/always.txt" 2>"$T/stderr" ||
	fail "vmm vnc --color=always | cat: $(cat "$T/stderr")"
grep -q $'\e\[38;2;' "$T/always.txt" || fail "--color=always into a pipe: no 24-bit colour"
grep -q $'\xe2\x96\x80' "$T/always.txt" || fail "--color=always into a pipe: no half blocks"
nsx "$NS" env COLORTERM= "$VMM" vnc g1 --width 60 --color always >"$T/always256.txt" 2>"$T/stderr" ||
	fail "vmm vnc --color always | cat: $(cat "$T/stderr")"
grep -q $'\e\[38;5;' "$T/always256.txt" || fail "--color always without COLORTERM: no 256-colour escapes"
for c in never auto; do
	nsx "$NS" env COLORTERM=truecolor "$VMM" vnc g1 --width 80 --color=$c >"$T/$c.txt" 2>"$T/stderr" ||
		fail "vmm vnc --color=$c | cat: $(cat "$T/stderr")"
	grep -q $'\e' "$T/$c.txt" && fail "--color=$c into a pipe printed escape sequences"
	assert_eq "$(wc -l <"$T/$c.txt")" "$rows" "--color=$c: ASCII line count"
done
vnc 2 g1 --color=sometimes
assert_eq "$ERR" "vmm: --color sometimes: want one of auto|always|never"
if command -v script >/dev/null 2>&1; then
	nsx "$NS" env COLORTERM=truecolor script -qec "$VMM vnc g1 --width 60" /dev/null >"$T/tty.out" 2>&1 ||
		fail "vmm vnc on a terminal: $(tail -2 "$T/tty.out")"
	grep -q $'\e\[38;2;' "$T/tty.out" || fail "no 24-bit colour on a truecolor terminal"
	grep -q $'\xe2\x96\x80' "$T/tty.out" || fail "no half blocks on a terminal"
	nsx "$NS" env COLORTERM= script -qec "$VMM vnc g1 --width 60" /dev/null >"$T/tty256.out" 2>&1 ||
		fail "vmm vnc on a 256-colour terminal"
	grep -q $'\e\[38;5;' "$T/tty256.out" || fail "no 256-colour escapes without COLORTERM"
	grep -q $'\e\[38;2;' "$T/tty256.out" && fail "24-bit escapes without COLORTERM"
	nsx "$NS" script -qec "$VMM vnc g1 --width 60 --ascii" /dev/null >"$T/ttyascii.out" 2>&1 ||
		fail "vmm vnc --ascii on a terminal: exit $?: $(tail -2 "$T/ttyascii.out")"
	grep -q $'\e\[' "$T/ttyascii.out" && fail "--ascii printed escape sequences"
	gh=$(( (H * 60 + W / 2) / W ))
	assert_eq "$(tr -d '\r' <"$T/ttyascii.out" | wc -l)" "$(( (gh + 1) / 2 ))" "--ascii line count at 60 columns"
	[ "$(tr -d ' \r\n' <"$T/ttyascii.out" | wc -c)" -gt 5 ] || fail "--ascii picture is blank"
	nsx "$NS" env COLORTERM=truecolor script -qec "$VMM vnc g1 --width 60 --color=never" /dev/null >"$T/ttynever.out" 2>&1 ||
		fail "vmm vnc --color=never on a terminal: exit $?: $(tail -2 "$T/ttynever.out")"
	grep -q $'\e\[' "$T/ttynever.out" && fail "--color=never on a terminal printed escape sequences"
	grep -q '[.:=+*#%@]' "$T/ttynever.out" || fail "--color=never on a terminal: no ASCII picture"
fi

# ---- port closed: a running guest whose profile names a display nobody listens on ----
mkprofile g9 9
mkdir -p "$VMM_HOME/run/g9"
cp "$VMM_HOME/run/g1/pid" "$VMM_HOME/run/g1/starttime" "$VMM_HOME/run/g9/"
vnc 1 g9 --png "$T/x.png"
assert_eq "$ERR" "vmm: g9: vnc 127.0.0.1:5909: connection refused"
rm -f "$VMM_HOME/run/g9/pid"

# ---- the default: the screen on a unix socket in the guest's run folder ----
"$VMM" create gs --size 64M --ram 256 --kernel "$KERNEL" --append console=tty0 >"$T/create.log" 2>&1 ||
	fail "vmm create gs: $(cat "$T/create.log")"
assert_contains "$(cat "$VMM_HOME/profiles/gs.cfg")" 'vnc = "socket";'
S=$VMM_HOME/run/gs/vnc.sock
vnc 0 --dry-run gs
assert_eq "$OUT" "vnc unix:$S"
mkdir -p "$VMM_HOME/run/gs"
cp "$VMM_HOME/run/g1/pid" "$VMM_HOME/run/g1/starttime" "$VMM_HOME/run/gs/" # "running", but
# nothing serves the socket yet
vnc 1 gs --png "$T/s.png"
assert_eq "$ERR" "vmm: gs: vnc $S: no such file or directory"
rm -f "$VMM_HOME/run/gs/pid"
start_qemu gs "unix:$S"
settle gs
vnc 0 gs --png "$T/s.png"
qmp "$T/gs.qmp" "{\"execute\":\"screendump\",\"arguments\":{\"filename\":\"$T/dumps.ppm\"}}" || fail screendump
read -r W H DIFF LIT < <(image_diff "$T/s.png" "$T/dumps.ppm")
echo "socket: png ${W}x$H, $DIFF pixels differ from the screendump, $LIT lit"
[ "$DIFF" != size ] && [ "$DIFF" -le 64 ] && [ "$LIT" -gt "$MIN_LIT" ] ||
	fail "over the socket: ${W}x$H, $DIFF differing, $LIT lit"

# ---- password on ----
printf 'tOp5ecr\n' >"$T/pw"
printf 'wrong\n' >"$T/badpw"
mkprofile g2 2
start_qemu g2 2 ",password=on"
qmp "$T/g2.qmp" '{"execute":"change-vnc-password","arguments":{"password":"tOp5ecr"}}' ||
	fail "change-vnc-password"
vnc 1 g2 --png "$T/p.png" </dev/null
assert_contains "$ERR" "vmm: g2: vnc authentication failed"
[ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] || fail "more than one line: $ERR"
assert_no_file "$T/p.png"
vnc 1 g2 --png "$T/p.png" --password-file "$T/badpw" </dev/null
assert_eq "$ERR" "vmm: g2: vnc authentication failed"
assert_no_file "$T/p.png"
"$VMM" set g2 "vnc_password_file=$T/pw" >/dev/null 2>&1 || fail "vmm set g2 vnc_password_file"
settle g2
vnc 0 g2 --png "$T/p.png" </dev/null
qmp "$T/g2.qmp" "{\"execute\":\"screendump\",\"arguments\":{\"filename\":\"$T/dump2.ppm\"}}" || fail screendump
read -r W H DIFF LIT < <(image_diff "$T/p.png" "$T/dump2.ppm")
[ "$DIFF" != size ] && [ "$DIFF" -le 64 ] && [ "$LIT" -gt "$MIN_LIT" ] ||
	fail "with the password: ${W}x$H, $DIFF differing, $LIT lit"

# ---- a server that never sends a frame ----
mkprofile g3 3
mkdir -p "$VMM_HOME/run/g3"
cp "$VMM_HOME/run/g1/pid" "$VMM_HOME/run/g1/starttime" "$VMM_HOME/run/g3/"
nsx "$NS" python3 - 5903 <<'PY' &
import socket, struct, sys, time
s = socket.socket()
s.bind(('127.0.0.1', int(sys.argv[1])))
s.listen(1)
c, _ = s.accept()
c.sendall(b'RFB 003.008\n'); c.recv(12)
c.sendall(b'\x01\x01'); c.recv(1); c.sendall(struct.pack('>I', 0))
c.recv(1)
pf = struct.pack('>BBBBHHHBBB3x', 32, 24, 0, 1, 255, 255, 255, 16, 8, 0)
c.sendall(struct.pack('>HH', 64, 48) + pf + struct.pack('>I', 4) + b'mute')
time.sleep(30)
PY
track_pid $!
for _ in $(seq 50); do nsx "$NS" ss -ltn | grep -q ':5903 ' && break; sleep 0.1; done
vnc 1 g3 --png "$T/t.png" --timeout 1
assert_eq "$ERR" "vmm: g3: vnc 127.0.0.1:5903: no complete frame within 1 s"
assert_no_file "$T/t.png"
rm -f "$VMM_HOME/run/g3/pid"

# ---- a guest started by vmm itself (qemu backend), its VNC password set from the profile ----
need_guest # builds images/ when missing
tutorial_topology
e2e_net_cfg
RUNNS=$HOST
printf 'vmmVnc1\n' >"$T/gpw"
guest_create vg 192.168.166.150 --vnc :7 --vnc-password-file "$T/gpw"
nsx "$HOST" "$VMM" start vg >"$T/start.out" 2>"$T/start.err" ||
	fail "vmm start vg: $(cat "$T/start.err")"
assert_contains "$(tr '\0' ' ' <"/proc/$(cat "$VMM_HOME/run/vg/pid")/cmdline")" \
	"-vnc 127.0.0.1:7,password=on" "QEMU started with a VNC password"
settle vg "$VMM_HOME/run/vg/qmp.sock" 1
vnc 1 vg --png "$T/v.png" --password-file "$T/badpw" </dev/null
assert_eq "$ERR" "vmm: vg: vnc authentication failed"
vnc 0 vg --png "$T/v.png" </dev/null
# the dump lands where any QEMU may write (run/vg is root's: QEMU writes nothing there)
qmp "$VMM_HOME/run/vg/qmp.sock" \
	"{\"execute\":\"screendump\",\"arguments\":{\"filename\":\"$DUMPS/dump3.ppm\"}}" ||
	fail screendump
read -r W H DIFF LIT < <(image_diff "$T/v.png" "$DUMPS/dump3.ppm")
echo "vmm start guest: png ${W}x$H, $DIFF pixels differ from the screendump, $LIT lit"
[ "$DIFF" != size ] && [ "$DIFF" -le 64 ] && [ "$LIT" -gt "$MIN_LIT" ] ||
	fail "guest started by vmm: ${W}x$H, $DIFF differing, $LIT lit"
nsx "$HOST" "$VMM" stop vg --force >/dev/null 2>&1 || fail "vmm stop vg"
vnc 1 vg --png "$T/v2.png"
assert_eq "$ERR" "vmm: vg: not running"

echo "ok"
