# SPDX-License-Identifier: MIT
# The test guest itself, without vmm's backend: built from Debian packages (contrib/build-guest.sh
# into images/), booted by a hand-written QEMU argv under TCG with a seed from `vmm seed` behind
# an empty CD-ROM. Its /init must find the seed by label, configure the NIC with the profile's MAC
# (user-mode networking stays inside QEMU), run runcmd, give a shell on the serial port, and power
# off on the ACPI button (QMP system_powerdown). Then the same from the bootable ISO (BIOS + GRUB).
. "$SRCDIR/tests/lib.sh"
need_cmd qemu-system-x86_64
need_cmd qemu-img
need_cmd python3
"$SRCDIR/contrib/build-guest.sh" "$SRCDIR/images" >"$T/build.log" 2>&1 ||
	fail "build-guest.sh: $(tail -5 "$T/build.log")"
for f in "$GUEST_KERNEL" "$GUEST_INITRD" "$GUEST_ISO"; do [ -s "$f" ] || fail "missing $f"; done
# the kernel is an ELF with a PVH entry (the fast path), or the bzImage fallback
if [ "$(head -c4 "$GUEST_KERNEL" | od -An -c | tr -d ' ')" = 177ELF ]; then
	readelf -n "$GUEST_KERNEL" | grep -q 'Xen.*0x00000012' || fail "vmlinux without a PVH note"
fi
# every module /init loads is in the initramfs, each after its dependencies
zcat "$GUEST_INITRD" | (cd "$T" && mkdir -p initrd && cd initrd && cpio -id --quiet) || fail "cpio"
for m in virtio_pci virtio_net virtio_blk ata_piix sr_mod isofs nls_utf8 cdrom scsi_mod libata \
	failover net_failover virtio_ring button; do
	grep -q "/$m\.ko$" "$T/initrd/etc/vmm-modules" || fail "module $m not in the initramfs"
done
while read -r m; do [ -s "$T/initrd/lib/modules/$m" ] || fail "listed module $m missing"; done \
	<"$T/initrd/etc/vmm-modules"
[ "$(grep -n '/virtio_ring.ko$' "$T/initrd/etc/vmm-modules" | cut -d: -f1)" -lt \
  "$(grep -n '/virtio_net.ko$' "$T/initrd/etc/vmm-modules" | cut -d: -f1)" ] || fail "module order"

# /init's YAML reader (busybox awk) on the variations cloud-init accepts: a "network:" wrapper,
# gateway4, flow lists, quoted and commented values, lists at their parent's indent, argv runcmd
if command -v busybox >/dev/null; then
	kv=$(busybox awk -f "$SRCDIR/contrib/guest/yaml2kv.awk" <<'YAML'
# comment
network:
  version: 2
  ethernets:
    id0:
      match: {macaddress: "52:54:00:aa:bb:cc"}
      addresses: [ 10.0.0.2/8, "10.0.0.3/8" ]   # two
      gateway4: 10.0.0.1
      routes:
      - to: 10.1.0.0/16
        via: 10.0.0.9
      nameservers:
        addresses:
          - '10.0.0.53'
runcmd:
  - "echo \"a: b\" \\ c"
  - [ping, -c1, x]
YAML
)
	assert_eq "$kv" 'version=2
ethernets.id0.match.macaddress=52:54:00:aa:bb:cc
ethernets.id0.addresses.0=10.0.0.2/8
ethernets.id0.addresses.1=10.0.0.3/8
ethernets.id0.gateway4=10.0.0.1
ethernets.id0.routes.0.to=10.1.0.0/16
ethernets.id0.routes.0.via=10.0.0.9
ethernets.id0.nameservers.addresses.0=10.0.0.53
runcmd.0=echo "a: b" \ c
runcmd.1.0=ping
runcmd.1.1=-c1
runcmd.1.2=x' "yaml2kv.awk"
fi

mkdir -p "$VMM_HOME/profiles"
e2e_net_cfg
run_vmm 0 create g1 --size 1G --ram 256 --ip 192.168.166.100/24 --hostname tiny-one \
	--runcmd 'cat /sys/class/net/eth0/address' --runcmd 'ip -4 -o addr show dev eth0' \
	--runcmd 'ip route show default' --runcmd 'cat /etc/resolv.conf'
MAC=$(sed -n 's/.*mac = "\([^"]*\)".*/\1/p' "$VMM_HOME/profiles/g1.cfg")
run_vmm 0 seed g1
SEED=$OUT

