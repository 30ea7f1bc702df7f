#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# firewall.sh: the firewall module (libiptc) against the real kernel, inside namespaces this test
# makes: rules exactly once and first, idempotence, Docker's rules byte-identical through
# apply+remove, entries iptables itself understands (-S, -C, save/restore round trip), the lock;
# then the IPv6 twin through `vmm net up` with ipv6 in net.cfg (ip6tables-legacy-save, net down).
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd iptables-legacy
need_cmd iptables-legacy-save
need_cmd iptables-legacy-restore
need_cmd ip6tables-legacy
need_cmd ip6tables-legacy-save
need_cmd ip6tables-legacy-restore
BIN="$BUILD/tests/test_firewall"
[ -x "$BIN" ] || fail "$BIN not built (make $BUILD/tests/test_firewall)"
NET=192.168.166.0/24

# fw NS OP [BRIDGE [NET [nat|nonat]]]: the driver; stdout in $OUT, last line "commits N" -> $COMMITS
fw() {
	local ns=$1 op=$2
	OUT=$(nsx "$ns" "$BIN" --do "$op" "${3:-br0}" "${4:-$NET}" "${5:-nat}" 2>"$T/fw.err") ||
		fail "fw $op in $ns: $(cat "$T/fw.err")"
	COMMITS=$(printf '%s\n' "$OUT" | sed -n 's/^commits //p')
}
save() { nsx "$1" iptables-legacy-save | sed -e '/^#/d'; }
# the rule lines apply must produce, as iptables-legacy-save prints them
plan_lines() { "$BIN" --do plan br0 "$NET" nat 2>/dev/null | sed -n -e 's/^-I /-A /' -e '/^-A /p'; }

# 1. the cmocka cases that need root (apply/status/remove, convergence, two bridges, policies,
#    nft forward drop detection, a chain referenced by someone else)
NS=$(new_ns fw); ns_track "$NS"
nsx "$NS" "$BIN" --ns || fail "namespace cases of test_firewall"

# 2. Docker's rules first
D=$(new_ns fwdocker); ns_track "$D"
load_docker_rules "$D"
before=$(save "$D")
[ -n "$before" ] || fail "empty save output"

fw "$D" status
assert_contains "$OUT" "forward_policy DROP"
assert_contains "$OUT" "chains missing"
assert_eq "$(printf '%s\n' "$OUT" | grep -c ' present: ')" 0 "nothing of vmm's before apply"

fw "$D" apply
assert_eq "$COMMITS" 2 "first apply: one commit per table"
once=$(save "$D")
n=0
while IFS= read -r line; do
	assert_eq "$(printf '%s\n' "$once" | grep -cxF -- "$line")" 1 "exactly once: $line"
	n=$((n + 1))
done < <(plan_lines)
assert_eq "$n" 8 "plan has 8 rules"
assert_eq "$(printf '%s\n' "$once" | grep -m1 '^-A FORWARD ')" \
	"-A FORWARD -m comment --comment vmm -j VMM-FORWARD" "jump first in FORWARD"
assert_eq "$(printf '%s\n' "$once" | grep -m1 '^-A POSTROUTING ')" \
	"-A POSTROUTING -m comment --comment vmm -j VMM-POSTROUTING" "jump first in POSTROUTING"
assert_contains "$once" ":FORWARD DROP" "policy untouched"
# every foreign line still there, once, in the same order
assert_eq "$(printf '%s\n' "$once" | grep -v -e VMM- -e 'comment vmm')" "$before" "foreign rules unchanged"

# iptables parses our hand-built entries: -S shows them, -C finds them
S=$(nsx "$D" iptables-legacy -S VMM-FORWARD)
assert_contains "$S" '-A VMM-FORWARD -o br0 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "vmm br0" -j ACCEPT'
nsx "$D" iptables-legacy -C FORWARD -m comment --comment vmm -j VMM-FORWARD || fail "-C jump FORWARD"
nsx "$D" iptables-legacy -C VMM-FORWARD -s "$NET" -i br0 -m comment --comment "vmm br0" -j ACCEPT ||
	fail "-C accept out"
