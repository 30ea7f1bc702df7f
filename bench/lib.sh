# SPDX-License-Identifier: MIT
# bench/lib.sh: sourced by every benchmark: the machine line, statistics (min/median/max, with a
# flag when the runs fall into two groups), timing in microseconds, the targets' verdict lines,
# and for the scripts that run in one throwaway namespace $NS with scratch dir $T (start.sh,
# libvirt.sh): its set-up and removal.

# bench_machine: one line: CPU model, cores, kernel, and whether QEMU gets KVM or runs TCG.
bench_machine() {
	local cpu cores accel
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	cores=$(nproc)
	# as vmm decides (src/backend/qemu.c): VMM_ACCEL, else /dev/kvm usable and vmx/svm in the CPU
	case "${VMM_ACCEL:-}" in
	kvm) accel="KVM (VMM_ACCEL=kvm)" ;;
	tcg) accel="TCG (VMM_ACCEL=tcg)" ;;
	*)
		if [ -r /dev/kvm ] && [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then
			accel=KVM
		else
			accel="TCG (no usable KVM)"
		fi ;;
	esac
	echo "machine: ${cpu:-unknown CPU}, $cores cores available, Linux $(uname -r), QEMU accel: $accel"
}
# now_us: the time in microseconds.
now_us() { echo "${EPOCHREALTIME/./}"; }
# ms: the time in milliseconds (whole).
ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }
# median: of the numbers on stdin, one a line.
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
# stats UNIT [DIV]: for the numbers on stdin (one a line, divided by DIV, default 1), prints
# "min A / median B / max C UNIT (n=N)", and ", BIMODAL: n1 runs near X, n2 near Y" when the
# sorted runs split at one gap wider than the spread of both sides together, with at least
# two runs (and a fifth of them) on each side.
stats() {
	sort -n | awk -v u="$1" -v d="${2:-1}" '
	{ v[NR] = $1 / d }
	END {
		n = NR
		if (n == 0) { print "no runs"; exit }
		med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
		printf "min %.1f / median %.1f / max %.1f %s (n=%d)", v[1], med, v[n], u, n
		best = 0; k = 0
		for (i = 2; i <= n; i++) if (v[i] - v[i - 1] > best) { best = v[i] - v[i - 1]; k = i }
		side = (n / 5 > 2) ? n / 5 : 2
		if (k && k - 1 >= side && n - k + 1 >= side && best > (v[k - 1] - v[1]) + (v[n] - v[k])) {
			printf ", BIMODAL: %d runs near %.1f, %d near %.1f %s", k - 1, v[int(k / 2)], n - k + 1, v[int((k + n) / 2)], u
		}
		printf "\n"
	}'
}

# target WHAT RATIO LIMIT [UNIT]: the verdict on one of the targets make bench checks, one line
# "target: WHAT: RATIO (at most LIMIT): met" or "... MISSED" (bench/run.sh counts them). UNIT
# (default "x") follows both numbers: a ratio, or "ms" for an absolute target.
target() {
	awk -v w="$1" -v r="$2" -v l="$3" -v u="${4:-x}" 'BEGIN {
		printf "  target: %s: %.2f%s (at most %.2f%s): %s\n", w, r, u, l, u, (r + 0 <= l + 0) ? "met" : "MISSED"
	}'
}
# median_of FILE [DIV]: the median of the numbers in FILE (one a line), divided by DIV.
median_of() { median <"$1" | awk -v d="${2:-1}" '{ print $1 / d }'; }
# spawntime: the path of the timing helper (bench/spawntime.c) built by `make bench` next to vmm.
spawntime() { echo "$(dirname "$VMM")/spawntime"; }

# hand_argv LINE RUNDIR HANDDIR: the QEMU command line `vmm --dry-run start` printed (LINE; it
# names the tap, which QEMU then opens itself) as a person runs it by hand, in the array argv:
# its run dir RUNDIR moved to HANDDIR, -pidfile HANDDIR/pid, and -daemonize, which returns once
# QEMU is initialised (its QMP socket then answers), as vmm start returns after its QMP handshake. -daemonize forks
# and starts a session, which the sandbox's spawn=deny and elevateprivileges=deny refuse (QEMU
# then exits 1 without a word): typed by hand, the sandbox goes without those two.
hand_argv() {
	local line=${1//"$2"/$3} i
	eval "argv=($line)"
	for i in "${!argv[@]}"; do
		if [ "${argv[$i]}" = -sandbox ]; then
			argv[i + 1]=${argv[i + 1]//,spawn=deny/}
			argv[i + 1]=${argv[i + 1]//,elevateprivileges=deny/}
		fi
	done
	argv+=(-pidfile "$3/pid" -daemonize) # (the pid for the teardown: vmm writes its own)
}

# bench_ns_gone: kill what runs in $NS, delete it and $T (the end of each script's cleanup).
bench_ns_gone() {
	local p
	for p in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	rm -rf "$T"
}
# bench_ns_up: the script's cleanup on exit (exit 130 on a signal), then $NS with lo up.
bench_ns_up() {
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	ip netns add "$NS" || exit 1
	# IPv4 forwarding off, whatever the default namespace has (a new one copies its IPv4 settings)
	ip netns exec "$NS" sh -c 'echo 0 >/proc/sys/net/ipv4/ip_forward'
	ip -n "$NS" link set lo up
}
# v ARGS...: vmm inside $NS.
v() { ip netns exec "$NS" "$VMM" "$@"; }
