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
# alive PID: the process runs (a zombie, dead and waiting for its parent or init to reap it, does
# not; kill -0 would say it does)
alive() {
	local st
	st=$(sed -n 's/.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
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
# assert_eq GOT WANTED [WHAT]: several lines are shown as a diff (wanted -> got).
assert_eq() {
	[ "$1" = "$2" ] && return 0
	case "$1$2" in
	*$'\n'*) fail "${3:-values differ}: got (+) against wanted (-):
$(diff -u <(printf '%s\n' "$2") <(printf '%s\n' "$1") | tail -n +3)" ;;
	esac
	fail "${3:-values differ}: got [$1], wanted [$2]"
}
assert_contains() { case "$1" in *"$2"*) ;; *) fail "${3:-missing text}: [$2] not in [$1]";; esac; }
assert_not_contains() { case "$1" in *"$2"*) fail "${3:-unexpected text}: [$2] in [$1]";; esac; }
assert_file() { [ -e "$1" ] || fail "missing file $1"; }
assert_no_file() { [ ! -e "$1" ] || fail "file should not exist: $1"; }
# Snapshot of a folder (names and checksums; lock files, *.lock, excluded) to prove nothing changed.
tree_sum() { (cd "$1" && find . -type f ! -name '*.lock' -print0 | sort -z | xargs -0r sha256sum) ; }

# new_ns BASE: create a namespace with a random suffix, lo up; prints its name. A new namespace
# copies its IPv4 settings from the default one (net.core.devconf_inherit_init_net = 0): IPv4
# forwarding is set off here, so that tests start alike whatever the host has. Its interfaces
# get no automatic IPv6 link-local address (addr_gen_mode 1): the kernel adds those, with their
# routes, some time after a link comes up, which would make snapshots (net_snapshot) race; an
# IPv6 address or route in a snapshot is then one that someone added.
new_ns() {
	local n="$1-$$-$RANDOM"
	ip netns add "$n" || fail "ip netns add $n"
	_ns_list+=("$n")
	ip netns exec "$n" sh -c 'echo 0 >/proc/sys/net/ipv4/ip_forward &&
		echo 1 >/proc/sys/net/ipv6/conf/default/addr_gen_mode' || fail "sysctls in $n"
	ip -n "$n" link set lo up
	echo "$n"
}
# Since new_ns runs in a subshell when used as $(new_ns x), register the name again here.
ns_track() { _ns_list+=("$1"); }
nsx() { local n=$1; shift; ip netns exec "$n" "$@"; }
# hold_tap NS TAP SECS: a process (standing in for a QEMU, or for another vmm's instant) holds
# TAP open in NS for SECS seconds, from when this returns; its pid in $HOLDER
hold_tap() {
	local out="$T/hold-$2.out"
	ip netns exec "$1" python3 -c '
import fcntl, os, struct, sys, time
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH22x", sys.argv[1].encode(), 0x0002 | 0x1000))
print("held", flush=True)
time.sleep(float(sys.argv[2]))' "$2" "$3" >"$out" 2>&1 &
	HOLDER=$!; track_pid $HOLDER
	for _ in $(seq 500); do grep -qs held "$out" && return 0; sleep 0.01; done
	fail "holder of tap $2 did not start: $(cat "$out")"
}

# tutorial_topology: namespaces HOST (runs vmm; veth "uplink" 192.168.1.184/24, default route via
# 192.168.1.191) and LAN (192.168.1.191/24). Sets $HOST and $LAN.
tutorial_topology() {
	HOST=$(new_ns vmmhost); ns_track "$HOST"
	LAN=$(new_ns vmmlan); ns_track "$LAN"
	ip link add uplink netns "$HOST" type veth peer name lan0 netns "$LAN" || fail "veth"
	ip -n "$HOST" addr add 192.168.1.184/24 dev uplink
	ip -n "$HOST" link set uplink up
	ip -n "$HOST" route add default via 192.168.1.191
	# A new namespace copies IPv4 forwarding from the default one (net.core.devconf_inherit_init_net
	# = 0): start from off, as a fresh host does, whatever the machine running the tests has.
	ip netns exec "$HOST" sh -c 'echo 0 >/proc/sys/net/ipv4/ip_forward'
	ip -n "$LAN" addr add 192.168.1.191/24 dev lan0
	ip -n "$LAN" link set lan0 up
}