nsx "$D" iptables-legacy -C VMM-FORWARD -i br0 -o br0 -m comment --comment "vmm br0" -j ACCEPT ||
	fail "-C accept bridged"
nsx "$D" iptables-legacy -C VMM-FORWARD -i br0 -m comment --comment "vmm br0" -j DROP || fail "-C drop out"
nsx "$D" iptables-legacy -C VMM-FORWARD -o br0 -m comment --comment "vmm br0" -j DROP || fail "-C drop in"
# in the plan's order: the accepts, then the drops
assert_eq "$(printf '%s\n' "$once" | grep '^-A VMM-FORWARD ')" "$(plan_lines | grep '^-A VMM-FORWARD ')" \
	"VMM-FORWARD in the plan's order"
nsx "$D" iptables-legacy -C VMM-FORWARD -o br0 -m conntrack --ctstate RELATED,ESTABLISHED \
	-m comment --comment "vmm br0" -j ACCEPT || fail "-C accept back"
nsx "$D" iptables-legacy -t nat -C POSTROUTING -m comment --comment vmm -j VMM-POSTROUTING || fail "-C jump nat"
nsx "$D" iptables-legacy -t nat -C VMM-POSTROUTING -s "$NET" ! -o br0 -m comment --comment "vmm br0" \
	-j MASQUERADE || fail "-C masquerade"

fw "$D" status
assert_eq "$(printf '%s\n' "$OUT" | grep -c ' present: ')" 8 "status: all 8 present"
assert_contains "$OUT" "chains present"
assert_contains "$OUT" "forward_policy DROP"

# twice and ten times: nothing committed, identical tables
fw "$D" apply
assert_eq "$COMMITS" 0 "second apply commits nothing"
assert_eq "$(save "$D")" "$once" "after apply x2"
for _ in 1 2 3 4 5 6 7 8; do fw "$D" apply; assert_eq "$COMMITS" 0 "apply x10"; done
assert_eq "$(save "$D")" "$once" "after apply x10"

# round trip: the tables saved and restored by iptables itself hold entries identical to ours
nsx "$D" iptables-legacy-save | nsx "$D" iptables-legacy-restore || fail "restore of the saved tables"
fw "$D" apply
assert_eq "$COMMITS" 0 "entries rebuilt by iptables-restore are what apply wants"

fw "$D" remove
assert_eq "$COMMITS" 2 "remove: one commit per table"
assert_eq "$(save "$D")" "$before" "docker rules byte-identical after apply+remove"
fw "$D" remove
assert_eq "$COMMITS" 0 "second remove commits nothing"

# 3. the plan is valid iptables-restore input, equal to what apply builds
P=$(new_ns fwplan); ns_track "$P"
"$BIN" --do plan br0 "$NET" nat >"$T/plan" 2>"$T/fw.err" || fail "plan: $(cat "$T/fw.err")"
nsx "$P" iptables-legacy-restore --noflush <"$T/plan" || fail "plan not accepted by iptables-legacy-restore"
fw "$P" apply
assert_eq "$COMMITS" 0 "apply after restoring the plan"
fw "$P" remove
assert_not_contains "$(save "$P")" "VMM-" "remove after plan"
# nat = false: no nat table instantiated for nothing
fw "$P" apply br0 "$NET" nonat
assert_not_contains "$(save "$P")" "VMM-POSTROUTING"
fw "$P" remove br0 "$NET" nonat

# 4. concurrent writers (the xtables lock): eight bridges at once, each rule exactly once
C=$(new_ns fwlock); ns_track "$C"
pids=()
for i in 1 2 3 4 5 6 7 8; do
	nsx "$C" "$BIN" --do apply "br$i" "10.$i.0.0/16" nat >"$T/c$i.out" 2>&1 &
	pids+=($!)
