#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/clone_ssh.sh: issue 20 with a REAL Debian 12 guest (contrib/build-debian-guest.sh,
# Debian's own cloud-init 22.4 and openssh-server): a shared folder is mounted by cloud-init from
# the seed's write_files fstab line and runcmd (its `mounts:` would drop the tag); then the guest,
# stopped, is cloned (--full): the clone boots, and `vmm ssh NEW` logs in with NEW's own pinned
# host keys (cloud-init saw a new instance-id and installed them) and sees its host name.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd qemu-system-x86_64
need_cmd ssh
need_cmd debootstrap
[ -x /usr/lib/qemu/virtiofsd ] || skip "needs /usr/lib/qemu/virtiofsd (qemu-system-common)"
debian_guest
tutorial_topology
e2e_net_cfg
vmm_in_ns "$HOST"
export HOME=$T/emptyhome; mkdir -p "$HOME"
APPEND="root=/dev/vda rw console=ttyS0"
S=$T/data
mkdir -p "$S"
echo "written on the host" >"$S/host.txt"

# ssh_ok NAME CMD: the command's output over vmm ssh (sshd may answer before cloud-init has
# installed the user's key: retried); a host key refused fails at once
ssh_ok() {
	local out
	for _ in $(seq 90); do
		out=$(timeout 60 "$VMM" ssh "$1" -- "$2" </dev/null 2>"$T/ssh.err") && {
			printf '%s\n' "$out"; return 0; }
		grep -q 'Host key verification failed\|IDENTIFICATION HAS CHANGED' "$T/ssh.err" &&
			fail "$1: host key refused: $(cat "$T/ssh.err")"
		sleep 2
	done
	fail "vmm ssh $1: $(cat "$T/ssh.err")"
}
# (inside $(...) a failure ends only the subshell: the callers check the output too)

run_vmm 0 create deb --image "$DEB/debian-12-vmm.qcow2" --size 4G --ram 1024 \
	--ip 192.168.166.120 --kernel "$DEB/debian-12-vmm.vmlinuz" \
	--initrd "$DEB/debian-12-vmm.initrd" --append "$APPEND" --share "$S"
run_vmm 0 set deb user=debian
run_vmm 0 start deb --wait=ssh:600
# cloud-init's runcmd mounts it after write_files appended the fstab line
for _ in $(seq 60); do
	ssh_ok deb 'cat /mnt/data/host.txt 2>/dev/null; grep " /mnt/data " /etc/fstab; true' \
		>"$T/out" || exit 1
	out=$(cat "$T/out")
	case $out in *"written on the host"*) break;; esac
	sleep 2
done
assert_contains "$out" "written on the host" "the host's file read through virtiofs"
assert_contains "$out" "data /mnt/data virtiofs nofail 0 0" "cloud-init wrote the fstab line"
ssh_ok deb 'echo "from debian" | sudo tee /mnt/data/guest.txt >/dev/null' >/dev/null
assert_eq "$(cat "$S/guest.txt")" "from debian" "the guest's file on the host"
run_vmm 0 stop deb

# its image is a file outside the image cache: an overlay clone is refused (the overlays could
# not name it), a full copy is not
run_vmm 2 clone deb deb2
assert_contains "$ERR" "is outside the image cache"
run_vmm 0 clone deb deb2 --full
# (the clone beside its running source is e2e/clone's, with the tiny guest: one Debian boot less)
run_vmm 0 start deb2 --wait=ssh:600
assert_eq "$(ssh_ok deb2 'cat /etc/hostname')" deb2 "the clone's host name over its own ssh"
K=$VMM_HOME/images/ssh
[ "$(cat "$K/deb2/ssh_host_ed25519_key.pub")" != "$(cat "$K/deb/ssh_host_ed25519_key.pub")" ] ||
	fail "the clone kept the host keys"
assert_contains "$(ssh_ok deb2 'cat /mnt/data/host.txt')" "written on the host" "the clone's share"
run_vmm 0 stop deb2 --force
exit 0
