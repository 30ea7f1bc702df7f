#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/rootless.sh [VMM] [RUNS]: the guests' network without root against root's host bridge.
# The tutorial's picture in throwaway namespaces (a host with an uplink, a LAN peer): root runs
# vmm in the host namespace (bridge, taps, nftables there), an ordinary user made here runs it in
# its own home (its own namespace, pasta for the uplink and the forwards). Two figures, each side
# run in turn (the order alternating): `vmm start --wait=ping` of the tiny guest (network already
# up; the guest stopped after each run), and a forward's throughput: the LAN fetching a 32 MiB
# file from the guest's httpd through the host's forwarded port. min/median/max of RUNS runs
# (default 7) and the ratio of the medians.
set -u
VMM=$(realpath "${1:-${VMM:-build/vmm}}")
RUNS=${2:-7}
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
IMG="$SRCDIR/images"
. "$SRCDIR/bench/lib.sh"
[ "$(id -u)" = 0 ] || { echo "bench/rootless.sh: needs root (namespaces, a user)" >&2; exit 77; }
for c in pasta curl useradd setpriv qemu-system-x86_64; do
	command -v $c >/dev/null || { echo "bench/rootless.sh: needs $c" >&2; exit 77; }
done
[ -f "$IMG/vmm-guest.kernel" ] || "$SRCDIR/contrib/build-guest.sh" "$IMG" >&2 || exit 1

T=$(mktemp -d /tmp/vmm-bench-rootless.XXXXXX)
chmod 0711 "$T"
H=vmmbh-$$-$RANDOM L=vmmbl-$$-$RANDOM U=vmmb$$
cleanup() {
	local p
	for p in $(ps -o pid= -u "$U" 2>/dev/null) $(cat "$T"/root/run/*/pid 2>/dev/null); do
		kill -9 "$p" 2>/dev/null
	done
	sleep 0.3
	userdel "$U" 2>/dev/null
	for n in "$H" "$L"; do
		for p in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$n" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$H" && ip netns add "$L" || exit 1
ip -n "$H" link set lo up && ip -n "$L" link set lo up
ip link add uplink netns "$H" type veth peer name lan0 netns "$L"
ip -n "$H" addr add 192.168.1.184/24 dev uplink && ip -n "$H" link set uplink up
ip -n "$H" route add default via 192.168.1.191
ip netns exec "$H" sh -c 'echo 0 >/proc/sys/net/ipv4/ip_forward'
ip -n "$L" addr add 192.168.1.191/24 dev lan0 && ip -n "$L" link set lan0 up
useradd -M -d "$T/user" -s /usr/sbin/nologin -U "$U" >/dev/null || exit 1
mkdir -m 0700 "$T/user" "$T/urun" && chown "$U:$U" "$T/user" "$T/urun"

# r ARGS: vmm as root in the host namespace (its own home); u ARGS: as the user, in its home
r() { VMM_HOME=$T/root ip netns exec "$H" "$VMM" "$@"; }
u() {
	ip netns exec "$H" setpriv --reuid "$U" --regid "$U" --init-groups env -i PATH="$PATH" \
		HOME="$T/user" XDG_RUNTIME_DIR="$T/urun" "$VMM" "$@"
}
bench_machine
guest() { # SIDE NAME PORT
	"$1" create "$2" --size 64M --ram 256 --ip 192.168.166.100/24 --vnc none \
		--kernel "$IMG/vmm-guest.kernel" --initrd "$IMG/vmm-guest.initrd" \
		--append console=ttyS0 --forward "$3:80" >/dev/null 2>&1 ||
		{ echo "bench/rootless.sh: create on $1's side failed" >&2; exit 1; }
}
guest r g 8080
guest u g 8081
r net up >/dev/null 2>&1 && u net up >/dev/null 2>&1 || { echo "net up failed" >&2; exit 1; }

# ---- vmm start --wait=ping, the network up ----
for i in $(seq "$RUNS"); do
	order="r u"
	[ $((i % 2)) = 0 ] && order="u r"
	for s in $order; do
		t0=$(now_us)
		"$s" start g --wait=ping:120 >/dev/null 2>"$T/err" || { cat "$T/err" >&2; exit 1; }
		echo $(($(now_us) - t0)) >>"$T/start.$s"
		"$s" stop g --force >/dev/null 2>&1
	done
done
echo "vmm start --wait=ping (tiny guest, network up), $RUNS runs each, interleaved:"
printf '  %-22s %s\n' "root, host bridge" "$(stats s 1000000 <"$T/start.r")"
printf '  %-22s %s\n' "user, own namespace" "$(stats s 1000000 <"$T/start.u")"
awk -v a="$(median <"$T/start.u")" -v b="$(median <"$T/start.r")" \
	'BEGIN { printf "  without root / root: %.2fx (medians)\n", a / b }'

# ---- a forward's throughput: the LAN fetches 32 MiB from the guest's httpd ----
for s in r u; do
	"$s" start g --wait=ping:120 >/dev/null 2>&1 || { echo "start on $s's side failed" >&2; exit 1; }
	printf '%s\n' 'mkdir -p /www && dd if=/dev/zero of=/www/big bs=1M count=32 2>/dev/null' \
		'httpd -p 80 -h /www; echo "httpd=$?"' | "$s" console g --timeout 5 >"$T/con.$s"
	grep -q 'httpd=0' "$T/con.$s" || { echo "httpd on $s's side: $(cat "$T/con.$s")" >&2; exit 1; }
done
fetch() { # PORT: MiB/s of one fetch from the LAN
	ip netns exec "$L" curl -s -o /dev/null -m 120 -w '%{speed_download}\n' \
		"http://192.168.1.184:$1/big" | awk '{ printf "%.1f\n", $1 / 1048576 }'
}
for i in $(seq "$RUNS"); do
	order="r u"
	[ $((i % 2)) = 0 ] && order="u r"
	for s in $order; do
		[ "$s" = r ] && fetch 8080 >>"$T/tp.r" || true
		[ "$s" = u ] && fetch 8081 >>"$T/tp.u" || true
	done
done
echo "a forward's throughput (32 MiB over HTTP from the LAN to the guest), $RUNS runs each:"
printf '  %-22s %s\n' "root, DNAT on the host" "$(stats MiB/s <"$T/tp.r")"
printf '  %-22s %s\n' "user, pasta + DNAT" "$(stats MiB/s <"$T/tp.u")"
awk -v a="$(median <"$T/tp.u")" -v b="$(median <"$T/tp.r")" \
	'BEGIN { printf "  without root / root: %.2fx (medians)\n", a / b }'
r stop g --force >/dev/null 2>&1
u stop g --force >/dev/null 2>&1
u net down >/dev/null 2>&1
r net down >/dev/null 2>&1
exit 0
