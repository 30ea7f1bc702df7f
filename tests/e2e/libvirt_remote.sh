#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/libvirt_remote.sh: a guest on "another host": a second libvirtd in its own network and
# mount namespaces listening on TCP, reached as qemu+tcp://10.77.0.2/system. vmm makes the NAT
# network there, uploads the disk and seed into a pool, starts the guest, lists and stops it.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd libvirtd
need_cmd virsh
need_cmd qemu-system-x86_64
need_cmd dnsmasq
need_guest # builds images/ when missing
IMG="$SRCDIR/images"

tutorial_topology
REMOTE=$(new_ns vmmremote); ns_track "$REMOTE"
ip link add wan0 netns "$HOST" type veth peer name wan0 netns "$REMOTE" || fail "veth"
ip -n "$HOST" addr add 10.77.0.1/24 dev wan0
ip -n "$HOST" link set wan0 up
ip -n "$REMOTE" addr add 10.77.0.2/24 dev wan0
ip -n "$REMOTE" link set wan0 up

LVD="$T/remote-libvirtd"
stop_libvirtd() { ip netns exec "$REMOTE" "$SRCDIR/contrib/libvirtd-ns.sh" stop "$LVD"; }
at_exit stop_libvirtd
URI=$(ip netns exec "$REMOTE" "$SRCDIR/contrib/libvirtd-ns.sh" start "$LVD" 10.77.0.2) ||
	fail "remote libvirtd did not start"
assert_eq "$URI" "qemu+tcp://10.77.0.2/system"
RV() { ip netns exec "$HOST" virsh -c "$URI" "$@"; } # virsh from the vmm side, over TCP

vmm_in_ns "$HOST" # run_vmm and "$VMM" act in $HOST

run_vmm 0 create r1 --backend libvirt --uri "$URI" --ram 512 --size 64M \
	--kernel "$IMG/vmm-guest.kernel" --initrd "$IMG/vmm-guest.initrd" --append "console=ttyS0"
IP=$("$VMM" --json show r1 | sed -n 's/.*"address": *"\([0-9.]*\)\/.*/\1/p')
[ -n "$IP" ] || fail "no address in vmm show r1"

run_vmm 0 --dry-run start r1
assert_contains "$OUT" "<interface type='network'>"
assert_contains "$OUT" "<source network='br0'/>"

run_vmm 0 start r1
assert_eq "$(RV domstate r1)" running
# the network exists there, not here
RV net-info br0 | grep -Eq '^Active: +yes' || fail "network br0 not active on the remote"
ip -n "$REMOTE" -o addr show br0 | grep -q "192.168.166.1/24" || fail "no br0 192.168.166.1/24 on the remote"
ip -n "$HOST" link show br0 >/dev/null 2>&1 && fail "br0 made on the vmm side for a remote guest"
# disk and seed were uploaded: the remote's copies (its /var/lib/libvirt is $LVD/lib) are byte for
# byte the local files
remote_file() { printf '%s\n' "$LVD/lib${1#/var/lib/libvirt}"; }
assert_eq "$(RV domblklist r1 --details | awk '$2 == "disk" {print $4}')" r1.qcow2 "remote disk volume"
assert_eq "$(RV domblklist r1 --details | awk '$2 == "cdrom" {print $4}')" r1-seed.iso "remote seed volume"
RDISK=$(RV vol-path --pool vmm r1.qcow2) || fail "no volume r1.qcow2 in pool vmm"
RSEED=$(RV vol-path --pool vmm r1-seed.iso) || fail "no volume r1-seed.iso in pool vmm"
case $RDISK in /var/lib/libvirt/images/vmm/*) ;; *) fail "remote disk is not in the pool: [$RDISK]" ;; esac
# QEMU there opens the uploaded disk as qcow2 (the volume itself is created raw, then filled)
grep -q '"driver":"qcow2"' "$LVD/log/qemu/r1.log" || fail "remote QEMU does not open the disk as qcow2"
cmp "$VMM_HOME/images/r1.qcow2" "$(remote_file "$RDISK")" || fail "uploaded disk differs"
cmp "$VMM_HOME/images/r1-seed.iso" "$(remote_file "$RSEED")" || fail "uploaded seed differs"

run_vmm 0 list
assert_contains "$(printf '%s\n' "$OUT" | grep '^r1 ')" "running"
assert_contains "$(printf '%s\n' "$OUT" | grep '^r1 ')" "libvirt@10.77.0.2"
run_vmm 0 status r1
assert_contains "$OUT" "running"

# the guest booted with its seed: it answers on the remote's bridge (bounded wait, not timed)
ok=
for _ in $(seq 1 180); do
	ip netns exec "$REMOTE" ping -c 1 -W 1 "$IP" >/dev/null 2>&1 && { ok=1; break; }
done
[ -n "$ok" ] || fail "r1 never answered ping on the remote's br0"

# the serial console works across the TCP connection too
out=$(printf 'echo VMM-CON-$((6*7))\r' | "$VMM" console --timeout 3 r1 2>"$T/console.err") ||
	fail "console: $(cat "$T/console.err")"
assert_contains "$out" "VMM-CON-42" "guest shell output through vmm console over TCP"

run_vmm 0 stop r1
assert_eq "$ERR" "vmm: r1: powered off (ACPI)"
run_vmm 0 status r1
assert_contains "$OUT" "stopped"
# the network stays (it is left alone once it exists); a second start reuses the remote disk,
# which is the guest's state from now on (never clobbered by a new upload), and re-uploads the seed
RV net-info br0 >/dev/null || fail "network removed"
touch -d 2001-01-01 "$(remote_file "$RDISK")" "$(remote_file "$RSEED")"
run_vmm 0 start r1
assert_eq "$(date -r "$(remote_file "$RDISK")" +%Y)" 2001 "remote disk re-uploaded"
[ "$(date -r "$(remote_file "$RSEED")" +%Y)" != 2001 ] || fail "seed not uploaded again"
run_vmm 0 stop --force r1
exit 0
