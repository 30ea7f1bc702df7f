# SPDX-License-Identifier: MIT
# vmm create/list/show/set/delete against a temporary home with the real qemu-img:
# the tutorial's two guests, then every bad input refused with its exact message and nothing written.
. "$SRCDIR/tests/lib.sh"
need_cmd qemu-img
ISO=$T/ubuntu.iso; echo iso > "$ISO"

run_vmm 0 create ubuntu --iso "$ISO" --size 40G --ram 2048 --vnc :19
run_vmm 0 create ubuntu2 --iso "$ISO" --size 40G --ram 2048 --vnc :29
for g in ubuntu ubuntu2; do
	assert_file "$VMM_HOME/profiles/$g.cfg"
	info=$(qemu-img info --output=json "$VMM_HOME/images/$g.qcow2")
	assert_contains "$info" '"virtual-size": 42949672960' "$g disk size"
	assert_contains "$info" '"format": "qcow2"' "$g disk format"
done
run_vmm 0 --json list
n=$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len({g["mac"] for g in d}), len({g["address"] for g in d}), len({g["vnc_display"] for g in d}), len({g["tap"] for g in d}), [g["memory_mib"] for g in d])')
assert_eq "$n" "2 2 2 2 [2048, 2048]" "distinct MAC/IP/VNC/tap"
assert_contains "$OUT" '"address":"192.168.166.100/24"'
assert_contains "$OUT" '"address":"192.168.166.101/24"'
assert_contains "$OUT" '"vnc":"127.0.0.1:5919"'
assert_contains "$OUT" '"vnc":"127.0.0.1:5929"'
run_vmm 0 list
assert_contains "$OUT" "NAME             STATE       RAM CPUS   DISK IP                 MAC               VNC             AUTO BACKEND"
assert_contains "$OUT" "ubuntu           stopped      2G    1    40G 192.168.166.100/24"
# the MAC is derived stably from the name: a second home gives the same one
mac1=$(sed -n 's/.*mac = "\([^"]*\)".*/\1/p' "$VMM_HOME/profiles/ubuntu.cfg")
mac2=$(VMM_HOME=$T/other "$VMM" --dry-run create ubuntu | sed -n 's/.*mac = "\([^"]*\)".*/\1/p')
assert_eq "$mac1" "$mac2" "stable MAC"
case "$mac1" in 52:54:00:*) ;; *) fail "MAC prefix: $mac1";; esac

