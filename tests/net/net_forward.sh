#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# net_forward.sh: host port forwards through each firewall backend (net.cfg firewall =
# "iptables-legacy", then "nftables"), in the tutorial's picture: a TCP and a UDP listener in the
# guest stand-in answer the LAN and the host itself on the host's uplink address, seeing the
# client's real address; `vmm set` removes and adds forwards at once while the network is up;
# `net up` again changes nothing; `net down` leaves the host as it was before.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd socat
need_cmd iptables-legacy-save
need_cmd nft
need_cmd setpriv

# snapshot: links, addresses, routes, forwarding, legacy tables and the nf_tables ruleset
snapshot() { net_snapshot "$HOST"; nsx "$HOST" nft list ruleset; }


scenario() {
	local fw=$1
	echo "== firewall = $fw"
	tutorial_topology
	guest_standin
	net_cfg br0 192.168.166.1/24 auto true '"auto"'
	fw_pin "$fw"
	vmm_in_ns "$HOST"

	# listeners in the stand-in (192.168.166.100): each answers with the client's address
	nsx "$GUEST" socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'read -r l; echo "tcp $SOCAT_PEERADDR"' &
	track_pid $!
	nsx "$GUEST" socat UDP-RECVFROM:53,fork SYSTEM:'read -r l; echo "udp $SOCAT_PEERADDR"' &
	track_pid $!
	for _ in $(seq 50); do
		nsx "$GUEST" ss -ltn | grep -q ':80 ' && nsx "$GUEST" ss -lun | grep -q ':53 ' && break
		sleep 0.1
	done

	nsx "$HOST" ip link set vg0 up # (its qdisc appears with the first up: before the snapshot)
	# the legacy host drops forwarded traffic by default (like Docker): the forward's accept counts
	[ "$fw" = iptables-legacy ] && nsx "$HOST" iptables-legacy -P FORWARD DROP
	before=$(snapshot)
	run_vmm 0 create web --size 1G --ip 192.168.166.100 --forward 8080:80 --forward udp:5353:53
	run_vmm 0 create db --size 1G
	run_vmm 0 net up
	nsx "$HOST" ip link set vg0 master br0 up

	# from the LAN, to the host's uplink address: the guest answers and saw the LAN client
	assert_eq "$(ask tcp 192.168.1.184 8080)" "tcp 192.168.1.191" "$fw: tcp from the lan"
	assert_eq "$(ask udp 192.168.1.184 5353)" "udp 192.168.1.191" "$fw: udp from the lan"
	# from the host itself, to its own uplink address
	assert_eq "$(ask tcp 192.168.1.184 8080 "$HOST")" "tcp 192.168.1.184" "$fw: tcp from the host"
	assert_eq "$(ask udp 192.168.1.184 5353 "$HOST")" "udp 192.168.1.184" "$fw: udp from the host"
	# loopback is left alone (a source of 127.0.0.1 cannot leave through the bridge)
	assert_eq "$(ask tcp 127.0.0.1 8080 "$HOST")" "" "$fw: loopback not forwarded"
	# the rules are in the backend asked for, and only there
	legacy=$(nsx "$HOST" iptables-legacy-save)
	ruleset=$(nsx "$HOST" nft list ruleset)
	if [ "$fw" = iptables-legacy ]; then
		assert_contains "$legacy" '-j DNAT --to-destination 192.168.166.100:53' "$fw: legacy DNAT"
		assert_not_contains "$ruleset" "192.168.166.100" "$fw: nothing of vmm's in nf_tables"
	else
		assert_contains "$ruleset" "192.168.166.100" "$fw: the forwards in nf_tables"
		assert_contains "$ruleset" "dnat" "$fw: nft dnat"
		assert_not_contains "$legacy" "VMM-" "$fw: nothing of vmm's in the legacy tables"
	fi
	# the guest's own port is not opened to the LAN by the forward
	assert_eq "$(ask tcp 192.168.1.184 80)" "" "$fw: only the forwarded port"
	run_vmm 0 forward web
	assert_contains "$OUT" "web              tcp       8080  192.168.166.100:80"
	run_vmm 0 net status
	assert_contains "$OUT" "port forwards (2, see vmm forward): present" "$fw: net status"

	# net up again: nothing changes
	once=$(snapshot)
	run_vmm 0 net up
	run_vmm 0 net up
	assert_eq "$(snapshot)" "$once" "$fw: net up x3 leaves one identical ruleset"

	# without CAP_NET_ADMIN the firewall cannot follow: refused, exit 1, profile and rules as they were
	cfg=$(cat "$VMM_HOME/profiles/web.cfg")
	now=$(snapshot)
	OUT=$(nsx "$HOST" setpriv --bounding-set -net_admin --inh-caps -net_admin "$VMM_REAL" \
		set web forward=tcp:7070:80 2>&1); RC=$?
	assert_eq "$RC" 1 "$fw: set without CAP_NET_ADMIN"
	assert_eq "$OUT" "vmm: forwards: the network is up: changing them needs root (CAP_NET_ADMIN)"
	assert_eq "$(cat "$VMM_HOME/profiles/web.cfg")" "$cfg" "$fw: profile unchanged"
	assert_eq "$(snapshot)" "$now" "$fw: rules unchanged"

	# vmm set takes the tcp forward away at once, the udp one stays
	run_vmm 0 set web forward=udp:5353:53
	assert_eq "$(ask tcp 192.168.1.184 8080)" "" "$fw: removed tcp forward still connects"
	assert_eq "$(ask tcp 192.168.1.184 8080 "$HOST")" "" "$fw: removed tcp forward (host)"
	assert_eq "$(ask udp 192.168.1.184 5353)" "udp 192.168.1.191" "$fw: udp forward kept"
	# moved to another host port at once
	run_vmm 0 set web forward=tcp:9090:80,udp:5353:53
	assert_eq "$(ask tcp 192.168.1.184 9090)" "tcp 192.168.1.191" "$fw: new tcp forward"
	# another guest cannot take the port; the refusal changes nothing
	now=$(snapshot)
	run_vmm 2 set db forward=9090:22
	assert_eq "$ERR" 'vmm: forward "tcp:9090:22": tcp host port 9090 is already forwarded to web'
	assert_eq "$(snapshot)" "$now" "$fw: refused set changed nothing"
	# deleting the guest takes its forwards away
	run_vmm 0 delete web
	assert_eq "$(ask tcp 192.168.1.184 9090)" "" "$fw: deleted guest's tcp forward"
	assert_eq "$(ask udp 192.168.1.184 5353)" "" "$fw: deleted guest's udp forward"
	# created again with a forward, while the network is up: at once
	run_vmm 0 create web --reuse-disk --ip 192.168.166.100 --forward 8080:80
	assert_eq "$(ask tcp 192.168.1.184 8080)" "tcp 192.168.1.191" "$fw: create while up"

	# net down: the host as it was before (the stand-in's veth put back first)
	nsx "$HOST" ip link set vg0 nomaster
	run_vmm 0 net down
	assert_eq "$(snapshot)" "$before" "$fw: net down leaves the host as before"
	assert_eq "$(ask tcp 192.168.1.184 8080)" "" "$fw: nothing forwarded after net down"

	# a fresh home and namespaces for the next backend
	scenario_end "$GUEST"
}

scenario iptables-legacy
scenario nftables
echo ok
