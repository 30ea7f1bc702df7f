#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 17, item 2 (root trusts the run folder of QEMU's user). Two attacks, without booting:
# 1. A pid file naming another QEMU (a forged one, or a stale one whose pid was reused): vmm
#    trusted any live process whose executable's name holds "qemu", so `vmm stop` signalled it.
#    A pid counts only with the start time vmm recorded (/proc/PID/stat field 22).
# 2. run/NAME as the old vmm left it, owned by QEMU's user: while root removes it, that user
#    swaps a subfolder for a symlink (renameat2 RENAME_EXCHANGE, in a loop) so that a path-based
#    recursive delete descends into the link and deletes another folder's files. The delete must
#    open each folder below the one it holds, without following links (unlinkat).
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd qemu-img
need_cmd setfacl
[ -x /usr/bin/python3 ] || skip "needs /usr/bin/python3 (a python the test user can run)"
NS=$(new_ns vmmrun); ns_track "$NS"
vmm_in_ns "$NS"
run_vmm 0 create g --size 1M

# 1. A live "QEMU" that vmm did not start: its pid alone, or with a start time not its own.
cp "$(command -v sleep)" "$T/qemu-system-x86_64"
"$T/qemu-system-x86_64" 600 & decoy=$!; track_pid $decoy
mkdir -m 700 -p "$VMM_HOME/run/g"
echo $decoy >"$VMM_HOME/run/g/pid"
run_vmm 0 status g
assert_eq "$(head -1 <<<"$OUT")" "g: crashed" "a pid file without a start time"
run_vmm 0 stop g
kill -0 $decoy 2>/dev/null || fail "vmm stop signalled a process it did not start (pid file only)"
fake_running g $decoy
echo $(($(cat "$VMM_HOME/run/g/starttime") + 1)) >"$VMM_HOME/run/g/starttime"
run_vmm 0 status g
assert_eq "$(head -1 <<<"$OUT")" "g: crashed" "a start time not the process's"
run_vmm 0 stop g
kill -0 $decoy 2>/dev/null || fail "vmm stop signalled a process whose start time differs"
assert_no_file "$VMM_HOME/run/g"
# the pid with its own start time is the guest's: status says so, stop ends it
fake_running g $decoy
run_vmm 0 status g
assert_contains "$OUT" "g: running"
assert_contains "$OUT" "pid:      $decoy"
run_vmm 0 stop g --force
kill -0 $decoy 2>/dev/null && fail "vmm stop left the process it recorded"
# a pid file vmm did not write (another owner) or reached through a link is not read
"$T/qemu-system-x86_64" 600 & decoy=$!; track_pid $decoy
fake_running g $decoy
chown 65534 "$VMM_HOME/run/g/pid"
run_vmm 0 status g
assert_eq "$(head -1 <<<"$OUT")" "g: crashed" "a pid file of another user"
rm -rf "$VMM_HOME/run/g"
fake_running x $decoy
mkdir -m 700 "$VMM_HOME/run/g"
ln -s ../x/pid "$VMM_HOME/run/g/pid"
ln -s ../x/starttime "$VMM_HOME/run/g/starttime"
run_vmm 0 status g
assert_eq "$(head -1 <<<"$OUT")" "g: crashed" "a pid file that is a symlink"
run_vmm 0 stop g
kill -0 $decoy 2>/dev/null || fail "vmm stop followed a symlinked pid file"
rm -rf "$VMM_HOME/run/x"

# 2. The swap race against the removal of a run folder that QEMU's user owns.
new_user vmmatk
setfacl -m "u:$U:x" "$T" "$VMM_HOME" "$VMM_HOME/run" # what the old grants gave QEMU's user
mkdir -p "$T/victim"
for i in $(seq 40); do echo "$i" >"$T/victim/f$i"; done
cat >"$T/swap.py" <<'PY'
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
run, end = sys.argv[1].encode(), time.time() + float(sys.argv[2])
a, b = run + b"/d", run + b"/s"
while time.time() < end:
    libc.renameat2(-100, a, -100, b, 2)  # AT_FDCWD, RENAME_EXCHANGE
PY
setpriv --reuid="$U_UID" --regid="$U_GID" --clear-groups /usr/bin/python3 "$T/swap.py" \
	"$VMM_HOME/run/g" 120 & swapper=$!; track_pid $swapper
for i in $(seq 300); do
	# run/g as the old vmm left it for QEMU's user: built aside, renamed into place whole
	rm -rf "$T/stage" && mkdir -p "$T/stage/g/d"
	for j in 1 2 3 4 5 6 7 8; do echo x >"$T/stage/g/d/x$j"; done
	ln -s "$T/victim" "$T/stage/g/s"
	chown -hR "$U_UID:$U_GID" "$T/stage/g"
	mv "$T/stage/g" "$VMM_HOME/run/g"
	"$VMM" stop g >/dev/null 2>"$T/err" || true
	left=$(ls "$T/victim" | wc -l)
	[ "$left" = 40 ] ||
		fail "attempt $i: root's removal of run/g deleted files through the swapped link ($left of 40 left)"
	# under a swap at every moment the removal may give up (saying so), never follow
	[ -e "$VMM_HOME/run/g" ] && mv "$VMM_HOME/run/g" "$T/left$i"
done
kill $swapper 2>/dev/null
echo ok
