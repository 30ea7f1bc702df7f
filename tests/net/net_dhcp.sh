#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# net_dhcp.sh: the bridge's own services. `vmm net up` runs dnsmasq on the bridge: a guest
# stand-in with a profile's MAC gets the profile's address by DHCP, an unknown MAC one from the
# pool; names resolve (also of guests without a lease) and follow create/set/delete at once
# (SIGHUP: same dnsmasq, leases kept); IPv6: the bridge's ::1, router advertisements, a SLAAC
# address equal to the one vmm derives from the MAC; the host resolves NAME.vmm through
# libnss_vmm.so.2; a killed dnsmasq is back after `net up`; `net down` leaves the namespace as it
# was (accept_ra and IPv6 forwarding included) and no dnsmasq.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd dnsmasq
need_cmd busybox
tutorial_topology
guest_standin
# a second stand-in, with a MAC no profile has
G2=$(new_ns vmmguest2); ns_track "$G2"
ip link add vg1 netns "$HOST" type veth peer name eth0 netns "$G2" || fail "veth vg1"
# the host's new links (bridge, taps) get link-local addresses, as on a real host: router
# advertisements need one; the uplink takes router advertisements (accept_ra 1, as a SLAAC host)
nsx "$HOST" sh -c 'echo 0 >/proc/sys/net/ipv6/conf/default/addr_gen_mode;
	echo 1 >/proc/sys/net/ipv6/conf/uplink/accept_ra'
for g in "$GUEST" "$G2"; do
	ip -n "$g" addr flush dev eth0
	ip -n "$g" route flush dev eth0 2>/dev/null
	ip -n "$g" link set eth0 down
	nsx "$g" sh -c 'echo 0 >/proc/sys/net/ipv6/conf/eth0/addr_gen_mode;
		echo 1 >/proc/sys/net/ipv6/conf/eth0/accept_ra'
done
ip -n "$GUEST" link set eth0 address 52:54:00:00:00:10
ip -n "$G2" link set eth0 address 52:54:00:aa:bb:cc
mkdir -p "$VMM_HOME/profiles"
cat >"$VMM_HOME/profiles/net.cfg" <<'CFG'
bridge = "br0";
address = "192.168.166.1/24";
uplink = "auto";
nat = true;
dns = [ "192.168.1.191" ];
dhcp_pool = "192.168.166.200-192.168.166.209";
ipv6 = "fd12:3456:789a:1::/64";
CFG
"$VMM" create web --size 1G --mac 52:54:00:00:00:10 --ip 192.168.166.50/24 >/dev/null ||
	fail "create web"
"$VMM" create db --size 1G --mac 52:54:00:00:00:11 --ip 192.168.166.51/24 >/dev/null ||
	fail "create db"
for v in vg0 vg1; do # once up, a link keeps its qdisc: as it will be after the test
	nsx "$HOST" ip link set "$v" up && nsx "$HOST" ip link set "$v" down
done
before=$(net_snapshot "$HOST")

nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "net up: $(cat "$T/err")"
assert_contains "$(cat "$T/err")" "dnsmasq on br0 (pid "
assert_eq "$(stat -c '%a %U' "$(dnsmasq_pub)" "$(dnsmasq_pub)/names")" "755 root
644 root" "the hosts files: root's, readable by dnsmasq's user"
run=$VMM_HOME/run/dnsmasq-br0
read -r pid _ <"$run/vmm.pid" || fail "no vmm.pid"
assert_eq "$(cat /proc/"$pid"/comm)" dnsmasq "the recorded pid is dnsmasq"
assert_eq "$(ps -o user= -p "$pid")" nobody "dnsmasq dropped to nobody"
assert_contains "$(tr '\0' ' ' </proc/"$pid"/cmdline)" "--interface=br0"
assert_eq "$(nsx "$HOST" cat /proc/sys/net/ipv6/conf/uplink/accept_ra)" 2 \
	"the SLAAC uplink keeps its router advertisements while forwarding"
assert_eq "$(nsx "$HOST" cat /proc/sys/net/ipv6/conf/all/forwarding)" 1 "IPv6 forwarding"
assert_contains "$(nsx "$HOST" ip -o -6 addr show dev br0)" "fd12:3456:789a:1::1/64"

# DHCP: the reservation, then the pool (udhcpc's script sets what it got)
cat >"$T/udhcpc.sh" <<'SH'
#!/bin/sh
[ "$1" = bound ] || exit 0
ip -4 addr flush dev "$interface"
ip addr add "$ip/$mask" dev "$interface"
[ -n "$router" ] && ip route replace default via "$router"
echo "$ip $router $dns" >"$interface.lease"
SH
chmod +x "$T/udhcpc.sh"
dhcp() { # NS: prints "ADDRESS ROUTER DNS" of the lease it got
	ip -n "$1" link set eth0 up
	(cd "$T" && nsx "$1" busybox udhcpc -i eth0 -n -q -t 6 -T 1 -s "$T/udhcpc.sh" \
		>"$T/udhcpc-$1.log" 2>&1) || fail "no DHCP lease in $1: $(cat "$T/udhcpc-$1.log")"
	cat "$T/eth0.lease"
}
nsx "$HOST" ip link set vg0 master br0 up
nsx "$HOST" ip link set vg1 master br0 up
assert_eq "$(dhcp "$GUEST")" "192.168.166.50 192.168.166.1 192.168.166.1" \
	"the profile's address, the bridge as gateway and DNS"
got=$(dhcp "$G2")
case $got in
192.168.166.20[0-9]" 192.168.166.1 192.168.166.1") ;;
*) fail "an unknown MAC gets a pool address: got [$got]" ;;
esac
leases=$(nsx "$HOST" "$VMM" net status)
assert_contains "$leases" "dnsmasq: running (pid $pid)"
assert_contains "$leases" "lease 192.168.166.50 web 52:54:00:00:00:10"
assert_contains "$leases" "address fd12:3456:789a:1::1/64: present"

