#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 17, item 3 (guests apart from each other), and the run folder of item 2 as QEMU sees it.
# The attacks: every QEMU ran as the one user vmm, which kept ACL read on every disk and seed
# (the seeds hold the guests' SSH host private keys) while they were stopped, so one guest's QEMU
# could open another's files, or its descriptors through /proc/PID/fd; and a guest whose disk
# names another guest's seed as backing file got that seed opened for it by QEMU. Now each QEMU
# runs as a uid of its own and gets its files as descriptors (no ACL at all), and a backing chain
# that leaves the profile's image and the image cache is refused.
. "$SRCDIR/tests/lib.sh"
need_root
need_guest
need_cmd getfacl
tutorial_topology
e2e_net_cfg
vmm_in_ns "$HOST"
guest_create a 192.168.166.110 --vnc none
guest_create b 192.168.166.111 --vnc none
guest_create c 192.168.166.112 --vnc none
run_vmm 0 start c # c runs once, then stays stopped: what it had must not outlive it
run_vmm 0 stop c --force
run_vmm 0 start a
run_vmm 0 start b
serial_wait a "VMM-GUEST: ready" 90 # the guest boots from descriptors alone
apid=$(cat "$VMM_HOME/run/a/pid") bpid=$(cat "$VMM_HOME/run/b/pid")
ids() { awk '/^Uid:/ {u = $2} /^Gid:/ {g = $2} END {print u, g}' "/proc/$1/status"; }
read -r auid agid < <(ids "$apid")
read -r buid bgid < <(ids "$bpid")
[ "$auid" != 0 ] && [ "$buid" != 0 ] || fail "a QEMU runs as root"
[ "$auid" != "$buid" ] || fail "a and b share the uid $auid"
assert_eq "$agid $bgid" "$(getent group vmm | cut -d: -f3) $(getent group vmm | cut -d: -f3)" \
	"QEMU's group is the account vmm's"
[ "$(getent passwd "$auid")" = "" ] || fail "uid $auid belongs to an account"
# as_qemu PID CMD...: CMD with that QEMU's uid, gid and groups
as_qemu() {
	local pid=$1; shift
	local u g groups
	read -r u g < <(ids "$pid")
	groups=$(awk '/^Groups:/ {$1 = ""; print}' "/proc/$pid/status" | tr -s ' ' ',' | sed 's/^,//; s/,$//')
	if [ -n "$groups" ]; then
		setpriv --reuid="$u" --regid="$g" --groups="$groups" "$@"
	else
		setpriv --reuid="$u" --regid="$g" --clear-groups "$@"
	fi
}
I=$VMM_HOME/images
# (the helper works: a's QEMU reads what anyone may read, and is who it says)
assert_eq "$(as_qemu "$apid" id -u)" "$auid" "as_qemu"
as_qemu "$apid" head -c1 /etc/hostname >/dev/null || fail "as_qemu cannot read /etc/hostname"
for f in "$I/b.qcow2" "$I/b-seed.iso" "$I/c.qcow2" "$I/c-seed.iso" "$I/ssh/b/ssh_host_ed25519_key" \
	"$I/ssh/c/ssh_host_ed25519_key"; do
	[ -e "$f" ] || fail "missing $f"
	as_qemu "$apid" head -c1 "$f" >/dev/null 2>&1 && fail "a's QEMU (uid $auid) opens $f"
	# and no ACL entry for anyone on it, running or stopped
	assert_eq "$(getfacl -cp "$f" | grep -c '^user:[^:]')" 0 "named ACL entries on $f"
done
as_qemu "$apid" ls "/proc/$bpid/fd" >/dev/null 2>&1 && fail "a's QEMU lists b's descriptors"
as_qemu "$apid" head -c1 "/proc/$bpid/fd/13" >/dev/null 2>&1 && fail "a's QEMU opens b's disk by /proc"
# its own files too are descriptors only: not even a's disk by path
as_qemu "$apid" head -c1 "$I/a.qcow2" >/dev/null 2>&1 && fail "a's QEMU opens its disk by path"

# item 2: run/a is root's; QEMU's uid can change nothing there (no file, no link, no swap)
assert_eq "$(stat -c '%a %u' "$VMM_HOME/run/a")" "700 0" "run/a"
setfacl -m "u:$auid:x" "$T" "$VMM_HOME" "$VMM_HOME/run" # even with the way in
as_qemu "$apid" touch "$VMM_HOME/run/a/x" 2>/dev/null && fail "a's QEMU writes into run/a"
as_qemu "$apid" ln -s / "$VMM_HOME/run/a/y" 2>/dev/null && fail "a's QEMU links into run/a"
setfacl -x "u:$auid" "$T" "$VMM_HOME" "$VMM_HOME/run"

# the backing-chain attack: d's disk names a's seed (another guest's file) as its backing file
qemu-img create -q -f qcow2 -b "$I/a-seed.iso" -F raw "$I/d.qcow2" 64M || fail "qemu-img d"
run_vmm 0 create d --reuse-disk --ram 128 --vnc none --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--ip 192.168.166.113/24
run_vmm 2 start d
assert_eq "$ERR" "vmm: d: disk $I/d.qcow2: backing file $I/a-seed.iso: not the profile's image nor in $I/cache (refused: it could be another guest's file)"
assert_no_file "$VMM_HOME/run/d/pid"
# a relative name, and a chain through a file that is allowed, are read the same way
mkdir -p "$I/cache"
qemu-img create -q -f qcow2 -b ../b.qcow2 -F qcow2 "$I/cache/base.qcow2" || fail "qemu-img base"
rm "$I/d.qcow2"
qemu-img create -q -f qcow2 -b cache/base.qcow2 -F qcow2 "$I/d.qcow2" 64M || fail "qemu-img d2"
run_vmm 2 start d
assert_eq "$ERR" "vmm: d: disk $I/d.qcow2: backing file $I/cache/../b.qcow2: not the profile's image nor in $I/cache (refused: it could be another guest's file)"
# an image in the cache is fine: d runs on it, read-only below its own disk
qemu-img create -q -f qcow2 "$I/cache/base.qcow2" 64M || fail "qemu-img base2"
run_vmm 0 start d
dpid=$(cat "$VMM_HOME/run/d/pid")
assert_contains "$(tr '\0' ' ' <"/proc/$dpid/cmdline")" "driver=qcow2,node-name=disk0,file=file0,backing=disk1"
for g in a b d; do run_vmm 0 stop "$g" --force; done
echo ok
