# SPDX-License-Identifier: MIT
# vmm autostart NAME on|off: the profile key, shown by list (AUTO) and --json; refusals; the
# systemd units in contrib/systemd/ pass `systemd-analyze verify` with no complaint.
. "$SRCDIR/tests/lib.sh"
need_cmd qemu-img
create_guests g h
run_vmm 0 autostart g on
assert_contains "$(cat "$VMM_HOME/profiles/g.cfg")" "autostart = true;"
assert_contains "$ERR" "vmm: g: autostart on"
run_vmm 0 list
assert_contains "$OUT" "socket          yes  qemu"
assert_contains "$OUT" "socket          -    qemu"
run_vmm 0 --json list
assert_eq "$(python3 -c 'import json,sys; print([(g["name"], g["autostart"]) for g in json.load(sys.stdin)])' <<<"$OUT")" \
	"[('g', True), ('h', False)]" "list --json autostart"
run_vmm 0 --dry-run autostart h on
assert_contains "$OUT" "would set autostart = true in h's profile"
assert_not_contains "$(cat "$VMM_HOME/profiles/h.cfg")" "autostart"
run_vmm 0 autostart g off
assert_not_contains "$(cat "$VMM_HOME/profiles/g.cfg")" "autostart"
run_vmm 0 set g autostart=on stop_timeout=45
assert_contains "$(cat "$VMM_HOME/profiles/g.cfg")" "autostart = true;"
assert_contains "$(cat "$VMM_HOME/profiles/g.cfg")" "stop_timeout = 45;"
run_vmm 2 autostart g maybe
assert_eq "$ERR" "vmm: autostart: \"maybe\": want on or off (see \"vmm help autostart\")"
run_vmm 2 autostart nosuch on
assert_eq "$ERR" "vmm: nosuch: no such guest (see vmm list)"
run_vmm 2 autostart g
run_vmm 2 autostart --boot g
# --boot with nothing to start does nothing
run_vmm 0 set g autostart=off
run_vmm 0 autostart --boot
assert_eq "$ERR" ""

# the units, pointing at this build (the installed path is what make install writes)
need_cmd systemd-analyze
mkdir -p "$T/units"
for u in "$SRCDIR"/contrib/systemd/*.service; do
	sed "s|/usr/local/bin/vmm|$VMM|" "$u" >"$T/units/$(basename "$u")"
done
cp "$T/units/vmm@.service" "$T/units/vmm@g.service"
out=$(cd "$T/units" && systemd-analyze verify --man=no ./vmm-net.service ./vmm@g.service 2>&1) ||
	fail "systemd-analyze verify: $out"
assert_eq "$out" "" "systemd-analyze verify says nothing"
grep -q '^After=.*network-online.target' "$T/units/vmm-net.service" || fail "vmm-net after the uplink"
grep -q '^After=vmm-net.service' "$T/units/vmm@g.service" || fail "guests after vmm-net"
grep -q '^Requires=vmm-net.service' "$T/units/vmm@g.service" || fail "guests need vmm-net"
echo ok
