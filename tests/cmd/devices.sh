# SPDX-License-Identifier: MIT
# Snapshots, shares, firmware, TPM and clones without booting anything: the profile keys (create,
# set, show, --json), and the refusals, each exit 2 with one line and nothing changed: an existing
# snapshot tag, a missing one, a snapshot of a raw disk, a bad tag, an unknown share folder, a
# share tag used twice, an unknown firmware, a clone onto an existing guest, an overlay clone of a
# disk with snapshots. Stopped guests' snapshots go through qemu-img (disk and UEFI variables);
# an overlay clone freezes the source's disk as a read-only base under both.
. "$SRCDIR/tests/lib.sh"
need_cmd qemu-img
need_cmd python3
SH=$T/shared
mkdir -p "$SH/data" "$SH/docs"
create_guests g1
IMG=$VMM_HOME/images
P=$VMM_HOME/profiles
one_line() { assert_eq "$(printf '%s\n' "$ERR" | wc -l)" 1 "$1: one line"; }

# ---- profile keys ----
run_vmm 0 create g2 --size 16M --share "$SH/data" --share "$SH/docs:manuals:ro" \
	--firmware uefi --tpm
assert_contains "$(cat "$P/g2.cfg")" "shares = [ \"$SH/data:data:" "shares in the profile"
assert_contains "$(cat "$P/g2.cfg")" "\"$SH/docs:manuals:ro:9p\" ];" "a read-only share is 9p"
assert_contains "$(cat "$P/g2.cfg")" 'firmware = "uefi";'
assert_contains "$(cat "$P/g2.cfg")" 'tpm = true;'
run_vmm 0 show g2
assert_contains "$OUT" "firmware: uefi (variables $IMG/g2-uefi-vars.qcow2, made at start)"
assert_contains "$OUT" "tpm:      2.0 (swtpm, state $IMG/g2-tpm)"
assert_contains "$OUT" "share:    $SH/docs at /mnt/manuals (9p, read-only)"
assert_contains "$OUT" "snapshots: none"
run_vmm 0 --json show g2
assert_eq "$(python3 -c 'import json,sys; d=json.load(sys.stdin); s=d["shares"][1]
print(d["firmware"], d["tpm"], len(d["shares"]), s["tag"], s["mount"], s["kind"],
      s["readonly"], d["snapshots"])' <<<"$OUT")" \
	"uefi True 2 manuals /mnt/manuals 9p True []" "show --json"
run_vmm 0 show g1
assert_contains "$OUT" "firmware: bios"
assert_contains "$OUT" "tpm:      none"
assert_contains "$OUT" "shares:   none"
# --dry-run start: the devices in QEMU's argv as typed by hand (q35, the variables as qcow2,
# 9p read-only, the TPM on swtpm's socket, virtiofs on virtiofsd's; the helpers' lines first)
run_vmm 0 --dry-run start g2
assert_contains "$OUT" "-machine q35,pflash0=fwcode,pflash1=fwvars"
assert_contains "$OUT" "driver=file,node-name=fwvars-file,filename=$IMG/g2-uefi-vars.qcow2 "
assert_contains "$OUT" "driver=qcow2,node-name=fwvars,file=fwvars-file"
assert_contains "$OUT" "mount_tag=manuals,security_model=mapped-xattr,id=fs1,readonly=on"
assert_contains "$OUT" "-chardev socket,id=chrtpm,path=$VMM_HOME/run/g2/swtpm.sock -tpmdev emulator,id=tpm0,chardev=chrtpm"
assert_eq "$(head -n1 <<<"$OUT")" "swtpm socket --tpm2 --tpmstate dir=$IMG/g2-tpm,mode=0600 --ctrl type=unixio,path=$VMM_HOME/run/g2/swtpm.sock --terminate --daemon"
assert_eq "$(sed -n 2p <<<"$OUT")" "virtiofsd --socket-path=$VMM_HOME/run/g2/vfs-data.sock -o source=$SH/data -o cache=auto"
assert_contains "$OUT" "-chardev socket,id=vfs0,path=$VMM_HOME/run/g2/vfs-data.sock -device vhost-user-fs-pci,chardev=vfs0,tag=data"
assert_no_file "$IMG/g2-uefi-vars.qcow2"
run_vmm 0 set g2 share= tpm=off firmware=
run_vmm 0 show g2
assert_contains "$OUT" "shares:   none"
assert_contains "$OUT" "firmware: bios"

# ---- refusals: one line, exit 2, nothing changed ----
before=$(tree_sum "$VMM_HOME")
run_vmm 2 create g3 --size 16M --share "$T/nowhere"
assert_eq "$ERR" "vmm: share \"$T/nowhere\": no such folder"
run_vmm 2 set g1 share="$T/nowhere:x"
assert_eq "$ERR" "vmm: share \"$T/nowhere\": no such folder"
run_vmm 2 set g1 share="$SH/data" share="$SH/docs:data"
assert_contains "$ERR" \
	"vmm: share \"$SH/docs:data\": tag \"data\" is already used by \"$SH/data:data"