before=$(tree_sum "$VMM_HOME")
# expect_bad MESSAGE ARGS...: exit 2, exactly that one line, nothing changed in the home
expect_bad() {
	local msg=$1; shift
	run_vmm 2 "$@"
	assert_eq "$ERR" "$msg" "message for: vmm $*"
	assert_eq "$(tree_sum "$VMM_HOME")" "$before" "home changed by: vmm $*"
}
NAMEMSG="use 1 to 32 characters a-z, 0-9 and '-', starting with a letter or digit"
expect_bad "vmm: name \"../x\": $NAMEMSG" create ../x
expect_bad "vmm: name \"a b\": $NAMEMSG" create "a b"
expect_bad "vmm: name \"A\": $NAMEMSG" create A
expect_bad "vmm: name \"\": $NAMEMSG" create ""
expect_bad "vmm: name \"-a\": $NAMEMSG" create -- -a
long=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
expect_bad "vmm: name \"$long\": $NAMEMSG" create $long
expect_bad "vmm: ubuntu: already exists (see vmm show ubuntu)" create ubuntu
expect_bad "vmm: mac 52:54:00:12:34: not a MAC address (want xx:xx:xx:xx:xx:xx)" create g --mac 52:54:00:12:34
expect_bad "vmm: mac 52:54:00:12:34:zz: not a MAC address (want xx:xx:xx:xx:xx:xx)" create g --mac 52:54:00:12:34:zz
expect_bad "vmm: mac 01:00:5e:00:00:01: multicast MAC address (first octet must be even)" create g --mac 01:00:5e:00:00:01
expect_bad "vmm: mac 00:00:00:00:00:00: all-zero MAC address" create g --mac 00:00:00:00:00:00
expect_bad "vmm: mac $mac1: already used by ubuntu" create g --mac "$mac1"
expect_bad "vmm: address 192.169.166.100/24: outside the bridge subnet 192.168.166.0/24" create g --ip 192.169.166.100/24
expect_bad "vmm: address 192.168.166.0/24: is the network address of 192.168.166.0/24" create g --ip 192.168.166.0/24
expect_bad "vmm: address 192.168.166.255/24: is the broadcast address of 192.168.166.0/24" create g --ip 192.168.166.255/24
expect_bad "vmm: address 192.168.166.1/24: is the bridge address" create g --ip 192.168.166.1/24
expect_bad "vmm: address 192.168.166.100/24: already used by ubuntu" create g --ip 192.168.166.100
expect_bad "vmm: address 192.168.166.300/24: not an IPv4 address" create g --ip 192.168.166.300/24
expect_bad "vmm: address 192.168.166.7/16: prefix /16 differs from the bridge subnet 192.168.166.0/24" create g --ip 192.168.166.7/16
expect_bad "vmm: vnc :19: already used by ubuntu" create g --vnc :19
expect_bad "vmm: vnc :59636: want a display :N with N from 0 to 59635 (port 5900+N), socket or none" create g --vnc :59636
expect_bad "vmm: vnc x: want a display :N with N from 0 to 59635 (port 5900+N), socket or none" create g --vnc x
expect_bad "vmm: size 0: must be greater than zero" create g --size 0
expect_bad "vmm: size -1: not a size (use a number with K, M, G or T)" create g --size=-1
expect_bad "vmm: size 40Q: unknown unit (use K, M, G or T)" create g --size 40Q
expect_bad "vmm: size 99999999999T: too large (at most 1P)" create g --size 99999999999T
expect_bad "vmm: memory 0: out of range (16 to 1048576)" create g --ram 0
expect_bad "vmm: memory 99999999: out of range (16 to 1048576)" create g --ram 99999999
expect_bad "vmm: memory 5T: out of range (16 to 1048576 MiB)" create g --ram 5T
expect_bad "vmm: cpus 0: out of range (1 to 255)" create g --cpus 0
expect_bad "vmm: iso $T/nope.iso: no such file or directory" create g --iso "$T/nope.iso"
expect_bad "vmm: image $T/nope.img: no such file or directory" create g --image "$T/nope.img"
expect_bad "vmm: kernel $T/nope: no such file or directory" create g --kernel "$T/nope"
expect_bad "vmm: iso $T: is a directory" create g --iso "$T"
# An unreadable ISO: root reads everything, so as root the check runs as the unprivileged user
# nobody (setpriv), with a home and a copy of the binary that user can reach.
if [ "$(id -u)" = 0 ]; then
	need_cmd setpriv
	id nobody >/dev/null 2>&1 || fail "no user nobody to run the permission check as"
	U=$T/nobody; mkdir -p "$U/home"; chmod 755 "$T" "$U"; chown nobody "$U/home"
	cp "$VMM" "$U/vmm"; chmod 755 "$U/vmm"
	touch "$U/locked.iso"; chmod 000 "$U/locked.iso"
	OUT=$(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
		env VMM_HOME="$U/home" "$U/vmm" create g --iso "$U/locked.iso" 2>&1); RC=$?
	assert_eq "$RC" 2 "create with an unreadable ISO (as nobody)"
	assert_eq "$OUT" "vmm: iso $U/locked.iso: permission denied"
	assert_eq "$(find "$U/home" -type f ! -name .lock | wc -l)" 0 "no file written by the refused create"
else
	touch "$T/locked.iso"; chmod 000 "$T/locked.iso"
	expect_bad "vmm: iso $T/locked.iso: permission denied" create g --iso "$T/locked.iso"
