#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `vmm --dry-run start` prints the QEMU command line a person types for the guest (golden, with
# the home as $H: files by path, the tap by name, QEMU's own sockets in run/NAME; vmm itself
# hands QEMU descriptors, e2e/guests checks those) and changes nothing; the cases start refuses
# give their exact message.
. "$SRCDIR/tests/lib.sh"
need_cmd qemu-img
need_cmd qemu-system-x86_64
export VMM_ACCEL=tcg VMM_VHOST=off
H=$VMM_HOME
ISO=$T/install.iso; echo iso > "$ISO"
printf 'k' > "$T/kernel"; printf 'i' > "$T/initrd"

"$VMM" create ubuntu --size 1G --ram 2048 --vnc :19 --mac 52:54:00:12:34:10 \
	--ip 192.168.166.100/24 >/dev/null 2>&1 || fail "create ubuntu"
"$VMM" create inst --size 1G --ram 1G --cpus 2 --vnc :20 --mac 52:54:00:12:34:11 \
	--ip 192.168.166.101/24 --iso "$ISO" >/dev/null 2>&1 || fail "create inst"
"$VMM" create kern --size 1G --ram 512 --vnc :21 --mac 52:54:00:12:34:12 \
	--ip 192.168.166.102/24 --kernel "$T/kernel" --initrd "$T/initrd" \
	--append 'console=ttyS0 quiet' --vnc-listen 0.0.0.0 >/dev/null 2>&1 || fail "create kern"
before=$(tree_sum "$H")