# new_user BASE: a local account of the test's own (no home, no login shell), removed at exit;
# sets U (its name), U_UID and U_GID. as_user CMD...: CMD as that account, without groups.
new_user() {
	U="$1$RANDOM"
	useradd --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin --user-group "$U" ||
		fail "useradd $U"
	at_exit "_user_del $U"
	U_UID=$(id -u "$U") U_GID=$(id -g "$U")
}
# (the test's own processes, by PID, may still run as the user: they go first)
_user_del() {
	local p
	for p in "${_pid_list[@]}"; do kill -9 "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	userdel "$1"
}
as_user() { setpriv --reuid="$U_UID" --regid="$U_GID" --clear-groups "$@"; }
# fake_running NAME PID: run/NAME says that PID is the guest's QEMU, as vmm writes it (the pid
# and its start time, /proc/PID/stat field 22).
fake_running() {
	mkdir -p "$VMM_HOME/run/$1" && chmod 700 "$VMM_HOME/run/$1"
	awk '{ sub(/^.*\) /, ""); print $20 }' "/proc/$2/stat" >"$VMM_HOME/run/$1/starttime"
	echo "$2" >"$VMM_HOME/run/$1/pid"
}

# ---- host networking helpers (tests/net) ----
# ipt_save NS: iptables-legacy-save and ip6tables-legacy-save of NS without the date comments and packet counters.
# Reading a table instantiates it in the namespace (empty, policy ACCEPT): both are read first,
# so that merely looking (vmm net status, --dry-run) does not count as a change.
ipt_save() {
	nsx "$1" iptables-legacy -t filter -S >/dev/null 2>&1
	nsx "$1" iptables-legacy -t nat -S >/dev/null 2>&1
	nsx "$1" iptables-legacy-save | sed -e '/^#/d' -e 's/\[[0-9]*:[0-9]*\]/[c]/'
	command -v ip6tables-legacy-save >/dev/null || return 0
	nsx "$1" ip6tables-legacy -t filter -S >/dev/null 2>&1
	nsx "$1" ip6tables-legacy -t nat -S >/dev/null 2>&1
	nsx "$1" ip6tables-legacy-save | sed -e '/^#/d' -e 's/\[[0-9]*:[0-9]*\]/[c]/'
}
# net_sysctls: (run inside a namespace) the sysctls vmm may touch or that decide what the guests'
# traffic goes through: forwarding (global and per interface, IPv4 and IPv6), rp_filter,
# proxy_arp, IPv6 on/off and accept_ra, and br_netfilter's per-namespace switches; one line per interface,
# "sysctl IFACE: key=value ...", so that `grep -v IFACE:` drops an interface's line with its link.
net_sysctls() {
	local d i k v line
	echo "sysctl net.ipv4.ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)"
	line="sysctl bridge-nf:"
	for k in /proc/sys/net/bridge/bridge-nf-call-*; do
		[ -e "$k" ] && line="$line ${k##*/}=$(cat "$k")"
	done
	echo "$line"
	for d in /proc/sys/net/ipv4/conf/*; do
		i=${d##*/}
		line="sysctl $i:"
		for k in ipv4/conf/$i/forwarding ipv4/conf/$i/rp_filter ipv4/conf/$i/proxy_arp \
			ipv6/conf/$i/forwarding ipv6/conf/$i/disable_ipv6 ipv6/conf/$i/accept_ra; do
			v=$(cat "/proc/sys/net/$k" 2>/dev/null) || v=-
			line="$line ${k%%/*}.${k##*/}=$v"
		done
		echo "$line"
	done
}
# net_snapshot NS: links (minus timers and statistics), IPv4 and IPv6 addresses and routes, the
# sysctls above, the iptables-legacy rules and the nf_tables ruleset (counters left out).
net_snapshot() {
	# Carrier, port states and a bridge's TSO limit follow its ports coming and going: left out.
	nsx "$1" ip -d -o link show |
		sed -E 's/ [a-z_]*_timer +[0-9.]+//g; s/NO-CARRIER,//; s/,LOWER_UP//; s/ state [A-Za-z]+//g; s/ tso_max_size [0-9]+//'
	nsx "$1" ip -o -4 addr show
	# IPv6: a link-local address is "tentative" while duplicate address detection runs
	nsx "$1" ip -o -6 addr show | sed 's/ tentative//'
	nsx "$1" ip -o route show | sed 's/ linkdown//'
	# (ff00::/8 on a link is the kernel's, added the first time the link has carrier: a bridge
	# gets it when a port comes up, e.g. while vmm opens a tap; left out)
	nsx "$1" ip -o -6 route show table all | sed 's/ linkdown//' | grep -v '^multicast ff00::/8 dev '
	nsx "$1" bash -c "$(declare -f net_sysctls); net_sysctls"
	ipt_save "$1"
	command -v nft >/dev/null || fail "net_snapshot: nft not found (nftables)"
	nft_save "$1"
}
# guest_standin: a namespace GUEST (192.168.166.100/24, default via 192.168.166.1) whose veth
# peer "vg0" sits in $HOST, not yet enslaved (call `nsx "$HOST" ip link set vg0 master br0 up`).
guest_standin() {
	GUEST=$(new_ns vmmguest); ns_track "$GUEST"
	ip link add vg0 netns "$HOST" type veth peer name eth0 netns "$GUEST" || fail "veth vg0"
	ip -n "$GUEST" addr add 192.168.166.100/24 dev eth0
	ip -n "$GUEST" link set eth0 up
	ip -n "$GUEST" route add default via 192.168.166.1
}

