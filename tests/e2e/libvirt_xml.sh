#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/libvirt_xml.sh: the domain and network XML vmm writes validate against libvirt's own
# schemas (virt-xml-validate): the golden files of tests/unit/test_virt_xml.c and `vmm --dry-run
# start` of libvirt profiles (local tap, install ISO, VNC password, the VNC socket locally and
# remotely, remote network). No root, no daemon: the URIs point where nothing listens, so the dry
# run cannot reach any libvirtd.
. "$SRCDIR/tests/lib.sh"
need_cmd virt-xml-validate

for f in "$SRCDIR"/tests/unit/golden/virt_*.xml; do
	case $f in *network*) kind=network ;; *) kind=domain ;; esac
	virt-xml-validate "$f" $kind >&2 || fail "$f does not validate as $kind"
done

printf 'secret\n' >"$T/vncpw"
: >"$T/install.iso"
: >"$T/k" ; : >"$T/i"
run_vmm 0 create loc --backend libvirt --uri "qemu+unix:///system?socket=$T/none" --size 16M \
	--ram 256 --iso "$T/install.iso" --vnc :5 --vnc-password-file "$T/vncpw" \
	--kernel "$T/k" --initrd "$T/i" --append "console=ttyS0 x=\"a&b\""
run_vmm 0 create rem --backend libvirt --uri "qemu+tcp://127.0.0.2:1/system" --size 16M --ram 256
run_vmm 0 create sock --backend libvirt --uri "qemu+unix:///system?socket=$T/none" --size 16M \
	--ram 256

check() { # NAME WHAT ARGS...: dry-run XML validates; prints it in $OUT
	local name=$1 what=$2; shift 2
	run_vmm 0 --dry-run start "$@" "$name"
	printf '%s\n' "$OUT" >"$T/$name-$what.xml"
	virt-xml-validate "$T/$name-$what.xml" domain >&2 || fail "$name ($what): XML does not validate"
}
check loc plain
assert_contains "$OUT" "<target dev='vmm-loc' managed='no'/>"
assert_contains "$OUT" "<kernel>$T/k</kernel>"
assert_contains "$OUT" "<cmdline>console=ttyS0 x=&quot;a&amp;b&quot;</cmdline>"
assert_contains "$OUT" "passwd='********'" "the password is masked in dry runs"
assert_not_contains "$OUT" "secret"
assert_contains "$OUT" "<source file='$VMM_HOME/images/loc-seed.iso'/>"
check loc install --install
assert_contains "$OUT" "<source file='$T/install.iso'/>"
assert_contains "$OUT" "<boot order='1'/>"
assert_not_contains "$OUT" "<kernel>" "an --install start boots the ISO, not the kernel"
check rem remote
assert_contains "$OUT" "<interface type='network'>"
assert_contains "$OUT" "<source pool='default' volume='rem.qcow2'/>"
assert_contains "$OUT" "<source pool='default' volume='rem-seed.iso'/>"
assert_contains "$OUT" "<listen type='socket'/>" "a remote guest's screen: a socket libvirt picks"
check sock socket
assert_contains "$OUT" "<graphics type='vnc' socket='$VMM_HOME/run/sock/vnc.sock'/>"
# a TCP display off loopback gets a password at start (masked here too)
run_vmm 0 set sock vnc=:6 vnc.listen=0.0.0.0
check sock tcp
assert_contains "$OUT" "<graphics type='vnc' port='5906' autoport='no' listen='0.0.0.0' passwd='********'/>"
# a dry run changes nothing
assert_no_file "$VMM_HOME/images/loc-seed.iso"
exit 0