one_line "a tag used twice"
run_vmm 2 set g1 firmware=efi
assert_eq "$ERR" 'vmm: firmware "efi": use bios, uefi or uefi-secure'
run_vmm 2 snapshot g1 restore nope
assert_eq "$ERR" "vmm: g1: no snapshot nope (see vmm snapshot g1 list)"
run_vmm 2 snapshot g1 create 42
assert_eq "$ERR" 'vmm: snapshot tag "42": not all digits (QEMU reads those as ids)'
run_vmm 2 snapshot g1 frob x
one_line "snapshot frob"
assert_eq "$(tree_sum "$VMM_HOME")" "$before" "the refusals changed nothing"

# ---- a stopped guest's snapshots: qemu-img ----
run_vmm 0 snapshot g1 create first
assert_eq "$ERR" "vmm: g1: snapshot first created (stopped: disks)"
assert_contains "$(qemu-img snapshot -l "$IMG/g1.qcow2")" " first "
before=$(tree_sum "$VMM_HOME")
run_vmm 2 snapshot g1 create first
assert_eq "$ERR" "vmm: g1: snapshot first already exists (vmm snapshot g1 delete first first)"
assert_eq "$(tree_sum "$VMM_HOME")" "$before" "an existing tag: nothing written"
run_vmm 0 snapshot g1 list
assert_contains "$OUT" "first "
run_vmm 0 --json snapshot g1 list
tags() { python3 -c 'import json,sys; print([s["tag"] for s in json.load(sys.stdin)])'; }
assert_eq "$(tags <<<"$OUT")" "['first']"
run_vmm 0 snapshot g1 restore first
run_vmm 0 snapshot g1 delete first
assert_not_contains "$(qemu-img snapshot -l "$IMG/g1.qcow2")" " first "
# a UEFI guest's snapshot takes its variables along (both qcow2)
run_vmm 0 create u1 --size 16M --firmware uefi
qemu-img convert -O qcow2 /usr/share/OVMF/OVMF_VARS_4M.fd "$IMG/u1-uefi-vars.qcow2" || fail "vars"
run_vmm 0 snapshot u1 create s
assert_contains "$(qemu-img snapshot -l "$IMG/u1-uefi-vars.qcow2")" " s " "the variables too"

# a raw disk: no internal snapshots
qemu-img create -q -f raw "$IMG/r1.qcow2" 16M
run_vmm 0 create r1 --reuse-disk
before=$(tree_sum "$VMM_HOME")
run_vmm 2 snapshot r1 create x
assert_eq "$ERR" "vmm: r1: snapshots need a qcow2 disk ($IMG/r1.qcow2 is raw)"
run_vmm 2 snapshot r1 list
assert_eq "$(tree_sum "$VMM_HOME")" "$before" "a raw disk: nothing written"

# ---- clones ----
before=$(tree_sum "$VMM_HOME")
run_vmm 2 clone g1 g2
assert_eq "$ERR" "vmm: g2: already exists (see vmm show g2)"
run_vmm 2 clone u1 u2
assert_eq "$ERR" "vmm: u1: has 1 snapshot, which would stay behind in the frozen base: clone \
with --full, or delete them"
run_vmm 2 clone g1 Bad
one_line "clone to a bad name"
assert_eq "$(tree_sum "$VMM_HOME")" "$before" "refused clones: nothing written"
# an overlay clone: g1's disk frozen read-only, both guests on overlays of it, new identity
run_vmm 0 set g1 hostname=one forward=8022:22
run_vmm 0 clone g1 c1
assert_file "$IMG/g1-base-1.qcow2"
assert_eq "$(stat -c %a "$IMG/g1-base-1.qcow2")" 400 "the base is read-only"
# backing IMAGE: its backing file (False: none)
backing() {
	qemu-img info -U --output=json "$1" |
		python3 -c 'import json,sys; print(json.load(sys.stdin).get("backing-filename", False))'
}
for d in g1 c1; do
	assert_eq "$(backing "$IMG/$d.qcow2")" "$IMG/g1-base-1.qcow2" "$d's disk is on the base"
done
python3 - "$P/g1.cfg" "$P/c1.cfg" <<'PY' || fail "the clone's identity"
import re, sys
a, b = (open(f).read() for f in sys.argv[1:])
get = lambda t, k: (re.search(k + r' = "?([^";]*)', t) or [None, None])[1]
for k in ("mac", "address", "tap"):
    assert get(a, k) != get(b, k), (k, get(a, k), get(b, k))
assert get(a, "display") is None or get(a, "display") != get(b, "display")
assert get(b, "hostname") is None and get(b, "forward") is None, b
PY
# a full copy stands alone
run_vmm 0 clone u1 u2 --full
assert_eq "$(backing "$IMG/u2.qcow2")" False "a full copy has no backing file"
assert_file "$IMG/u2-uefi-vars.qcow2"
exit 0
