# SPDX-License-Identifier: MIT
# Headless guests (vnc = none) and no small caps: displays over QEMU's whole port range, a new
# guest's screen on its private socket whatever displays are taken, 16 concurrent creates and 8
# concurrent dry-run starts in one home collide on nothing.
. "$SRCDIR/tests/lib.sh"
need_cmd qemu-img
need_cmd python3
P=$VMM_HOME/profiles
net_cfg br0 192.168.0.1/16 auto true '"auto"' # room for more than 254 guests
run_vmm 0 create hl --size 1M --vnc none
assert_contains "$(cat "$P/hl.cfg")" 'vnc = "none";'
assert_contains "$ERR" "vnc none"
run_vmm 0 list
assert_contains "$OUT" "hl               stopped      1G    1     1M 192.168.0.100/16   52:54:00:"
assert_contains "$OUT" " none            -    qemu"
run_vmm 0 --json show hl
assert_contains "$OUT" '"vnc":"none"'
run_vmm 2 vnc hl
assert_eq "$ERR" "vmm: hl: has no display (vnc = none)"
VMM_ACCEL=tcg VMM_VHOST=off run_vmm 0 --dry-run start hl
assert_contains "$OUT" " -display none -vga none -chardev socket,id=qmp,"
assert_not_contains "$OUT" "-vnc"
run_vmm 0 status hl
assert_contains "$OUT" "vnc:      none"
# the libvirt form: no graphics at all
run_vmm 0 create lv --size 1M --vnc none --backend libvirt --uri "qemu+unix:///system?socket=$T/none"
run_vmm 0 --dry-run start lv
assert_not_contains "$OUT" "<graphics"
assert_contains "$OUT" "<model type='none'/>"
# a new guest's screen is on its private socket (issue 17, item 7); TCP when asked for
run_vmm 0 create d0 --size 1M
assert_contains "$(cat "$P/d0.cfg")" 'vnc = "socket";'
run_vmm 0 set d0 vnc=:0
assert_contains "$(cat "$P/d0.cfg")" "display = 0;"
# the whole range QEMU accepts (5900 + N <= 65535), and a set back to none
run_vmm 0 set d0 vnc=:59635
run_vmm 2 set d0 vnc=:59636
assert_eq "$ERR" "vmm: vnc :59636: want a display :N with N from 0 to 59635 (port 5900+N), socket or none"
run_vmm 0 set d0 vnc=none
assert_contains "$(cat "$P/d0.cfg")" 'vnc = "none";'
run_vmm 0 set d0 vnc=:0

# displays 0..99 taken (d0 and hand-written profiles): the next create is on its socket, and a
# display in use is still refused
for i in $(seq 1 99); do
	printf 'vnc = { display = %d; };\n' "$i" >"$P/h$i.cfg"
done
run_vmm 0 create g101 --size 1M
assert_contains "$(cat "$P/g101.cfg")" 'vnc = "socket";'
run_vmm 2 set g101 vnc=:50
assert_eq "$ERR" "vmm: vnc :50: already used by h50"
run_vmm 0 set g101 vnc=:100
rm -f "$P"/h*.cfg "$P/g101.cfg"

# 16 concurrent creates and 8 concurrent dry-run starts: every profile valid, nothing shared
pids=()
for i in $(seq 1 16); do
	"$VMM" create "c$i" --size 1M >"$T/c$i.out" 2>&1 & pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent create failed: $(cat "$T"/c*.out)"; done
pids=()
for i in $(seq 1 8); do
	VMM_ACCEL=tcg VMM_VHOST=off "$VMM" --dry-run start "c$i" >"$T/s$i.out" 2>&1 & pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent dry-run start failed: $(cat "$T"/s*.out)"; done
for i in $(seq 1 8); do assert_contains "$(cat "$T/s$i.out")" "-name c$i,process=vmm-c$i"; done
run_vmm 0 --json list
assert_eq "$(python3 -c '
import json, sys
d = [g for g in json.load(sys.stdin) if g["name"].startswith("c")]
bad = [g["name"] for g in d if g["state"] == "invalid"]
print(len(d), len(bad), len({g["mac"] for g in d}), len({g["address"] for g in d}),
      len([g for g in d if g["vnc"] == "socket"]), len({g["tap"] for g in d}))' <<<"$OUT")" \
	"16 0 16 16 16 16" "16 concurrent creates: valid and distinct"
echo ok
