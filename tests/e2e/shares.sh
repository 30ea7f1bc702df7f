#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/shares.sh: shared folders of the test guest, QEMU backend, through each kind: virtiofs
# (read-write, virtiofsd beside a sandboxed QEMU that runs as vmm's user), 9p read-only and 9p
# read-write. The seed's fstab lines and runcmd mount them at /mnt/TAG; a file written on the host
# is read in the guest, one the guest writes appears on the host (not through the read-only one,
# which gives EROFS). QEMU's user is given nothing on the virtiofs folder. A snapshot with memory
# is refused while shares are attached (one line, exit 2); virtiofsd goes with the guest.
. "$SRCDIR/tests/lib.sh"
need_root
need_guest
[ -x /usr/lib/qemu/virtiofsd ] || skip "needs /usr/lib/qemu/virtiofsd (qemu-system-common)"
tutorial_topology
e2e_net_cfg
vmm_in_ns "$HOST"

S=$T/shares
mkdir -p "$S/rw" "$S/ro" "$S/p9"
for d in rw ro p9; do echo "from the host $d" >"$S/$d/host.txt"; done
chmod 700 "$S/rw" "$S/ro" "$S/p9" # nobody but root: what QEMU's uid gets is vmm's grant
guest_create g1 192.168.166.100 --share "$S/rw" --share "$S/ro:docs:ro" --share "$S/p9:p9rw:9p"
cfg=$(cat "$VMM_HOME/profiles/g1.cfg")
assert_contains "$cfg" "\"$S/rw:rw:virtiofs\", \"$S/ro:docs:ro:9p\", \"$S/p9:p9rw:9p\""
run_vmm 0 start --wait=ping:120 g1
serial_wait g1 "VMM-RUNCMD: done"
log=$(tr -d '\r' <"$VMM_HOME/run/g1/serial.log")
assert_contains "$log" "VMM-RUNCMD: \$ mkdir -p /mnt/rw && mount /mnt/rw"

out=$(guest_sh g1 'grep " /mnt/" /proc/mounts | sed "s/^/M:/"' \
	'for d in rw docs p9rw; do echo "R:$d:$(cat /mnt/$d/host.txt)"; done' \
	'echo "guest wrote rw" >/mnt/rw/guest.txt; echo "W:rw:$?"' \
	'echo "guest wrote p9" >/mnt/p9rw/guest.txt; echo "W:p9rw:$?"' \
	'echo "guest wrote ro" >/mnt/docs/guest.txt 2>/tmp/err; echo "W:docs:$? $(cat /tmp/err)"' |
	tr -d '\r')
assert_contains "$out" "M:rw /mnt/rw virtiofs rw" "virtiofs mounted read-write"
assert_contains "$out" "M:docs /mnt/docs 9p ro," "9p mounted read-only"
assert_contains "$out" "M:p9rw /mnt/p9rw 9p rw," "9p mounted read-write"
for d in rw:rw docs:ro p9rw:p9; do
	assert_contains "$out" "R:${d%%:*}:from the host ${d#*:}" "host file read through ${d%%:*}"
done
assert_contains "$out" "W:rw:0"
assert_contains "$out" "W:p9rw:0"
assert_contains "$out" "W:docs:1 " "the read-only share refuses writes"
assert_contains "$out" "Read-only file system"
assert_eq "$(cat "$S/rw/guest.txt")" "guest wrote rw" "virtiofs: the guest's file on the host"
assert_eq "$(cat "$S/p9/guest.txt")" "guest wrote p9" "9p: the guest's file on the host"
assert_no_file "$S/ro/guest.txt"
# QEMU runs as a uid of the guest's own under its seccomp filter; virtiofsd as root beside it
qpid=$(cut -d' ' -f1 "$VMM_HOME/run/g1/pid")
quid=$(stat -c %u "/proc/$qpid")
[ "$quid" != 0 ] || fail "QEMU runs as root"
# 9p mapped-xattr: the guest's file is QEMU's uid's on the host, 0600
assert_eq "$(stat -c '%u %a' "$S/p9/guest.txt")" "$quid 600" "9p file owner and mode"
assert_contains "$(grep Seccomp: "/proc/$qpid/status")" "2" "QEMU's seccomp filter"
vpid=$(cut -d' ' -f1 "$VMM_HOME/run/g1/vfs-rw.pid")
alive "$vpid" || fail "virtiofsd not running"
assert_eq "$(stat -c %U "/proc/$vpid")" root "virtiofsd's user"
# QEMU's uid reaches the 9p folders (an ACL entry each), not the virtiofs one
assert_contains "$(getfacl -pn "$S/p9" 2>/dev/null)" "user:$quid:rwx" "a grant on the 9p folder"
assert_contains "$(getfacl -pn "$S/ro" 2>/dev/null)" "user:$quid:r-x" "read-only 9p: r-x"
assert_not_contains "$(getfacl -pn "$S/rw" 2>/dev/null)" "user:$quid" \
	"no grant on the virtiofs folder"

run_vmm 2 snapshot g1 create s1
assert_eq "$ERR" "vmm: g1: shared folder rw blocks a snapshot with memory (QEMU cannot save a \
virtiofs device or a mounted 9p export); stop the guest to snapshot its disks"

run_vmm 0 stop --force g1
for _ in $(seq 50); do alive "$vpid" || break; sleep 0.1; done
alive "$vpid" && fail "virtiofsd still runs after the guest stopped"
pgrep -f "$VMM_HOME/run/g1/vfs-" >/dev/null &&
	fail "a virtiofsd process is left: $(pgrep -af vfs-rw)"
assert_no_file "$VMM_HOME/run/g1"
assert_not_contains "$(getfacl -pn "$S/p9" 2>/dev/null)" "user:$quid" "the 9p grant taken back"
# an unknown folder at start: refused before anything runs
rmdir "$S/ro" 2>/dev/null || rm -rf "$S/ro"
run_vmm 2 start g1
assert_eq "$ERR" "vmm: g1: share \"$S/ro\": no such folder"
exit 0