done
for i in 1 2 3 4 5 6 7 8; do wait "${pids[$((i - 1))]}" || fail "concurrent apply br$i: $(cat "$T/c$i.out")"; done
all=$(save "$C")
for i in 1 2 3 4 5 6 7 8; do
	assert_eq "$(printf '%s\n' "$all" | grep -c -- "-s 10.$i.0.0/16 -i br$i -m comment")" 1 "br$i accept once"
	assert_eq "$(printf '%s\n' "$all" | grep -c -- "-o br$i -m comment --comment \"vmm br$i\" -j DROP")" 1 \
		"br$i drop once"
	assert_eq "$(printf '%s\n' "$all" | grep -c -- "-s 10.$i.0.0/16 ! -o br$i ")" 1 "br$i masquerade once"
done
assert_eq "$(printf '%s\n' "$all" | grep -c -- '-j VMM-FORWARD$')" 1 "one jump for all bridges"
for i in 1 2 3 4 5 6 7 8; do fw "$C" remove "br$i" "10.$i.0.0/16" nat; done
assert_not_contains "$(save "$C")" "VMM-" "all removed"

# 5. port forwards, next to Docker's own DNAT chain: every plan line exactly once and byte-identical
#    in iptables-legacy-save, read back by iptables (-C, save/restore), idempotent, a forward
#    taken out of the config goes (and only it), remove leaves Docker's rules byte-identical
FW="tcp:8080:192.168.166.100:80:web udp:5353:192.168.166.100:53:web tcp:2222:192.168.166.101:22:db"
fwf() { # fwf NS OP FORWARDS...: fw with forwards
	local ns=$1 op=$2; shift 2
	OUT=$(nsx "$ns" "$BIN" --do "$op" br0 "$NET" nat "$@" 2>"$T/fw.err") || fail "fw $op: $(cat "$T/fw.err")"
	COMMITS=$(printf '%s\n' "$OUT" | sed -n 's/^commits //p')
}
F=$(new_ns fwfwd); ns_track "$F"
load_docker_rules "$F"
before=$(save "$F")
# shellcheck disable=SC2086
fwf "$F" apply $FW
assert_eq "$COMMITS" 2 "apply with forwards: one commit per table"
once=$(save "$F")
n=0
while IFS= read -r line; do
	assert_eq "$(printf '%s\n' "$once" | grep -cxF -- "$line")" 1 "exactly once: $line"
	n=$((n + 1))
done < <("$BIN" --do plan br0 "$NET" nat $FW | sed -n -e 's/^-I /-A /' -e '/^-A /p')
assert_eq "$n" 19 "plan: 8 rules + 2 jumps + 3x3 forward rules"
assert_not_contains "$once" "unsupported" "iptables-legacy-save understands every entry"
for c in PREROUTING OUTPUT; do
	assert_eq "$(printf '%s\n' "$once" | grep -m1 "^-A $c ")" \
		"-A $c -m comment --comment vmm -j VMM-$c" "jump first in $c (before Docker's)"
done
assert_eq "$(printf '%s\n' "$once" | grep -v -e VMM- -e 'comment vmm')" "$before" "foreign rules unchanged"
nsx "$F" iptables-legacy -t nat -C VMM-PREROUTING -p udp -m udp --dport 5353 -m addrtype --dst-type LOCAL \
	-m comment --comment "vmm br0 web" -j DNAT --to-destination 192.168.166.100:53 || fail "-C dnat"
nsx "$F" iptables-legacy -t nat -C VMM-OUTPUT ! -d 127.0.0.0/8 -p tcp -m tcp --dport 2222 -m addrtype \
	--dst-type LOCAL -m comment --comment "vmm br0 db" -j DNAT --to-destination 192.168.166.101:22 ||
	fail "-C dnat output"
nsx "$F" iptables-legacy -C VMM-FORWARD -d 192.168.166.100/32 -o br0 -p tcp -m tcp --dport 80 \
	-m conntrack --ctstate DNAT -m comment --comment "vmm br0 web" -j ACCEPT || fail "-C accept dnat"