# ---- without root (tests/e2e/rootless_*.sh, bench/rootless.sh) ----
# rootless_user: an ordinary user made for this test (useradd, no sudo, no groups but its own;
# removed at exit with its processes, killed by PID), its home $RHOME (vmm's home is its XDG one:
# ~/.config/vmm, ~/.local/share/vmm) and its runtime folder $RRUN ($XDG_RUNTIME_DIR; /tmp may not
# be writable for users on some hosts), both in a folder of its own. Sets RUSER, RUID.
rootless_user() {
	need_cmd useradd
	need_cmd setpriv
	RUSER=vmmu$$
	RBASE=$(mktemp -d /tmp/vmm-rootless.XXXXXX) || fail "mktemp"
	RHOME=$RBASE/home RRUN=$RBASE/run
	useradd -M -d "$RHOME" -s /usr/sbin/nologin -U "$RUSER" >/dev/null || fail "useradd $RUSER"
	at_exit rootless_user_gone
	RUID=$(id -u "$RUSER")
	chmod 0711 "$RBASE"
	mkdir -m 0700 "$RHOME" "$RRUN" && chown "$RUSER:$RUSER" "$RHOME" "$RRUN" || fail "$RBASE"
}
# as_ruser CMD...: CMD as that user inside $HOST, in a clean environment (no VMM_HOME).
as_ruser() {
	nsx "$HOST" setpriv --reuid "$RUID" --regid "$RUID" --init-groups env -i PATH="$PATH" \
		HOME="$RHOME" XDG_RUNTIME_DIR="$RRUN" USER="$RUSER" LOGNAME="$RUSER" "$@"
}
# user_pids: the user's live processes (zombies waiting for their reaper left out).
user_pids() { ps -o pid=,stat= -u "$RUID" 2>/dev/null | awk '$2 !~ /^Z/ { print $1 }'; }
rootless_user_gone() {
	local p _
	for p in $(user_pids); do kill -9 "$p" 2>/dev/null; done
	for _ in $(seq 20); do [ -z "$(user_pids)" ] && break; sleep 0.1; done
	userdel "$RUSER" 2>/dev/null
	rm -rf "$RBASE"
}
# user_net_cfg: the user's net.cfg, the tutorial's with the LAN's dnsmasq as the guests' DNS.
user_net_cfg() {
	mkdir -p "$RHOME/.config/vmm"
	printf 'bridge = "br0";\naddress = "192.168.166.1/24";\nnat = true;\ndns = [ "192.168.1.191" ];\n' \
		>"$RHOME/.config/vmm/net.cfg"
	chown -R "$RUSER:$RUSER" "$RHOME/.config"
}
# user_uids_only: every process in $HOST (QEMUs, pasta) and the namespace's holder is the user's:
# nothing of the run is root's. QEMU's capabilities are none.
user_uids_only() {
	local p uid n=0
	for p in $(ip netns pids "$HOST") $(cut -d' ' -f1 "$RRUN/vmm/netns" 2>/dev/null); do
		uid=$(awk '/^Uid:/ { print $2 $3 $4 $5 }' "/proc/$p/status" 2>/dev/null) || continue
		[ -n "$uid" ] || continue
		assert_eq "$uid" "$RUID$RUID$RUID$RUID" "$1: uids of pid $p ($(cat "/proc/$p/comm"))"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || fail "$1: no process of the run found"
	for p in $(cat "$RRUN"/vmm/*/pid 2>/dev/null); do
		assert_eq "$(awk '/^CapEff:/ { print $2 }' "/proc/$p/status")" 0000000000000000 \
			"$1: QEMU (pid $p) capabilities"
	done
}
# user_nothing_left: no process of the user, no namespace, no run file of the network.
user_nothing_left() {
	local _
	for _ in $(seq 30); do [ -z "$(user_pids)" ] && break; sleep 0.1; done
	assert_eq "$(user_pids | tr '\n' ' ')" "" "$1: processes of the user left"
	assert_eq "$(lsns -n -o NS,USER -t net 2>/dev/null | awk -v u="$RUSER" '$2 == u')" "" \
		"$1: a network namespace of the user's left"
	assert_eq "$(ls -A "$RRUN/vmm" | grep -v '\.lock$' | tr '\n' ' ')" "" "$1: run files left"
}

# ---- guests (tests/e2e): the tiny test guest booted by vmm inside $HOST ----
GUEST_KERNEL=$SRCDIR/images/vmm-guest.kernel
GUEST_INITRD=$SRCDIR/images/vmm-guest.initrd
GUEST_ISO=$SRCDIR/images/vmm-guest.iso
# need_guest: the test guest's images, built once (make guest) when missing.
need_guest() {
	need_cmd qemu-system-x86_64
	need_cmd qemu-img
	if [ ! -s "$GUEST_KERNEL" ] || [ ! -s "$GUEST_INITRD" ] || [ ! -s "$GUEST_ISO" ]; then
		make -C "$SRCDIR" guest >"$T/guest-build.log" 2>&1 ||
			fail "make guest failed: $(tail -5 "$T/guest-build.log")"
	fi
}
# lan_dns: dnsmasq in $LAN answering test.lan = 192.168.1.191 (tracked by PID).
lan_dns() {
	nsx "$LAN" dnsmasq --no-daemon --no-resolv --no-hosts --conf-file=/dev/null --pid-file= \
		--address=/test.lan/192.168.1.191 --listen-address=192.168.1.191 --bind-interfaces \
		>"$T/dnsmasq.log" 2>&1 &
	track_pid $!
	for _ in $(seq 50); do
		nsx "$LAN" ss -lun 2>/dev/null | grep -q '192.168.1.191:53 ' && return 0
		sleep 0.1
	done
	fail "dnsmasq did not start: $(cat "$T/dnsmasq.log")"
}
# dnsmasq_pub [BRIDGE]: the folder of this home's dnsmasq hosts files as root (dnsmasq.h: FNV-1a
# of the run folder's path); removed when the test ends, however it ends.
dnsmasq_pub() {
	echo "/run/vmm-dnsmasq/$(python3 -c 'import sys
h = 2166136261
for c in sys.argv[1].encode(): h = ((h ^ c) * 16777619) & 0xffffffff
print("%08x" % h)' "$VMM_HOME/run")-${1:-br0}"
}
_rm_dnsmasq_pub() { rm -rf "$(dnsmasq_pub)"; rmdir /run/vmm-dnsmasq 2>/dev/null; true; }
at_exit _rm_dnsmasq_pub
# e2e_net_cfg: the tutorial's net.cfg with the LAN's dnsmasq as the guests' DNS.
e2e_net_cfg() { net_cfg br0 192.168.166.1/24 auto true '"192.168.1.191"'; }
# guest_create NAME IP [vmm create options...]: a test guest booted straight from its kernel.
guest_create() {
	local name=$1 ip=$2; shift 2
	"$VMM" create "$name" --size 1G --ram 256 --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
		--append 'console=ttyS0' --ip "$ip/24" "$@" >"$T/create.log" 2>&1 ||
		fail "vmm create $name: $(cat "$T/create.log")"
}
# guest_sh NAME CMD...: run shell lines on the guest's serial console (inside $HOST); prints
# what the console showed. Lines should print a result the typed text does not contain
# (e.g. `ping ...; echo "rc=$?"`), since the console echoes what is typed.
guest_sh() {
	local name=$1; shift
	printf '%s\n' "$@" | nsx "$HOST" "$VMM" console "$name" --timeout "${GUEST_SH_IDLE:-4}"
}
# serial_wait NAME TEXT [SECS]: wait until the guest's serial log holds TEXT.
serial_wait() {
	local log=$VMM_HOME/run/$1/serial.log i
	for ((i = 0; i < ${3:-60} * 5; i++)); do
		grep -qF -- "$2" "$log" 2>/dev/null && return 0
		sleep 0.2
	done
	fail "$1: no \"$2\" on the serial console after ${3:-60} s; log tail: $(tail -5 "$log" 2>/dev/null)"
}
# load_docker_rules NS [RESTORE]: Docker's iptables-legacy rules in NS (FORWARD policy DROP, the DOCKER and
# DOCKER-ISOLATION chains, a published port, a MASQUERADE for 172.17.0.0/16), as foreign rules
# vmm must work with and leave byte-identical.
# A second argument names another restore command (iptables-nft-restore: Docker on nf_tables).
load_docker_rules() {
	nsx "$1" "${2:-iptables-legacy-restore}" <<'RULES' || fail "loading docker-like rules"
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
-A DOCKER -i docker0 -j RETURN
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-ISOLATION-STAGE-2 - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o docker0 -j DOCKER
-A FORWARD -i docker0 ! -o docker0 -j ACCEPT
-A FORWARD -i docker0 -o docker0 -j ACCEPT
-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -j RETURN
-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
-A DOCKER-ISOLATION-STAGE-2 -j RETURN
-A DOCKER-USER -j RETURN
COMMIT
RULES
}
# net_cfg BRIDGE ADDRESS UPLINK NAT DNS: write $VMM_HOME/profiles/net.cfg; DNS is the inside of
# the list, quoted as libconfig wants it ('"192.168.1.191", "auto"').
net_cfg() {
	mkdir -p "$VMM_HOME/profiles"
	printf 'bridge = "%s";\naddress = "%s";\nuplink = "%s";\nnat = %s;\ndns = [ %s ];\n' "$@" \
		>"$VMM_HOME/profiles/net.cfg"
}
# fw_pin BACKEND: net.cfg gets firewall = "BACKEND" (appended; net.cfg made when missing), for the
# tests of one backend whatever the host's iptables is.
fw_pin() {
	mkdir -p "$VMM_HOME/profiles"
	printf 'firewall = "%s";\n' "$1" >>"$VMM_HOME/profiles/net.cfg"
}
# create_guests NAME...: `vmm create NAME --size 1G` for each (quietly; fails the test on error).
create_guests() {
	local g
	for g in "$@"; do
		"$VMM" create "$g" --size 1G >/dev/null 2>&1 || fail "vmm create $g"
	done
}
# vmm_in_ns NS: from here on $VMM runs vmm inside NS (a wrapper script; the binary stays in
# $VMM_REAL), so run_vmm and "$VMM" calls act there.
vmm_in_ns() {
	VMM_REAL=$VMM
	VMM="$T/vmm-in-$1"
	printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$1" "$VMM_REAL" >"$VMM"
	chmod +x "$VMM"
}
# scenario_end NS...: one backend's scenario over, for the next: what runs in each NS killed,
# $VMM the binary again (vmm_in_ns undone), a fresh empty home
scenario_end() {
	local n p
	for n in "$@"; do
		for p in $(ip netns pids "$n"); do kill "$p" 2>/dev/null; done
	done
	VMM=$VMM_REAL
	rm -rf "$VMM_HOME"
	mkdir -p "$VMM_HOME"
}
# debian_guest: the real Debian 12 guest (contrib/build-debian-guest.sh, cached): $DEB its folder,
# $IMG its qcow2
debian_guest() {
	DEB=${VMM_DEBIAN_GUEST:-/var/cache/vmm-test/debian12}
	"$SRCDIR/contrib/build-debian-guest.sh" "$DEB" >"$T/build.log" 2>&1 ||
		fail "build-debian-guest.sh: $(tail -5 "$T/build.log")"
	IMG=$DEB/debian-12-vmm.qcow2
}
# lan_httpd DIR [ARGS...]: the LAN's web server on 192.168.1.191:8080 serving DIR
# (tests/e2e/httpd.py, ARGS such as --cut-after N), once it is ready; $HTTPD its pid
lan_httpd() {
	local dir=$1; shift
	nsx "$LAN" python3 "$SRCDIR/tests/e2e/httpd.py" "$dir" 192.168.1.191 8080 "$T/http.log" "$@" \
		>"$T/httpd.out" 2>&1 &
	HTTPD=$!
	track_pid $HTTPD
	for _ in $(seq 50); do grep -q ready "$T/httpd.out" 2>/dev/null && return 0; sleep 0.1; done
	fail "httpd did not start: $(cat "$T/httpd.out")"
}
# image_diff A B: decodes two pictures, each a PNG (8-bit RGB or RGBA, as vmm vnc and libvirt's
# screenshot write them) or a binary PPM (QEMU's screendump), and prints "W H DIFFERING NONBLACK"
# (pixels that differ, and non-black pixels of A); "W H size W2 H2" when the sizes differ.
image_diff() {
	python3 - "$1" "$2" <<'PY'
import struct, sys, zlib
def png(d):
    i, idat, w = 8, b'', None
    while i < len(d):
        n, t = struct.unpack('>I4s', d[i:i + 8])
        body = d[i + 8:i + 8 + n]
        if t == b'IHDR':
            w, h, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, 'not 8-bit RGB(A)'
        elif t == b'IDAT':
            idat += body
        i += 12 + n
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(idat), w * bpp
    out, prev, p = bytearray(), bytearray(stride), 0
    for _ in range(h):
        ft, line = raw[p], bytearray(raw[p + 1:p + 1 + stride]); p += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
            if ft == 1: line[x] = (line[x] + a) & 255
            elif ft == 2: line[x] = (line[x] + b) & 255
            elif ft == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif ft == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 255
        out += line if bpp == 3 else bytes(v for k, v in enumerate(line) if k % 4 != 3)
        prev = line
    return w, h, bytes(out)
def ppm(d):
    parts = d.split(maxsplit=4)
    assert parts[0] == b'P6' and parts[3] == b'255', 'not a binary PPM'
    return int(parts[1]), int(parts[2]), parts[4][:int(parts[1]) * int(parts[2]) * 3]
def load(path):
    d = open(path, 'rb').read()
    return png(d) if d[:8] == b'\x89PNG\r\n\x1a\n' else ppm(d)
w, h, a = load(sys.argv[1])
w2, h2, b = load(sys.argv[2])
if (w, h) != (w2, h2):
    print(w, h, 'size', w2, h2); sys.exit(0)
diff = sum(1 for i in range(0, len(a), 3) if a[i:i + 3] != b[i:i + 3])
lit = sum(1 for i in range(0, len(a), 3) if a[i:i + 3] != b'\0\0\0')
print(w, h, diff, lit)
PY
}

# ---- nf_tables hosts (tests/net/nft_*.sh) ----
# nft_save NS: `nft list ruleset` of NS with the counters' numbers left out.
nft_save() { nsx "$1" nft list ruleset 2>/dev/null | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/'; }
# nft_host_state NS: what `net down` must give back: the nf_tables ruleset, the legacy tables,
# forwarding (counters aside).
nft_host_state() {
	nft_save "$1"
	ipt_save "$1"
	echo "ip_forward=$(nsx "$1" cat /proc/sys/net/ipv4/ip_forward)"
}
# ipt_nft_clean NS: iptables-nft-save (v4 and v6) prints no warning (an "incompatible" table or
# "use nft tool" means Docker/ufw would break) and exits 0.
ipt_nft_clean() {
	local out
	out=$(nsx "$1" iptables-nft-save 2>&1) || fail "iptables-nft-save failed: $out"
	case "$out" in *ncompatible* | *"nft' tool"* | *nsupported*) fail "iptables-nft-save warns: $out" ;; esac
	out=$(nsx "$1" ip6tables-nft-save 2>&1) || fail "ip6tables-nft-save failed: $out"
	case "$out" in *ncompatible* | *"nft' tool"* | *nsupported*) fail "ip6tables-nft-save warns: $out" ;; esac
}
# ask PROTO ADDR PORT [NS] [SOCAT-OPTIONS]: one line to a listener from NS (default $LAN), its
# answer (what the listener says, e.g. the address it saw us come from), "" when nothing came back
ask() {
	local ns=${4:-$LAN} how
	case $1 in tcp) how="TCP:$2:$3,connect-timeout=2${5:+,$5}" ;; udp) how="UDP:$2:$3${5:+,$5}" ;; esac
	echo hello | nsx "$ns" timeout 5 socat -T 2 - "$how" 2>/dev/null
}
# lan_peer_servers: in $LAN, TCP 7000 and UDP 7001 answer with the client address they see.
lan_peer_servers() {
	nsx "$LAN" socat TCP-LISTEN:7000,reuseaddr,fork SYSTEM:'echo $SOCAT_PEERADDR' >/dev/null 2>&1 &
	track_pid $!
	nsx "$LAN" socat UDP-RECVFROM:7001,reuseaddr,fork SYSTEM:'echo $SOCAT_PEERADDR' >/dev/null 2>&1 &
	track_pid $!
	for _ in $(seq 50); do
		nsx "$LAN" ss -ltn | grep -q ':7000 ' && nsx "$LAN" ss -lun | grep -q ':7001 ' && return 0
		sleep 0.1
	done
	fail "socat servers did not start in $LAN"
}
# guest_tcp / guest_udp: what the LAN's server saw as the stand-in's address ("" when blocked).
guest_tcp() { nsx "$GUEST" timeout 5 socat -T2 - TCP:192.168.1.191:7000,connect-timeout=2 </dev/null 2>/dev/null; }
# (UDP: up to three tries, a datagram can be lost while the path warms up)
guest_udp() {
	local r _
	for _ in 1 2 3; do
		r=$(echo x | nsx "$GUEST" timeout 5 socat -T2 - UDP:192.168.1.191:7001 2>/dev/null)
		[ -n "$r" ] && break
	done
	echo "$r"
}
# guest_reaches_lan WHEN: ICMP, TCP and UDP from the stand-in reach the LAN, which sees only the
# host's address.
guest_reaches_lan() {
	nsx "$GUEST" ping -c 1 -W 2 192.168.1.191 >/dev/null || fail "$1: the stand-in cannot ping the LAN"
	assert_eq "$(guest_tcp)" 192.168.1.184 "$1: TCP from the stand-in, source seen by the LAN"
	assert_eq "$(guest_udp)" 192.168.1.184 "$1: UDP from the stand-in, source seen by the LAN"
}
# guest_blocked WHEN: TCP and UDP from the stand-in do not reach the LAN.
guest_blocked() {
	[ -z "$(guest_tcp)" ] || fail "$1: TCP got through"
	[ -z "$(guest_udp)" ] || fail "$1: UDP got through"
}
# nft_bridge_by_hand: the bridge and forwarding without vmm (to prove a host's firewall blocks the
# guests), then gone again.
nft_bridge_by_hand() {
	nsx "$HOST" ip link add br0 type bridge
	nsx "$HOST" ip addr add 192.168.166.1/24 dev br0
	nsx "$HOST" ip link set br0 up
	nsx "$HOST" ip link set vg0 master br0 up
	nsx "$HOST" nft add table ip vmmtestnat
	nsx "$HOST" nft 'add chain ip vmmtestnat post { type nat hook postrouting priority srcnat; }'
	nsx "$HOST" nft add rule ip vmmtestnat post ip saddr 192.168.166.0/24 oifname uplink masquerade
	_fwd_by_hand=$(nsx "$HOST" cat /proc/sys/net/ipv4/ip_forward)
	echo 1 | nsx "$HOST" tee /proc/sys/net/ipv4/ip_forward >/dev/null
}
nft_bridge_by_hand_undo() {
	nsx "$HOST" ip link set vg0 nomaster
	nsx "$HOST" ip link del br0
	nsx "$HOST" nft delete table ip vmmtestnat
	echo "$_fwd_by_hand" | nsx "$HOST" tee /proc/sys/net/ipv4/ip_forward >/dev/null
}
# nft_story KIND RELOAD: the whole life on one kind of host whose firewall is loaded already:
# it blocks the guests without vmm (unless KIND is "none"); `net up` opens exactly what it
# must (announced once), the stand-in reaches the LAN over ICMP, TCP and UDP as the host;
# `net up` x10 changes nothing; iptables-nft-save stays clean; RELOAD (a function: the other
# tool rebuilding its rules) drops vmm's openings, `net status` says so, `net up` repairs;
# `net down` gives back the host's rules and forwarding exactly.
nft_story() {
	local kind=$1 reload=$2 before out i once brnf=/proc/sys/net/bridge/bridge-nf-call-iptables
	# br_netfilter's problem line is another story (tests/net/net_status.sh)
	if nsx "$HOST" test -e $brnf; then echo 0 | nsx "$HOST" tee $brnf >/dev/null; fi
	lan_peer_servers
	if [ "$kind" != none ]; then
		nft_bridge_by_hand
		guest_blocked "$kind without vmm (else this test proves nothing)"
		nft_bridge_by_hand_undo
		$reload # the other tool's steady state (ufw's first reload differs from its enable)
	fi
	before=$(nft_host_state "$HOST")
	nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "net up: $(cat "$T/err")"
	if [ "$kind" != none ]; then
		assert_contains "$(cat "$T/err")" "vmm: firewall: accepted br0 in " "opening announced"
		# each opening is the first rule of its chain, a plain mark match
		local where first
		while read -r where; do
			first=$(nsx "$HOST" nft list chain $where | sed -n '/^\t\t[a-z]/p' | sed -n '/type .* hook/!p' | head -1)
			assert_contains "$first" 'meta mark & 0x00002000 == 0x00002000 counter packets' "first rule of $where"
			assert_contains "$first" 'accept comment "vmm"' "first rule of $where"
		done < <(sed -n 's/^vmm: firewall: accepted br0 in \([^ ]*\) \([^ ]*\) \([^ ]*\) (.*/\1 \2 \3/p' "$T/err")
	else
		assert_not_contains "$(cat "$T/err")" "vmm: firewall: accepted" "nothing to open"
	fi
	nsx "$HOST" ip link set vg0 master br0 up
	guest_reaches_lan "$kind, after net up"
	ipt_nft_clean "$HOST"
	out=$(nsx "$HOST" "$VMM" net status) || fail "net status"
	assert_contains "$out" "firewall: nftables ("
	assert_not_contains "$out" "problem: " "problems after net up"
	[ "$kind" = none ] || assert_contains "$out" "vmm's opening in"
	once=$(nft_save "$HOST")
	for i in 1 2 3 4 5 6 7 8 9 10; do
		nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "net up #$i: $(cat "$T/err")"
		assert_not_contains "$(cat "$T/err")" "firewall:" "net up #$i announces nothing"
	done
	assert_eq "$(nft_save "$HOST")" "$once" "ruleset after net up x10"
	assert_eq "$(nft_save "$HOST" | grep -c 'comment "vmm"')" "$(printf '%s\n' "$once" | grep -c 'comment "vmm"')"
	if [ "$kind" != none ]; then
		$reload
		out=$(nsx "$HOST" "$VMM" net status) || fail "net status after the reload"
		if [ "${RELOAD_KEEPS:-}" = 1 ]; then # (dockerd leaves DOCKER-USER's rules alone)
			assert_not_contains "$out" "problem: " "net status after $reload"
		else
			assert_contains "$out" "problem: " "net status after $reload"
			assert_contains "$out" "missing" "net status after $reload"
			guest_blocked "$kind after $reload"
		fi
		nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "net up after $reload: $(cat "$T/err")"
		out=$(nsx "$HOST" "$VMM" net status) || fail "net status"
		assert_not_contains "$out" "problem: " "problems after the repair"
		guest_reaches_lan "$kind, repaired after $reload"
		ipt_nft_clean "$HOST"
	fi
	nsx "$HOST" "$VMM" net down 2>"$T/err" || fail "net down: $(cat "$T/err")"
	[ "$(nft_host_state "$HOST")" = "$before" ] ||
		{ diff <(echo "$before") <(nft_host_state "$HOST") >&2; fail "host state after net down"; }
}