# dry ARGS...: the dry-run output with the home written as $H, in $GOT
dry() {
	run_vmm 0 --dry-run start "$@"
	GOT=${OUT//$H/\$H}
}

dry ubuntu
diff -u - <(printf '%s\n' "$GOT") <<'EOF' || fail "dry-run start ubuntu"
qemu-system-x86_64 -name ubuntu,process=vmm-ubuntu -m 2048 -smp 1 -accel tcg -blockdev driver=file,node-name=file0,filename=$H/images/ubuntu.qcow2 -blockdev driver=qcow2,node-name=disk0,file=file0 -device virtio-blk-pci,drive=disk0 -drive file=$H/images/ubuntu-seed.iso,media=cdrom,readonly=on,format=raw -netdev tap,id=n0,ifname=vmm-ubuntu,script=no,downscript=no -device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:10 -device virtio-rng-pci -vnc 127.0.0.1:19 -chardev socket,id=qmp,path=$H/run/ubuntu/qmp.sock,server=on,wait=off -mon chardev=qmp,mode=control -chardev socket,id=serial0,path=$H/run/ubuntu/serial.sock,server=on,wait=off,logfile=$H/run/ubuntu/serial.log -serial chardev:serial0 -sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny
EOF
assert_eq "$ERR" "" "dry-run stderr"

dry inst --install
diff -u - <(printf '%s\n' "$GOT") <<EOF || fail "dry-run start inst --install"
qemu-system-x86_64 -name inst,process=vmm-inst -m 1024 -smp 2 -accel tcg -blockdev driver=file,node-name=file0,filename=\$H/images/inst.qcow2 -blockdev driver=qcow2,node-name=disk0,file=file0 -device virtio-blk-pci,drive=disk0 -drive file=$ISO,media=cdrom,readonly=on,format=raw -drive file=\$H/images/inst-seed.iso,media=cdrom,readonly=on,format=raw -boot once=d -netdev tap,id=n0,ifname=vmm-inst,script=no,downscript=no -device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:11 -device virtio-rng-pci -vnc 127.0.0.1:20 -chardev socket,id=qmp,path=\$H/run/inst/qmp.sock,server=on,wait=off -mon chardev=qmp,mode=control -chardev socket,id=serial0,path=\$H/run/inst/serial.sock,server=on,wait=off,logfile=\$H/run/inst/serial.log -serial chardev:serial0 -sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny
EOF

# without --install the ISO stays out
run_vmm 0 --dry-run start inst
assert_not_contains "$OUT" "$ISO"
assert_not_contains "$OUT" "-boot"

dry kern
diff -u - <(printf '%s\n' "$GOT") <<EOF || fail "dry-run start kern"
qemu-system-x86_64 -name kern,process=vmm-kern -m 512 -smp 1 -accel tcg -blockdev driver=file,node-name=file0,filename=\$H/images/kern.qcow2 -blockdev driver=qcow2,node-name=disk0,file=file0 -device virtio-blk-pci,drive=disk0 -drive file=\$H/images/kern-seed.iso,media=cdrom,readonly=on,format=raw -netdev tap,id=n0,ifname=vmm-kern,script=no,downscript=no -device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:12 -device virtio-rng-pci -vnc 0.0.0.0:21,password=on -chardev socket,id=qmp,path=\$H/run/kern/qmp.sock,server=on,wait=off -mon chardev=qmp,mode=control -chardev socket,id=serial0,path=\$H/run/kern/serial.sock,server=on,wait=off,logfile=\$H/run/kern/serial.log -serial chardev:serial0 -sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny -kernel $T/kernel -initrd $T/initrd -append 'console=ttyS0 quiet'
EOF

# a guest created without --vnc: its screen on a unix socket in its run folder, no TCP port
# (by hand QEMU makes run/sock/vnc.sock itself; vmm's QEMU makes it in run/sock/vnc, a folder it
# gets as a descriptor, and vmm links it there); a TCP display off loopback (kern above) always
# asks for a password
"$VMM" create sock --size 1G >/dev/null 2>&1 || fail "create sock"
before=$(tree_sum "$H")
dry sock
assert_contains "$GOT" " -vnc unix:\$H/run/sock/vnc.sock -chardev socket,id=qmp,"
run_vmm 0 --dry-run vnc sock
assert_eq "$OUT" "vnc unix:$H/run/sock/vnc.sock"

# KVM and vhost when the host has them (forced here)
VMM_ACCEL=kvm VMM_VHOST=on run_vmm 0 --dry-run start ubuntu
assert_contains "$OUT" " -accel kvm -cpu host -blockdev "
assert_contains "$OUT" ",ifname=vmm-ubuntu,script=no,downscript=no,vhost=on -device "

# The printed line is what a shell reads back word for word.
run_vmm 0 --dry-run start kern
eval "words=($OUT)"
assert_eq "${words[-1]}" "console=ttyS0 quiet" "last word after shell parsing"
assert_eq "${#words[@]}" 41 "word count"

assert_eq "$(tree_sum "$H")" "$before" "dry-run changed the home"
assert_no_file "$H/run/ubuntu"

# Refusals: exact message, exit code, nothing changed. They run in a namespace of their own so
# that a start that wrongly got through could not touch the default namespace's network.
if [ "$(id -u)" = 0 ]; then
	NS=$(new_ns vmmdry); ns_track "$NS"
	VMMX=(ip netns exec "$NS" /usr/bin/env)
else
	VMMX=(/usr/bin/env)
fi
run_x() {
	local want=$1; shift
	OUT=$("${VMMX[@]}" "$VMM" "$@" 2>"$T/stderr"); RC=$?
	ERR=$(cat "$T/stderr")
	[ "$RC" = "$want" ] || fail "vmm $*: exit $RC, wanted $want; stderr: $ERR; stdout: $OUT"
}
expect() {
	local rc=$1 msg=$2; shift 2
	run_x "$rc" "$@"
	assert_eq "$ERR" "$msg" "message for: vmm $*"
	assert_eq "$(tree_sum "$H")" "$before" "home changed by: vmm $*"
	[ -e "$H/run/ubuntu" ] && fail "run state left by: vmm $*"
	true
}
expect 2 'vmm: nope: no such guest (see vmm list)' start nope
expect 2 'vmm: start: needs exactly one NAME (see "vmm help start")' start
expect 2 'vmm: start: needs exactly one NAME (see "vmm help start")' start ubuntu inst
expect 2 'vmm: ubuntu: --install needs an ISO in the profile (vmm set ubuntu iso=FILE)' start ubuntu --install
expect 2 'vmm: ubuntu: --install needs an ISO in the profile (vmm set ubuntu iso=FILE)' --dry-run start ubuntu --install
expect 2 'vmm: start: unknown option "--bogus" (see "vmm help start")' start ubuntu --bogus
run_x 2 start ubuntu --wait=soon
assert_contains "$ERR" "--wait"
mv "$H/images/ubuntu.qcow2" "$T/moved.qcow2"
before=$(tree_sum "$H")
expect 1 "vmm: ubuntu: disk $H/images/ubuntu.qcow2: no such file (create it with vmm create)" start ubuntu
mv "$T/moved.qcow2" "$H/images/ubuntu.qcow2"
mv "$ISO" "$T/gone.iso"
before=$(tree_sum "$H")
expect 1 "vmm: inst: iso $ISO: no such file" start inst --install
mv "$T/gone.iso" "$ISO"
# qemu-system-x86_64 missing: a PATH without it (qemu-img is not needed to refuse)
mkdir -p "$T/bin"
OUT=$("${VMMX[@]}" PATH="$T/bin" "$VMM" start ubuntu 2>&1); RC=$?
assert_eq "$RC" 1 "exit without qemu"
assert_eq "$OUT" "vmm: qemu-system-x86_64: not found (install the qemu-system-x86 package)"
assert_eq "$(tree_sum "$H")" "$before" "home changed without qemu"
# --wait for a guest on a remote libvirt host is refused before anything happens (its network
# is over there), by the one start flow, whatever the backend
run_x 0 create far --backend libvirt --uri qemu+tcp://10.77.0.2/system --ram 128 --size 16M
before=$(tree_sum "$H")
expect 2 "vmm: far: --wait needs a local guest (the network of a guest on 10.77.0.2 is there)" start far --wait=3
expect 2 "vmm: far: --wait needs a local guest (the network of a guest on 10.77.0.2 is there)" --dry-run start far --wait
echo ok