fwf "$F" status $FW
assert_contains "$OUT" "forwards_stale 0"
assert_eq "$(printf '%s\n' "$OUT" | grep -c ' present: ')" 10 "status with forwards: all 10 present (8 + accept + dnat)"
# the forwards' accepts stand before the drops
assert_eq "$(printf '%s\n' "$once" | grep '^-A VMM-FORWARD ' | tail -n 2 | grep -c ' -j DROP$')" 2 "drops last"
for _ in 1 2 3; do fwf "$F" apply $FW; assert_eq "$COMMITS" 0 "apply with forwards again"; done
assert_eq "$(save "$F")" "$once" "after apply x4"
nsx "$F" iptables-legacy-save | nsx "$F" iptables-legacy-restore || fail "restore"
fwf "$F" apply $FW
assert_eq "$COMMITS" 0 "forward entries rebuilt by iptables-restore are what apply wants"
# one forward fewer: status sees it, apply removes exactly its three rules
fwf "$F" status tcp:8080:192.168.166.100:80:web udp:5353:192.168.166.100:53:web
assert_contains "$OUT" "forwards_stale 1" "a forward no longer wanted"
fwf "$F" apply tcp:8080:192.168.166.100:80:web udp:5353:192.168.166.100:53:web
assert_eq "$COMMITS" 2 "dropping a forward"
assert_eq "$(save "$F")" "$(printf '%s\n' "$once" | grep -v 'vmm br0 db')" "only db's rules went"
fwf "$F" status $FW
assert_contains "$OUT" "forwards_stale 1" "a wanted forward missing"
# none left: the chains and their jumps go, the bridge's own rules stay
fwf "$F" apply
assert_not_contains "$(save "$F")" "VMM-PREROUTING"
assert_not_contains "$(save "$F")" "VMM-OUTPUT"
assert_contains "$(save "$F")" "VMM-POSTROUTING"
fwf "$F" apply $FW
fwf "$F" remove
assert_eq "$(save "$F")" "$before" "docker rules byte-identical after apply+remove with forwards"