fi
expect_bad "vmm: ssh key $T/nope.pub: no such file or directory" create g --ssh-key "$T/nope.pub"
echo "not a key" > "$T/bad.pub"; before=$(tree_sum "$VMM_HOME")
expect_bad "vmm: ssh key $T/bad.pub: not an OpenSSH public key" create g --ssh-key "$T/bad.pub"
expect_bad "vmm: create: unknown option \"--bogus\" (see \"vmm help create\")" create g --bogus
expect_bad "vmm: create: needs exactly one NAME (see \"vmm help create\")" create
expect_bad "vmm: create: needs exactly one NAME (see \"vmm help create\")" create a b
expect_bad "vmm: create: --size needs a value (see \"vmm help create\")" create g --size
expect_bad "vmm: g: initrd and append need a kernel" create g --append console=ttyS0
expect_bad "vmm: backend \"xen\": use qemu or libvirt" create g --backend xen
expect_bad "vmm: unknown command \"crate\", try \"vmm help\"" crate g

# an existing disk is never overwritten; --reuse-disk adopts it deliberately
qemu-img create -q -f qcow2 "$VMM_HOME/images/keep.qcow2" 1G
echo marker | dd of="$VMM_HOME/images/keep.qcow2" bs=1 seek=1048576 conv=notrunc status=none
sum=$(sha256sum < "$VMM_HOME/images/keep.qcow2"); before=$(tree_sum "$VMM_HOME")
expect_bad "vmm: disk $VMM_HOME/images/keep.qcow2: already exists (not overwriting; use --reuse-disk to adopt it)" create keep --size 2G
run_vmm 0 create keep --reuse-disk
assert_eq "$(sha256sum < "$VMM_HOME/images/keep.qcow2")" "$sum" "reused disk untouched"
assert_file "$VMM_HOME/profiles/keep.cfg"

# overlay on an image: backing format from qemu-img info
qemu-img create -q -f raw "$T/base.img" 1G
run_vmm 0 create cloud --image "$T/base.img"
info=$(qemu-img info --output=json "$VMM_HOME/images/cloud.qcow2")
assert_contains "$info" "\"backing-filename\": \"$T/base.img\""
assert_contains "$info" '"backing-filename-format": "raw"'

# the disk cannot be created: no profile is left behind
mkdir -p "$T/bin"; ln -s "$(command -v python3)" "$T/bin/python3"
before=$(tree_sum "$VMM_HOME")
OUT=$(PATH="$T/bin" "$VMM" create nodisk 2>"$T/e"); RC=$?
assert_eq "$RC" 1 "exit without qemu-img"
assert_eq "$(cat "$T/e")" "vmm: qemu-img: not found (install the qemu-utils package)"
assert_no_file "$VMM_HOME/profiles/nodisk.cfg"
assert_eq "$(tree_sum "$VMM_HOME")" "$before" "home changed without qemu-img"

# the profile cannot be written after the disk was made: the disk is removed again (a folder
# squats the profile's temporary file name, which ends in the pid; exec keeps the shell's pid)
before=$(tree_sum "$VMM_HOME")
sh -c 'mkdir "$1/profiles/rb.cfg.tmp.$$" && exec "$2" create rb --size 1M' _ "$VMM_HOME" "$VMM" 2>"$T/e"
assert_eq "$?" 1 "exit when the profile cannot be written"
assert_contains "$(cat "$T/e")" "vmm: $VMM_HOME/profiles/rb.cfg: "
assert_no_file "$VMM_HOME/images/rb.qcow2"
assert_no_file "$VMM_HOME/profiles/rb.cfg"
assert_eq "$(tree_sum "$VMM_HOME")" "$before" "home changed by a failed create"
rmdir "$VMM_HOME"/profiles/rb.cfg.tmp.*