# names: db has no lease (its seed would configure it) and still resolves; AAAA from its MAC
lookup() { nsx "$GUEST" busybox nslookup -type="${2:-a}" "$1" 192.168.166.1 2>&1; }
assert_contains "$(lookup db.vmm)" "192.168.166.51"
assert_contains "$(lookup db.vmm aaaa)" "fd12:3456:789a:1:5054:ff:fe00:11"
assert_contains "$(lookup web.vmm)" "192.168.166.50"
# other names go to net.cfg's DNS (the LAN's dnsmasq)
lan_dns
assert_contains "$(lookup test.lan)" "192.168.1.191"

# create / set / delete reach dnsmasq at once, without a restart
"$VMM" create app --size 1G --ip 192.168.166.52/24 >/dev/null || fail "create app"
assert_contains "$(lookup app.vmm)" "192.168.166.52" "a new guest resolves at once"
"$VMM" set db address=192.168.166.61 >/dev/null || fail "set db"
assert_contains "$(lookup db.vmm)" "192.168.166.61" "a changed address resolves at once"
assert_contains "$(cat "$(dnsmasq_pub)/dhcp-hosts")" "52:54:00:00:00:11,192.168.166.61,db"
"$VMM" delete app >/dev/null || fail "delete app"
assert_not_contains "$(lookup app.vmm)" "192.168.166.52" "a deleted guest's name is gone"
read -r pid2 _ <"$run/vmm.pid"
assert_eq "$pid2" "$pid" "the same dnsmasq (SIGHUP, no restart)"
assert_contains "$(cat "$run/leases")" "52:54:00:00:00:10 192.168.166.50 web" "leases kept"

# IPv6: SLAAC from the router advertisement, the address vmm derives from the MAC
nsx "$GUEST" ip link set eth0 down
nsx "$GUEST" ip link set eth0 up # a router solicitation: answered at once
want6=fd12:3456:789a:1:5054:ff:fe00:10
for _ in $(seq 50); do # (until duplicate address detection is done: no longer tentative)
	nsx "$GUEST" ip -o -6 addr show dev eth0 | grep "$want6/64" | grep -vq tentative && break
	sleep 0.2
done
assert_contains "$(nsx "$GUEST" ip -o -6 addr show dev eth0)" "$want6/64" "SLAAC address"
nsx "$GUEST" ping -6 -c1 -W2 fd12:3456:789a:1::1 >/dev/null ||
	fail "guest cannot ping the bridge's ::1"

# the host resolves NAME.vmm through the NSS module: a mount namespace whose /etc (an overlay)
# has nsswitch.conf with `vmm` and root's profiles (/etc/vmm) from this home
[ -f "$BUILD/libnss_vmm.so.2" ] || fail "no $BUILD/libnss_vmm.so.2 (make builds it)"
mkdir -p "$T/etc/upper/vmm" "$T/etc/work"
cp "$VMM_HOME/profiles/"*.cfg "$T/etc/upper/vmm/"
sed -E 's/^hosts:.*/hosts: files vmm/' /etc/nsswitch.conf >"$T/etc/upper/nsswitch.conf"
grep -q '^hosts: files vmm' "$T/etc/upper/nsswitch.conf" ||
	echo 'hosts: files vmm' >>"$T/etc/upper/nsswitch.conf"
chmod 0755 "$T/etc/upper/vmm"
nss() {
	unshare -m sh -c 'o="lowerdir=/etc,upperdir=$1/upper,workdir=$1/work"
		mount -t overlay overlay -o "$o" /etc && shift && LD_LIBRARY_PATH=$0 getent "$@"' \
		"$BUILD" "$T/etc" "$@"
}
assert_eq "$(nss ahostsv4 web.vmm | awk 'NR==1{print $1}')" 192.168.166.50 "getent: web.vmm"
assert_eq "$(nss ahostsv6 db.vmm | awk 'NR==1{print $1}')" fd12:3456:789a:1:5054:ff:fe00:11 \
	"getent: db.vmm's IPv6"
nss hosts nosuch.vmm >/dev/null && fail "getent: a name without a profile resolves"
# a profile that is not root's counts for nothing (a user could otherwise name addresses)
chown 65534 "$T/etc/upper/vmm/web.cfg"
nss hosts web.vmm >/dev/null && fail "getent: a profile not owned by root was trusted"

# a killed dnsmasq is back after net up (its leases too)
kill -9 "$pid"
for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
assert_contains "$(nsx "$HOST" "$VMM" net status)" "dnsmasq: not running"
nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "net up again: $(cat "$T/err")"
read -r pid3 _ <"$run/vmm.pid"
[ "$pid3" != "$pid" ] && [ "$(cat /proc/"$pid3"/comm)" = dnsmasq ] || fail "dnsmasq not restarted"
assert_contains "$(lookup web.vmm)" "192.168.166.50" "the new dnsmasq answers"
assert_contains "$(nsx "$HOST" "$VMM" net status)" "lease 192.168.166.50 web"

# net down: everything as before, no dnsmasq
nsx "$HOST" ip link set vg0 nomaster down
nsx "$HOST" ip link set vg1 nomaster down
nsx "$HOST" "$VMM" net down 2>"$T/err" || fail "net down: $(cat "$T/err")"
alive "$pid3" && fail "dnsmasq still runs after net down"
assert_no_file "$run"
assert_no_file "$(dnsmasq_pub)"
assert_eq "$(net_snapshot "$HOST")" "$before" "the namespace after net down"
echo "ok"
