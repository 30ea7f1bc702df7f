# SPDX-License-Identifier: MIT
# Many guests in one home, one of them broken: 8 real `vmm start` at once with the network down
# (one brings it up, the broken profile is skipped with one line, no collision), every QEMU runs
# as a uid of its own (the group of the unprivileged account vmm) under seccomp with its own tap
# on br0, then all stop.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd iptables-legacy
need_guest
tutorial_topology
e2e_net_cfg
vmm_in_ns "$HOST"
for i in 1 2 3 4 5 6 7 8; do guest_create "f$i" "192.168.166.$((130 + i))" --vnc none --ram 128; done
printf 'memory = 128;\nvnc = { display = 3; };\nnet = { address = "192.168.166.200/24" ; ;\n' \
	>"$VMM_HOME/profiles/broken.cfg"
pids=()
for i in 1 2 3 4 5 6 7 8; do "$VMM" start "f$i" >"$T/s$i.out" 2>&1 & pids+=($!); done
for i in 1 2 3 4 5 6 7 8; do wait "${pids[$((i - 1))]}" || fail "start f$i: $(cat "$T/s$i.out")"; done
notes=$(cat "$T"/s*.out)
assert_eq "$(grep -c 'network br0 was down, bringing it up' <<<"$notes")" 1 "network brought up once"
assert_eq "$(grep -c "net up: skipped broken: $VMM_HOME/profiles/broken.cfg:3: syntax error" <<<"$notes")" 1 \
	"the broken profile skipped with one line"
qpids=() quids=()
for i in 1 2 3 4 5 6 7 8; do
	pid=$(cat "$VMM_HOME/run/f$i/pid") || fail "no pid for f$i"
	qpids+=("$pid")
	assert_eq "$(cat "/proc/$pid/comm")" "vmm-f$i" "QEMU of f$i"
	quids+=("$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")")
	assert_eq "$(awk '/^Gid:/ {print $2}' "/proc/$pid/status")" "$(id -g vmm)" "QEMU of f$i: vmm's group"
	assert_eq "$(awk '/^Seccomp:/ {print $2}' "/proc/$pid/status")" 2 "QEMU of f$i under seccomp"
	assert_contains "$(nsx "$HOST" ip -d link show "vmm-f$i")" "master br0"
done
assert_eq "$(printf '%s\n' "${qpids[@]}" | sort -u | wc -l)" 8 "eight QEMUs"
assert_eq "$(printf '%s\n' "${quids[@]}" | grep -vx 0 | sort -u | wc -l)" 8 "eight uids, none root's"
# the user QEMU runs as: a system user without a shell or a home (vmm made it with useradd
# --system on the first start that needed it)
IFS=: read -r _ _ uid _ _ home shell < <(getent passwd vmm)
[ "$uid" -lt 1000 ] || fail "vmm's uid $uid is not a system uid"
assert_eq "$home $shell" "/nonexistent /usr/sbin/nologin" "vmm user: no home, no shell"
[ -e /nonexistent ] && fail "a home was made for vmm"
run_vmm 0 list
assert_eq "$(grep -c ' running ' <<<"$OUT")" 8 "eight running"
assert_contains "$OUT" "broken           invalid  $VMM_HOME/profiles/broken.cfg:3: syntax error"
pids=()
for i in 1 2 3 4 5 6 7 8; do "$VMM" stop "f$i" --force >"$T/t$i.out" 2>&1 & pids+=($!); done
for i in 1 2 3 4 5 6 7 8; do wait "${pids[$((i - 1))]}" || fail "stop f$i: $(cat "$T/t$i.out")"; done
for p in "${qpids[@]}"; do alive "$p" && fail "QEMU $p still runs"; done
run_vmm 0 net down
echo ok
