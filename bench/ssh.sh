#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/ssh.sh [VMM] [RUNS]: boot to SSH-ready with the real Debian 12 test guest
# (contrib/build-debian-guest.sh): `vmm start --wait=ssh` vs the same QEMU argv typed by hand (from
# --dry-run) plus a tight poll (every 100 ms) for the "SSH-" banner on port 22. Runs interleaved,
# after one untimed first boot (cloud-init's first-instance work is not measured). Inside a
# throwaway network namespace. Prints medians (ms) and the ratio (target <= 1.05x).
set -u
VMM=$(realpath "${1:-${VMM:-build/vmm}}")
RUNS=${2:-3}
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
DEB=${VMM_DEBIAN_GUEST:-/var/cache/vmm-test/debian12}
. "$SRCDIR/bench/lib.sh"
[ "$(id -u)" = 0 ] || { echo "bench/ssh.sh: needs root (namespaces, taps, debootstrap)" >&2; exit 77; }
command -v qemu-system-x86_64 >/dev/null || { echo "bench/ssh.sh: needs qemu-system-x86_64" >&2; exit 77; }
"$SRCDIR/contrib/build-debian-guest.sh" "$DEB" >&2 || exit 1

T=$(mktemp -d /tmp/vmm-bench-ssh.XXXXXX)
NS=vmmbench-$$-$RANDOM
cleanup() {
	for p in $(cat "$T"/home/run/*/pid "$T"/hand/pid 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	bench_ns_gone
}
bench_ns_up
export VMM_HOME="$T/home" HOME="$T/user"
mkdir -p "$HOME"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }
wait_gone() { for _ in $(seq 200); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.02; done; kill -9 "$1"; }
IP=192.168.166.100
# banner: does IP:22 send "SSH-" within a second? (bash's /dev/tcp, inside the namespace)
banner() {
	ip netns exec "$NS" timeout 1 bash -c "exec 3<>/dev/tcp/$IP/22 && head -c 4 <&3" 2>/dev/null |
		grep -q '^SSH-'
}

v create b1 --image "$DEB/debian-12-vmm.qcow2" --size 4G --ram 1024 --ip $IP/24 \
	--kernel "$DEB/debian-12-vmm.vmlinuz" --initrd "$DEB/debian-12-vmm.initrd" \
	--append "root=/dev/vda rw console=ttyS0" >/dev/null 2>&1 || { echo "create failed" >&2; exit 1; }
# the first boot (untimed): network up, host keys and seed made, cloud-init's first run
v start b1 --wait=ssh:600 >/dev/null 2>&1 || { echo "first boot failed" >&2; exit 1; }
v stop b1 >/dev/null 2>&1 || v stop b1 --force >/dev/null 2>&1

mkdir -p "$T/hand"
line=$(v --dry-run start b1) || exit 1
# as typed by hand (lib.sh): it returns once QEMU is initialised, then the banner is polled
hand_argv "$line" "$VMM_HOME/run/b1" "$T/hand"
hand_prep() {
	rm -rf "$T/hand"; mkdir -p "$T/hand"
	ip -n "$NS" tuntap add dev vmm-b1 mode tap 2>/dev/null
	ip -n "$NS" link set vmm-b1 master br0 up
}
hand_kill() { local p; p=$(cat "$T/hand/pid" 2>/dev/null) && kill "$p" 2>/dev/null && wait_gone "$p"; }

echo "== boot to the SSH banner, Debian 12 + cloud-init under $( [ "${VMM_ACCEL:-}" = kvm ] && echo KVM || echo TCG) ($RUNS runs each, interleaved)"
for i in $(seq "$RUNS"); do
	t0=$(ms); v start b1 --wait=ssh:600 >/dev/null 2>"$T/start.err" ||
		{ echo "start --wait=ssh failed: $(tail -1 "$T/start.err")" >&2; exit 1; }; t1=$(ms)
	echo $((t1 - t0)) >>"$T/vmm.ms"
	v stop b1 --force >/dev/null 2>&1
	hand_prep
	t0=$(ms); ip netns exec "$NS" "${argv[@]}" || exit 1
	until banner; do
		[ $(( $(ms) - t0 )) -gt 600000 ] && { echo "hand-typed guest never answered" >&2; exit 1; }
		sleep 0.1
	done
	t1=$(ms)
	echo $((t1 - t0)) >>"$T/hand.ms"
	hand_kill
	ip -n "$NS" link del vmm-b1 2>/dev/null
done
vm=$(median <"$T/vmm.ms"); hm=$(median <"$T/hand.ms")
printf '  vmm start --wait=ssh  %6s ms   (runs: %s)\n' "$vm" "$(tr '\n' ' ' <"$T/vmm.ms")"
printf '  QEMU by hand + poll   %6s ms   (runs: %s)  vmm/hand %s (target <= 1.05x)\n' "$hm" \
	"$(tr '\n' ' ' <"$T/hand.ms")" "$(ratio "$vm" "$hm")"