# profiles with syntax errors and unknown keys: file:line and the key named
cp "$VMM_HOME/profiles/ubuntu2.cfg" "$T/ubuntu2.cfg"
printf 'memory = 2048;\ncpus = ;\n' > "$VMM_HOME/profiles/broken.cfg"
run_vmm 2 show broken
assert_eq "$ERR" "vmm: $VMM_HOME/profiles/broken.cfg:2: syntax error"
printf 'memory = 2048;\ncolour = "blue";\n' > "$VMM_HOME/profiles/broken.cfg"
run_vmm 2 show broken
assert_eq "$ERR" "vmm: $VMM_HOME/profiles/broken.cfg:2: unknown key \"colour\""
printf 'memory = 2048;\nvnc = { display = 3; colour = "blue"; };\n' > "$VMM_HOME/profiles/broken.cfg"
run_vmm 2 show broken
assert_eq "$ERR" "vmm: $VMM_HOME/profiles/broken.cfg:2: unknown key \"vnc.colour\""
printf 'memory = "lots";\n' > "$VMM_HOME/profiles/broken.cfg"
run_vmm 2 show broken
assert_eq "$ERR" "vmm: $VMM_HOME/profiles/broken.cfg:1: memory: expected an integer"
rm "$VMM_HOME/profiles/broken.cfg"
printf 'bridge = "br0";\naddress = ;\n' > "$VMM_HOME/profiles/net.cfg.new"
cp "$VMM_HOME/profiles/net.cfg" "$T/net.cfg"; mv "$VMM_HOME/profiles/net.cfg.new" "$VMM_HOME/profiles/net.cfg"
run_vmm 2 create g
assert_contains "$ERR" "vmm: $VMM_HOME/profiles/net.cfg:"
cp "$T/net.cfg" "$VMM_HOME/profiles/net.cfg"

# show / set / delete
run_vmm 0 show ubuntu
assert_contains "$OUT" "state:    stopped"
assert_contains "$OUT" 'iso = "'"$ISO"'";'
before=$(tree_sum "$VMM_HOME")
expect_bad "vmm: vnc :29: already used by ubuntu2" set ubuntu vnc=:29
expect_bad "vmm: key \"colour\": unknown (see vmm help set)" set ubuntu colour=blue
expect_bad "vmm: address 192.169.166.100/24: outside the bridge subnet 192.168.166.0/24" set ubuntu ip=192.169.166.100
expect_bad "vmm: set: \"memory\": want KEY=VALUE (see \"vmm help set\")" set ubuntu memory
expect_bad "vmm: size: cannot be changed after create (use qemu-img resize or a new guest)" set ubuntu size=80G
expect_bad "vmm: nosuch: no such guest (see vmm list)" set nosuch memory=512
run_vmm 0 set ubuntu memory=4G cpus=2 vnc=:7
assert_contains "$(cat "$VMM_HOME/profiles/ubuntu.cfg")" "memory = 4096;"
assert_contains "$(cat "$VMM_HOME/profiles/ubuntu.cfg")" "cpus = 2;"
assert_contains "$(cat "$VMM_HOME/profiles/ubuntu.cfg")" "display = 7;"
run_vmm 0 delete ubuntu2
assert_no_file "$VMM_HOME/profiles/ubuntu2.cfg"
assert_file "$VMM_HOME/images/ubuntu2.qcow2"
assert_contains "$ERR" "its disk $VMM_HOME/images/ubuntu2.qcow2 is kept"
run_vmm 0 create ubuntu2 --reuse-disk
run_vmm 0 delete --purge ubuntu2
assert_no_file "$VMM_HOME/images/ubuntu2.qcow2"
# a guest whose run state names a live QEMU (its pid and start time) is running: delete refuses
cp "$(command -v sleep)" "$T/qemu-system-x86_64"
"$T/qemu-system-x86_64" 60 & sp=$!; track_pid $sp
fake_running ubuntu $sp
run_vmm 1 delete ubuntu
assert_eq "$ERR" "vmm: ubuntu: is running (stop it first: vmm stop ubuntu)"
assert_file "$VMM_HOME/profiles/ubuntu.cfg"
kill $sp; wait $sp 2>/dev/null
run_vmm 0 list
assert_contains "$OUT" "ubuntu           crashed"
echo ok