# qemu_boot NAME ARGS...: QEMU in the background with QMP and the serial port on sockets (the
# serial port also logged); sets QPID, QMP, SER, LOG.
qemu_boot() {
	local n=$1; shift
	QMP=$T/$n.qmp SER=$T/$n.serial LOG=$T/$n.log
	qemu-system-x86_64 -name "$n" -accel tcg -m 256 -display none -no-user-config -nodefaults \
		-qmp "unix:$QMP,server=on,wait=off" \
		-chardev "socket,id=s0,path=$SER,server=on,wait=off,logfile=$LOG" -serial chardev:s0 \
		-netdev user,id=n0 -device "virtio-net-pci,netdev=n0,mac=$MAC" "$@" \
		>"$T/$n.qemu.out" 2>&1 &
	QPID=$!
	track_pid $QPID
}
# wait_log TEXT [SECS]
wait_log() {
	local i
	for ((i = 0; i < ${2:-120} * 10; i++)); do
		grep -qaF -- "$1" "$LOG" 2>/dev/null && return 0
		kill -0 $QPID 2>/dev/null || fail "QEMU exited: $(cat "$T"/*.qemu.out)"
		sleep 0.1
	done
	fail "no \"$1\" on the serial port after ${2:-120} s; log tail: $(tail -5 "$LOG" | tr -d '\r')"
}
# serial_sh LINE: type LINE on the serial console, print what came back within a few seconds
serial_sh() {
	python3 - "$SER" "$1" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(0.5)
s.sendall(b"\n" + sys.argv[2].encode() + b"\n")
out, end = b"", time.time() + 8
while time.time() < end and b"__end__" not in out:
    try:
        d = s.recv(4096)
        if not d: break
        out += d
    except socket.timeout:
        pass
sys.stdout.write(out.decode(errors="replace"))
PY
}
qmp() {
	python3 - "$QMP" "$1" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rw")
f.readline()
for cmd in ("qmp_capabilities", sys.argv[2]):
    f.write(json.dumps({"execute": cmd}) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r or "error" in r: break
    if "error" in r: sys.exit("qmp %s: %s" % (cmd, r["error"]))
PY
}
# powerdown: the ACPI button; the guest must power itself off (QEMU exits)
powerdown() {
	qmp system_powerdown || fail "system_powerdown"
	local i
	for ((i = 0; i < 300; i++)); do kill -0 $QPID 2>/dev/null || break; sleep 0.1; done
	kill -0 $QPID 2>/dev/null && fail "the guest ignored the ACPI power button"
	wait $QPID 2>/dev/null
	grep -qa "VMM-GUEST: power button, powering off" "$LOG" || fail "no power-off marker"
	grep -qa "reboot: Power down" "$LOG" || fail "the kernel did not power down"
}
# markers NAME: what /init must have printed for g1's seed
markers() {
	wait_log "VMM-GUEST: ready"
	local log; log=$(tr -d '\r' <"$LOG")
	assert_contains "$log" "VMM-GUEST: booted" "$1"
	assert_contains "$log" "VMM-GUEST: seed /dev/sr" "$1: seed found on a CD-ROM"
	assert_contains "$log" "hostname tiny-one" "$1: hostname from user-data"
	assert_contains "$log" "VMM-GUEST: instance $(isoinfo -R -x /meta-data -i "$SEED" 2>/dev/null | sed -n 's/^instance-id: //p')" "$1: instance-id"
	# DNS: the bridge (its dnsmasq answers the guests' names, forwards the rest to net.cfg's dns)
	assert_contains "$log" "VMM-GUEST: net eth0 192.168.166.100/24 via 192.168.166.1 dns 192.168.166.1" "$1"
	wait_log "VMM-RUNCMD: done" 60
	log=$(tr -d '\r' <"$LOG")
	assert_contains "$log" "VMM-RUNCMD: $MAC" "$1: the NIC with the profile's MAC"
	assert_contains "$log" "eth0    inet 192.168.166.100/24" "$1: address on that NIC"
	assert_contains "$log" "VMM-RUNCMD: default via 192.168.166.1 dev eth0" "$1: default route"
	assert_contains "$log" "VMM-RUNCMD: nameserver 192.168.166.1" "$1: resolv.conf"
	assert_contains "$log" "VMM-RUNCMD: search vmm" "$1: resolv.conf's domain"
}

# 1. Direct kernel boot; an empty CD-ROM comes first, the seed second.
t0=$(date +%s%N)
qemu_boot direct -kernel "$GUEST_KERNEL" -initrd "$GUEST_INITRD" -append 'console=ttyS0' \
	-drive if=ide,index=0,media=cdrom -drive "if=ide,index=1,media=cdrom,readonly=on,file=$SEED"
wait_log "VMM-GUEST: ready"
echo "direct kernel boot ($(file -b "$GUEST_KERNEL" | cut -d, -f1)): ready after $((($(date +%s%N) - t0) / 1000000)) ms" >&2
markers direct
assert_contains "$(tr -d '\r' <"$LOG")" "VMM-GUEST: seed /dev/sr1" "the seed behind the empty CD-ROM"
out=$(serial_sh 'echo "sum=$((6*7))"; hostname; echo __"end"__')
assert_contains "$out" "sum=42" "shell on the serial console"
assert_contains "$out" "tiny-one"
powerdown

# 2. The bootable ISO (BIOS, GRUB, the bzImage) with the seed as a second CD-ROM.
t0=$(date +%s%N)
qemu_boot iso -drive "if=ide,index=0,media=cdrom,readonly=on,file=$GUEST_ISO" \
	-drive "if=ide,index=2,media=cdrom,readonly=on,file=$SEED" -boot order=d
wait_log "VMM-GUEST: ready" 240
echo "ISO boot: ready after $((($(date +%s%N) - t0) / 1000000)) ms" >&2
markers iso
assert_contains "$(tr -d '\r' <"$LOG")" "console=ttyS0 console=tty0" "GRUB's kernel command line"
powerdown

# 3. No seed at all: the guest says so and still gives a shell.
qemu_boot noseed -kernel "$GUEST_KERNEL" -initrd "$GUEST_INITRD" -append 'console=ttyS0'
wait_log "VMM-GUEST: ready"
assert_contains "$(tr -d '\r' <"$LOG")" "VMM-GUEST: no seed"
out=$(serial_sh 'echo "n=$((2+3))"; echo __"end"__')
assert_contains "$out" "n=5"
powerdown
echo ok
