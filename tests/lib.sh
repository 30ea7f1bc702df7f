# SPDX-License-Identifier: MIT
# tests/lib.sh: sourced by the script tests. Gives a temporary home, assertions and namespaces
# that are removed on exit (by name and PID), so the default namespace is never touched.
set -u
: "${VMM:?VMM must point at the vmm binary}" "${SRCDIR:?}"
T=$(mktemp -d /tmp/vmm-test.XXXXXX)
export VMM_HOME="$T/home"
mkdir -p "$VMM_HOME"
_ns_list=()
_pid_list=()
_cleanup_fns=()

_cleanup() {
	local rc=$?
	local f p n
	for f in "${_cleanup_fns[@]}"; do $f || true; done
	for p in "${_pid_list[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${_pid_list[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
		kill -9 "$p" 2>/dev/null
	done
	# QEMUs started by vmm in this home: pid files under run/
	for p in $(cat "$VMM_HOME"/run/*/pid 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	for n in "${_ns_list[@]}"; do
		for p in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$n" 2>/dev/null
	done
	rm -rf "$T"
	exit $rc
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

at_exit() { _cleanup_fns+=("$1"); }
track_pid() { _pid_list+=("$1"); }

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "skipped: $*" >&2; exit 77; }
need_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || skip "needs $1"; }

# run_vmm EXPECTED_RC ARGS...: runs vmm, stores stdout in $OUT and stderr in $ERR.
run_vmm() {
	local want=$1; shift
	OUT=$("$VMM" "$@" 2>"$T/stderr"); RC=$?
	ERR=$(cat "$T/stderr")
	[ "$RC" = "$want" ] || fail "vmm $*: exit $RC, wanted $want; stderr: $ERR; stdout: $OUT"
}
assert_eq() { [ "$1" = "$2" ] || fail "${3:-values differ}: got [$1], wanted [$2]"; }
assert_contains() { case "$1" in *"$2"*) ;; *) fail "${3:-missing text}: [$2] not in [$1]";; esac; }
assert_not_contains() { case "$1" in *"$2"*) fail "${3:-unexpected text}: [$2] in [$1]";; esac; }
assert_file() { [ -e "$1" ] || fail "missing file $1"; }
assert_no_file() { [ ! -e "$1" ] || fail "file should not exist: $1"; }
# Snapshot of a folder (names and checksums; lock files excluded) to prove nothing changed.
tree_sum() { (cd "$1" && find . -type f ! -name .lock -print0 | sort -z | xargs -0r sha256sum) ; }

# new_ns BASE: create a namespace with a random suffix, lo up; prints its name.
new_ns() {
	local n="$1-$$-$RANDOM"
	ip netns add "$n" || fail "ip netns add $n"
	_ns_list+=("$n")
	ip -n "$n" link set lo up
	echo "$n"
}
# Since new_ns runs in a subshell when used as $(new_ns x), register the name again here.
ns_track() { _ns_list+=("$1"); }
nsx() { local n=$1; shift; ip netns exec "$n" "$@"; }

# tutorial_topology: namespaces HOST (runs vmm; veth "uplink" 192.168.1.184/24, default route via
# 192.168.1.191) and LAN (192.168.1.191/24). Sets $HOST and $LAN.
tutorial_topology() {
	HOST=$(new_ns vmmhost); ns_track "$HOST"
	LAN=$(new_ns vmmlan); ns_track "$LAN"
	ip link add uplink netns "$HOST" type veth peer name lan0 netns "$LAN" || fail "veth"
	ip -n "$HOST" addr add 192.168.1.184/24 dev uplink
	ip -n "$HOST" link set uplink up
	ip -n "$HOST" route add default via 192.168.1.191
	ip -n "$LAN" addr add 192.168.1.191/24 dev lan0
	ip -n "$LAN" link set lan0 up
}
