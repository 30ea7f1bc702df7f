#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/net-services.sh [VMM] [RUNS]: `vmm net up` of a bridge with its services (dnsmasq: DHCP
# with a reservation and a pool, names; IPv6: ::1, router advertisements, NAT66) against
# libvirt's `virsh net-start` of the same network (NAT, DHCP range and host, IPv6 /64), both in
# one throwaway network namespace with a private libvirtd. Interleaved; each run is followed by
# an untimed `vmm net down` / `virsh net-destroy`. Prints every run, min/median/max and the ratio
# of the medians.
set -u
VMM=$(realpath "${1:-${VMM:-build/vmm}}")
RUNS=${2:-15}
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
. "$SRCDIR/bench/lib.sh"
[ "$(id -u)" = 0 ] ||
	{ echo "bench/net-services.sh: needs root (namespaces, libvirtd)" >&2; exit 77; }
for c in libvirtd virsh dnsmasq; do
	command -v $c >/dev/null || { echo "bench/net-services.sh: needs $c" >&2; exit 77; }
done

T=$(mktemp -d /tmp/vmm-bench-services.XXXXXX)
NS=vmmbench-$$-$RANDOM
cleanup() {
	v net down --force >/dev/null 2>&1
	ip netns exec "$NS" "$SRCDIR/contrib/libvirtd-ns.sh" stop "$T/lvd" 2>/dev/null
	bench_ns_gone
}
bench_ns_up
# an uplink with a default route, as on a host (the NAT rules name the way out)
ip -n "$NS" link add uplink type veth peer name upeer && ip -n "$NS" link set upeer up &&
	ip -n "$NS" addr add 192.168.1.184/24 dev uplink &&
	ip -n "$NS" link set uplink up && ip -n "$NS" route add default via 192.168.1.1 || exit 1
URI=$(ip netns exec "$NS" "$SRCDIR/contrib/libvirtd-ns.sh" start "$T/lvd") || exit 1
export VMM_HOME="$T/home"
mkdir -p "$VMM_HOME/profiles"
cat >"$VMM_HOME/profiles/net.cfg" <<'CFG'
bridge = "br0";
address = "192.168.166.1/24";
uplink = "auto";
nat = true;
dns = [ "192.168.1.1" ];
dhcp_pool = "192.168.166.200-192.168.166.250";
ipv6 = "fd12:3456:789a:1::/64";
CFG
v create web --size 64M --mac 52:54:00:00:00:10 --ip 192.168.166.50/24 --vnc none \
	>/dev/null 2>&1 || exit 1
cat >"$T/net.xml" <<'XML'
<network>
  <name>bench</name>
  <forward mode='nat'/>
  <bridge name='virbr9' stp='off' delay='0'/>
  <domain name='vmm'/>
  <ip address='192.168.167.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.167.200' end='192.168.167.250'/>
      <host mac='52:54:00:00:00:10' name='web' ip='192.168.167.50'/>
    </dhcp>
  </ip>
  <ip family='ipv6' address='fd12:3456:789a:2::1' prefix='64'/>
</network>
XML
vs() { ip netns exec "$NS" virsh -q -c "$URI" "$@" >/dev/null 2>&1; }
vs net-define "$T/net.xml" || { echo "bench/net-services.sh: virsh net-define failed" >&2; exit 1; }
# warm up both (page cache, libvirtd's first network)
v net up >/dev/null 2>&1 || { echo "bench/net-services.sh: vmm net up failed" >&2; exit 1; }
v net down >/dev/null 2>&1
vs net-start bench || { echo "bench/net-services.sh: virsh net-start failed" >&2; exit 1; }
vs net-destroy bench

for i in $(seq 1 "$RUNS"); do
	t0=$(ms); v net up >/dev/null 2>&1 || exit 1; t1=$(ms)
	echo $((t1 - t0)) >>"$T/vmm.ms"
	v net down >/dev/null 2>&1 || exit 1
	t0=$(ms); vs net-start bench || exit 1; t1=$(ms)
	echo $((t1 - t0)) >>"$T/virsh.ms"
	vs net-destroy bench || exit 1
done
bench_machine
echo "net up with DHCP, names and IPv6, $RUNS runs of each, interleaved (vmm, virsh, vmm, ...):"
echo "  vmm runs (ms):   $(tr '\n' ' ' <"$T/vmm.ms")"
echo "  virsh runs (ms): $(tr '\n' ' ' <"$T/virsh.ms")"
printf '  %-16s %s\n' "vmm net up" "$(stats ms <"$T/vmm.ms")"
printf '  %-16s %s\n' "virsh net-start" "$(stats ms <"$T/virsh.ms")"
a=$(median <"$T/vmm.ms") b=$(median <"$T/virsh.ms")
awk -v a="$a" -v b="$b" 'BEGIN { printf "  ratio vmm/virsh (medians) %.2f\n", a / b }'
