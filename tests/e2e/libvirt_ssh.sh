#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# vmm ssh for a local libvirt guest: the real Debian 12 guest (contrib/build-debian-guest.sh)
# through a private libvirtd in a namespace, on vmm's bridge: the domain XML carries the
# virtio RNG, start --wait waits for the SSH banner, vmm ssh logs in with the pinned host keys and
# no prompt, with HOME empty.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd libvirtd
need_cmd virsh
need_cmd qemu-system-x86_64
need_cmd ssh
need_cmd debootstrap
debian_guest
export HOME=$T/emptyhome; mkdir -p "$HOME"

tutorial_topology
e2e_net_cfg
LVD="$T/libvirtd"
stop_libvirtd() { ip netns exec "$HOST" "$SRCDIR/contrib/libvirtd-ns.sh" stop "$LVD"; }
at_exit stop_libvirtd
URI=$(ip netns exec "$HOST" "$SRCDIR/contrib/libvirtd-ns.sh" start "$LVD") || fail "private libvirtd did not start"
vmm_in_ns "$HOST"

run_vmm 0 create lv --backend libvirt --uri "$URI" --image "$DEB/debian-12-vmm.qcow2" --size 4G \
	--ram 1024 --ip 192.168.166.130 --kernel "$DEB/debian-12-vmm.vmlinuz" \
	--initrd "$DEB/debian-12-vmm.initrd" --append "root=/dev/vda rw console=ttyS0"
run_vmm 0 set lv user=debian
run_vmm 0 --dry-run start lv
assert_contains "$OUT" "<rng model='virtio'>"
"$VMM" start lv --wait=400 >"$T/start.out" 2>"$T/start.err" ||
	fail "start --wait: $(cat "$T/start.err")"
assert_contains "$(cat "$T/start.err")" "vmm: lv: SSH answers at 192.168.166.130 after"
[ "$(virsh -c "$URI" domstate lv)" = running ] || fail "libvirt does not see lv running"
ok=0
for _ in $(seq 60); do
	out=$(timeout 60 "$VMM" ssh lv -- cat /etc/hostname </dev/null 2>"$T/ssh.err") && { ok=1; break; }
	grep -q 'Host key verification failed' "$T/ssh.err" && fail "host key refused: $(cat "$T/ssh.err")"
	sleep 2
done
[ $ok = 1 ] || fail "vmm ssh lv: $(cat "$T/ssh.err")"
assert_eq "$out" lv "the guest's host name over ssh"
assert_not_contains "$(cat "$T/ssh.err")" "authenticity"
assert_no_file "$HOME/.ssh/known_hosts"
run_vmm 0 stop lv --force
