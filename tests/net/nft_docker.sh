#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nft_docker.sh: a REAL dockerd (Debian's docker.io) in the test's host namespace writes its genuine
# rules through iptables-nft. vmm's opening goes into DOCKER-USER; guests reach the LAN (ICMP, TCP,
# UDP, as the host) and a container (an image imported from busybox-static) still does too; a
# dockerd restart followed by `net up` keeps both working; net down gives Docker's rules back.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd nft
need_cmd socat
need_cmd dockerd
need_cmd docker
need_cmd containerd
need_cmd nsenter
[ -x /bin/busybox ] || skip "needs busybox-static"
tutorial_topology
guest_standin
create_guests ubuntu
case "$(readlink -f /usr/sbin/iptables 2>/dev/null)" in *legacy*) fw_pin nftables ;; esac

D=$T/docker
mkdir -p "$D" "$T/rootfs/bin"
dk() { timeout 60 docker -H "unix://$D/sock" "$@"; }
# `ip netns exec` remounts /sys and hides the cgroup mounts dockerd needs: nsenter --net only
docker_start() {
	nsenter --net="/run/netns/$HOST" dockerd -H "unix://$D/sock" --data-root "$D/data" \
		--exec-root "$D/x" --pidfile "$D/pid" >>"$D/log" 2>&1 &
	DOCKERD=$!
	track_pid $DOCKERD
	for _ in $(seq 150); do
		dk version >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	fail "dockerd did not start: $(tail -5 "$D/log")"
}
docker_stop() {
	[ -n "${DOCKERD:-}" ] || return 0
	kill "$DOCKERD" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$DOCKERD" 2>/dev/null || break; sleep 0.2; done
	DOCKERD=
}
at_exit docker_stop
docker_restart() { docker_stop; docker_start; }
# container_tcp: what the LAN sees of a container's TCP connection
container_tcp() { dk run --rm bb:1 /bin/busybox nc -w 3 192.168.1.191 7000 </dev/null 2>&1; }

# forwarding off at first, as on a fresh host: dockerd turns it on and sets FORWARD policy DROP
echo 0 | nsx "$HOST" tee /proc/sys/net/ipv4/ip_forward >/dev/null
docker_start
cp /bin/busybox "$T/rootfs/bin/busybox"
tar -C "$T/rootfs" -c . | dk import - bb:1 >/dev/null || fail "docker import"
lan_peer_servers
assert_eq "$(container_tcp)" 192.168.1.184 "a container reaches the LAN before vmm"
assert_contains "$(nsx "$HOST" iptables-nft -S FORWARD)" "-P FORWARD DROP"
docker_before=$(nsx "$HOST" iptables-nft-save | sed -e '/^#/d' -e 's/\[[0-9]*:[0-9]*\]/[c]/')

nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "net up: $(cat "$T/err")"
assert_contains "$(cat "$T/err")" "vmm: firewall: accepted br0 in ip filter DOCKER-USER (Docker)"
assert_eq "$(nsx "$HOST" iptables-nft -S DOCKER-USER | sed -n 2p)" \
	"-A DOCKER-USER -m mark --mark 0x2000/0x2000 -m comment --comment vmm -j ACCEPT"
nsx "$HOST" ip link set vg0 master br0 up
guest_reaches_lan "with dockerd"
assert_eq "$(container_tcp)" 192.168.1.184 "a container reaches the LAN with vmm's rules"
ipt_nft_clean "$HOST"

# dockerd restarts: Docker's rules come back, vmm's opening in DOCKER-USER survives
docker_restart
nsx "$HOST" "$VMM" net up 2>"$T/err" || fail "net up after the dockerd restart: $(cat "$T/err")"
guest_reaches_lan "after a dockerd restart and net up"
assert_eq "$(container_tcp)" 192.168.1.184 "a container after the restart"
nsx "$HOST" ip link set vg0 nomaster
nsx "$HOST" "$VMM" net down 2>"$T/err" || fail "net down: $(cat "$T/err")"
assert_eq "$(nsx "$HOST" iptables-nft-save | sed -e '/^#/d' -e 's/\[[0-9]*:[0-9]*\]/[c]/')" "$docker_before" \
	"Docker's rules after net down"
for p in $(ip netns pids "$LAN"); do kill "$p"; done
sleep 0.3

# the whole story with dockerd restarts as the foreign reload
RELOAD_KEEPS=1 nft_story docker docker_restart
assert_eq "$(container_tcp)" 192.168.1.184 "a container after the story"
