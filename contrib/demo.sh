#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# contrib/demo.sh VMM: the tutorial, narrated, with vmm doing each step: a bridge with NAT, two
# guests that reach each other, the bridge, the LAN (seen as the host's uplink address) and a LAN
# DNS name. Runs inside network namespaces it creates and removes; the default one is untouched.
set -u
VMM=$(realpath "${1:-build/vmm}")
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
IMG=$SRCDIR/images
[ "$(id -u)" = 0 ] || { echo "demo: needs root (it creates network namespaces)" >&2; exit 1; }
for c in ip qemu-system-x86_64 qemu-img dnsmasq iptables-legacy; do
	command -v $c >/dev/null || { echo "demo: needs $c (try: make deps)" >&2; exit 1; }
done

if [ -t 1 ]; then B=$'\033[1m' D=$'\033[2m' G=$'\033[32m' N=$'\033[0m'; else B= D= G= N=; fi
T=$(mktemp -d /tmp/vmm-demo.XXXXXX)
export VMM_HOME=$T/home
HOST=vmmdemo-host-$$
LAN=vmmdemo-lan-$$
DNSMASQ=
cleanup() {
	local p
	for p in $(cat "$VMM_HOME"/run/*/pid 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	[ -n "$DNSMASQ" ] && kill "$DNSMASQ" 2>/dev/null
	for n in "$HOST" "$LAN"; do
		for p in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$n" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
t_start=$SECONDS

say() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
tell() { printf '%s%s%s\n' "$D" "$*" "$N"; }
# host CMD...: show and run a command on the demo's "host" (its namespace)
host() { printf '%shost#%s %s\n' "$G" "$N" "$*"; ip netns exec "$HOST" "$@"; }
lan() { printf '%slan#%s %s\n' "$G" "$N" "$*"; ip netns exec "$LAN" "$@"; }
die() { echo "demo: $*" >&2; exit 1; }
# on_guest NAME LINE...: type lines on a guest's serial console and show what it answers
on_guest() {
	local g=$1; shift
	printf '%shost#%s vmm console %s   %s(typing: %s)%s\n' "$G" "$N" "$g" "$D" "$(printf '%s; ' "$@")" "$N"
	printf '%s\n' "$@" | ip netns exec "$HOST" "$VMM" console "$g" --timeout 4 |
		tr -d '\r' | sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e '/^\s*$/d' -e '/^\/ # *$/d' -e 's/^/    | /'
}

say "0. The test guest"
if [ ! -s "$IMG/vmm-guest.kernel" ] || [ ! -s "$IMG/vmm-guest.initrd" ]; then
	tell "No Ubuntu ISO can be downloaded here, so the guests run a tiny Debian-kernel + busybox"
	tell "guest built from Debian packages (make guest). Building it now..."
	"$SRCDIR/contrib/build-guest.sh" "$IMG" || die "building the guest failed"
fi
tell "kernel $IMG/vmm-guest.kernel, initramfs $IMG/vmm-guest.initrd: its init reads the"
tell "cloud-init NoCloud seed vmm writes (address, route, DNS) and gives a shell on the serial port."

say "1. The picture: a host with an uplink, and a LAN"
tell "Two network namespaces play the tutorial's machines: \"host\" ($HOST) runs vmm and has"
tell "its physical NIC 'uplink' 192.168.1.184/24; \"lan\" ($LAN) is 192.168.1.191 and runs dnsmasq"
tell "answering test.lan. Nothing here touches this machine's own network."
ip netns add "$HOST" && ip netns add "$LAN" || die "ip netns add"
ip -n "$HOST" link set lo up; ip -n "$LAN" link set lo up
ip link add uplink netns "$HOST" type veth peer name lan0 netns "$LAN" || die "veth"
ip -n "$HOST" addr add 192.168.1.184/24 dev uplink; ip -n "$HOST" link set uplink up
ip -n "$HOST" route add default via 192.168.1.191
ip -n "$LAN" addr add 192.168.1.191/24 dev lan0; ip -n "$LAN" link set lan0 up
# the LAN counts the echo requests it gets, by source address
ip netns exec "$LAN" iptables-legacy -A INPUT -p icmp --icmp-type echo-request -s 192.168.1.184
ip netns exec "$LAN" iptables-legacy -A INPUT -p icmp --icmp-type echo-request -s 192.168.166.0/24
ip netns exec "$LAN" dnsmasq --no-daemon --no-resolv --no-hosts --conf-file=/dev/null --pid-file= \
	--log-queries --address=/test.lan/192.168.1.191 --listen-address=192.168.1.191 \
	--bind-interfaces >"$T/dnsmasq.log" 2>&1 &
DNSMASQ=$!
host ip -br addr show uplink

say "2. vmm net up: bridge br0 192.168.166.1/24, forwarding, NAT out of the uplink"
mkdir -p "$VMM_HOME/profiles"
cat >"$VMM_HOME/profiles/net.cfg" <<'EOF'
bridge = "br0";
address = "192.168.166.1/24";
uplink = "auto";
nat = true;
dns = [ "192.168.1.191" ];   # the LAN's DNS server ("auto" would take the host's resolvers)
EOF
tell "net.cfg (in the demo's home $VMM_HOME):"
sed 's/^/    /' "$VMM_HOME/profiles/net.cfg"
host "$VMM" net up || die "vmm net up failed"
host ip -br addr show br0
host iptables-legacy -t nat -S POSTROUTING

say "3. Two guests: ubuntu (192.168.166.100) and ubuntu2 (192.168.166.101)"
for g in ubuntu:100:19 ubuntu2:101:29; do
	IFS=: read -r name octet display <<<"$g"
	host "$VMM" create "$name" --size 1G --ram 256 --ip "192.168.166.$octet/24" --vnc ":$display" \
		--kernel "$IMG/vmm-guest.kernel" --initrd "$IMG/vmm-guest.initrd" \
		--append console=ttyS0 || die "vmm create failed"
done
tell "Each got a MAC derived from its name, a VNC display and a tap; its seed ISO carries"
tell "the address, the default route via 192.168.166.1 and the DNS server."

say "4. Start them (QEMU with an argv, never a shell; --wait returns once the guest answers ping)"
host "$VMM" --dry-run start ubuntu | fold -s -w 100 | sed '2,$s/^/      /'
host "$VMM" start ubuntu --wait=ping || die "vmm start ubuntu failed"
host "$VMM" start ubuntu2 --wait=ping || die "vmm start ubuntu2 failed"

say "5. From the guests themselves"
tell "ubuntu pings ubuntu2, the bridge, and the LAN host 192.168.1.191 through NAT:"
on_guest ubuntu 'ip -4 addr show dev eth0' \
	'ping -c2 -W3 192.168.166.101' 'ping -c2 -W3 192.168.166.1' 'ping -c3 -W3 192.168.1.191'
tell "ubuntu2 pings ubuntu back:"
on_guest ubuntu2 'ping -c2 -W3 192.168.166.100'
tell "The LAN saw those echo requests coming from the host's uplink address, never from 192.168.166.x:"
lan iptables-legacy -L INPUT -n -v -x |
	awk 'NR > 2 { for (i = 2; i <= NF; i++) if ($i ~ /^192\.168\./) { printf "    %s echo requests from %s\n", $1, $i; break } }'

say "6. DNS from the seed"
on_guest ubuntu 'cat /etc/resolv.conf' 'nslookup -type=a test.lan'
tell "dnsmasq in the LAN logged the query (from 192.168.1.184, the NAT address):"
grep -m2 'test.lan' "$T/dnsmasq.log" | sed 's/^/    /'

say "7. vmm list"
host "$VMM" list

say "7b. The guest's screen, over VNC (display :19, like the tutorial's), in this terminal"
host "$VMM" vnc ubuntu --width 100 || tell "(vmm vnc failed)"

say "8. Stop everything and clean up"
host "$VMM" stop ubuntu --timeout 5
host "$VMM" stop ubuntu2 --timeout 5
host "$VMM" net down
tell "Removing the namespaces; the default namespace was never touched."
printf '\n%sDemo finished in %d s.%s\n' "$B" $((SECONDS - t_start)) "$N"