# 6. not root: a clear message, nothing changed
if command -v setpriv >/dev/null 2>&1; then
	b=$(save "$C")
	OUT=$(nsx "$C" setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" --do apply br0 "$NET" nat 2>&1)
	RC=$?
	assert_eq "$RC" 1 "apply as nobody: exit code"
	assert_contains "$OUT" "vmm: firewall: " "apply as nobody"
	assert_contains "$OUT" "needs root or CAP_NET_ADMIN" "apply as nobody"
	assert_eq "$(save "$C")" "$b" "nothing changed by the refused apply"
fi

# 7. IPv6 (net.cfg ipv6, libip6tc), through vmm itself next to Docker's ip6tables rules: the
#    dry run's firewall part is tests/unit/golden/fw_legacy_ipv6.plan; every line of its IPv6 part
#    is in ip6tables-legacy-save exactly once, the jumps first, Docker's lines unchanged; ip6tables
#    reads the entries back (-C, save/restore); net up again changes nothing; net down removes
#    exactly vmm's rules of both families
tutorial_topology
cat >"$T/net.cfg" <<'CFG'
bridge = "br0";
address = "192.168.166.1/24";
uplink = "auto";
nat = true;
dns = [ "192.168.1.191" ];
ipv6 = "fd00:1234:5678:9abc::/64";
firewall = "iptables-legacy";
CFG
mkdir -p "$VMM_HOME/profiles" && cp "$T/net.cfg" "$VMM_HOME/profiles/net.cfg"
nsx "$HOST" "$VMM" create web --size 1G --mac 52:54:00:00:00:10 --ip 192.168.166.100/24 \
	--forward tcp:8080:80 --forward udp:5353:53 >/dev/null || fail "create web"
nsx "$HOST" "$VMM" create db-1 --size 1G --mac 52:54:00:00:00:11 --ip 192.168.166.101/24 \
	--forward tcp:2222:22 >/dev/null || fail "create db-1"
load_docker_rules "$HOST"
nsx "$HOST" ip6tables-legacy-restore <<'RULES' || fail "loading docker-like ip6tables rules"
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT ! -d ::1/128 -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s fd00:dead:beef::/48 ! -o docker0 -j MASQUERADE
-A DOCKER -i docker0 -j RETURN
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o docker0 -j DOCKER
-A FORWARD -i docker0 ! -o docker0 -j ACCEPT
-A DOCKER -d fd00:dead:beef::2/128 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT
-A DOCKER-USER -j RETURN
COMMIT
RULES
save6() { nsx "$1" ip6tables-legacy-save | sed -e '/^#/d' -e 's/\[[0-9]*:[0-9]*\]/[c]/'; }
before4=$(save "$HOST")
before6=$(save6 "$HOST")
plan=$(nsx "$HOST" "$VMM" net up --dry-run 2>&1) || fail "net up --dry-run: $plan"
assert_eq "$(sed -n '/^firewall:$/,$p' <<<"$plan" | tail -n +2)" \
	"$(cat "$SRCDIR/tests/unit/golden/fw_legacy_ipv6.plan")" "net up --dry-run's firewall part"
plan6=$(sed -n '/^# ip6tables-legacy-restore --noflush$/,$p' <<<"$plan" | tail -n +2)
assert_eq "$(save6 "$HOST")" "$before6" "the dry run changed nothing"
nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "net up with ipv6: $(cat "$T/err")"
once6=$(save6 "$HOST")
n=0
while IFS= read -r line; do
	assert_eq "$(printf '%s\n' "$once6" | grep -cxF -- "$line")" 1 "ip6: exactly once: $line"
	n=$((n + 1))
done < <(sed -n -e 's/^-I /-A /' -e '/^-A /p' <<<"$plan6")
assert_eq "$n" 19 "ip6 plan: 5 rules + masquerade + 4 jumps + 3x3 forward rules"
assert_not_contains "$once6" "unsupported" "ip6tables-legacy-save understands every entry"
for c in FORWARD POSTROUTING PREROUTING OUTPUT; do
	assert_eq "$(printf '%s\n' "$once6" | grep -m1 "^-A $c ")" \
		"-A $c -m comment --comment vmm -j VMM-$c" "ip6: jump first in $c (before Docker's)"
done
assert_eq "$(printf '%s\n' "$once6" | grep '^-A VMM-FORWARD ')" \
	"$(grep '^-A VMM-FORWARD ' <<<"$plan6")" "ip6 VMM-FORWARD in the plan's order (drops last)"
assert_eq "$(printf '%s\n' "$once6" | grep -v -e VMM- -e 'comment vmm')" "$before6" \
	"Docker's ip6tables rules unchanged"
assert_contains "$once6" ":FORWARD DROP" "ip6 FORWARD policy untouched"
nsx "$HOST" ip6tables-legacy -C VMM-FORWARD -s fd00:1234:5678:9abc::/64 -i br0 \
	-m comment --comment "vmm br0" -j ACCEPT || fail "ip6 -C accept out"
nsx "$HOST" ip6tables-legacy -t nat -C VMM-POSTROUTING -s fd00:1234:5678:9abc::/64 ! -o br0 \
	-m comment --comment "vmm br0" -j MASQUERADE || fail "ip6 -C masquerade"
nsx "$HOST" ip6tables-legacy -t nat -C VMM-OUTPUT ! -d ::1 -p udp -m udp --dport 5353 -m addrtype \
	--dst-type LOCAL -m comment --comment "vmm br0 web" \
	-j DNAT --to-destination "[fd00:1234:5678:9abc:5054:ff:fe00:10]:53" ||
	fail "ip6 -C dnat output"
# again, and after ip6tables' own save/restore round trip: nothing to change
out=$(nsx "$HOST" "$VMM" net status) || fail "net status"
assert_not_contains "$out" "missing" "net status after net up with ipv6"
nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "net up again: $(cat "$T/err")"
assert_eq "$(save6 "$HOST")" "$once6" "ip6 tables after net up x2"
nsx "$HOST" ip6tables-legacy-save | nsx "$HOST" ip6tables-legacy-restore || fail "ip6 restore"
out=$(nsx "$HOST" "$VMM" net status) || fail "net status"
assert_not_contains "$out" "missing" "entries rebuilt by ip6tables-restore are what vmm wants"
# net down: exactly vmm's rules of both families go
nsx "$HOST" "$VMM" net down 2>"$T/err" || fail "net down with ipv6: $(cat "$T/err")"
assert_eq "$(save6 "$HOST")" "$before6" "ip6 tables after net down"
assert_eq "$(save "$HOST")" "$before4" "ip tables after net down"
echo "firewall: ok"
