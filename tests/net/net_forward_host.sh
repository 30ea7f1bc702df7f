#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# net_forward_host.sh: a forward never takes a host port from the host unasked, through each
# firewall backend: with a host service listening on port 22 (socat), `vmm create --forward
# 22:22` is refused (exit 2, one line naming the listener and its pid, nothing written, the LAN
# still reaches the host's service); with the explicit '!' it is created and port 22 from the LAN
# reaches the guest; a forward whose port a host process took after it was created (not forced)
# is left out by `net up` with one notice line, and net up still succeeds; a forward bound to
# one host address is DNATed on that address only.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd socat
need_cmd nft
need_cmd iptables-legacy

# listen NS PORT WORD: a TCP listener in NS answering "WORD CLIENT-ADDRESS"; its pid in $LPID
listen() {
	# (ip netns exec execs socat: $! is its pid)
	ip netns exec "$1" socat "TCP-LISTEN:$2,fork,reuseaddr" \
		SYSTEM:"read -r l; echo \"$3 \$SOCAT_PEERADDR\"" &
	LPID=$!
	track_pid $LPID
	for _ in $(seq 50); do
		nsx "$1" ss -ltn | grep -q ":$2 " && return 0
		sleep 0.1
	done
	fail "no listener on port $2 in $1"
}

scenario() {
	local fw=$1 before
	echo "== firewall = $fw"
	tutorial_topology
	guest_standin
	ip -n "$HOST" addr add 192.168.1.185/24 dev uplink # a second host address
	net_cfg br0 192.168.166.1/24 auto true '"auto"'
	fw_pin "$fw"
	vmm_in_ns "$HOST"
	listen "$GUEST" 22 guest
	listen "$GUEST" 80 guest80
	listen "$HOST" 22 host
	sshd_pid=$LPID
	run_vmm 0 net up
	nsx "$HOST" ip link set vg0 master br0 up

	# port 22 held by the host's service: refused, named, nothing written or changed
	before=$(tree_sum "$VMM_HOME")
	rules=$(nft_host_state "$HOST")
	run_vmm 2 create web --size 1G --ip 192.168.166.100 --forward 22:22
	assert_eq "$ERR" "vmm: forward \"tcp:22:22\": tcp host port 22 is in use by socat (pid $sshd_pid);\
 add '!' to take it anyway (\"tcp:22:22!\")" "$fw: refusal"
	assert_eq "$(tree_sum "$VMM_HOME")" "$before" "$fw: the refused create wrote something"
	assert_eq "$(nft_host_state "$HOST")" "$rules" "$fw: the refused create changed the firewall"
	assert_eq "$(ask tcp 192.168.1.184 22)" "host 192.168.1.191" "$fw: port 22 from the LAN"
	# below 1024 without a listener: refused too
	run_vmm 2 create web --size 1G --ip 192.168.166.100 --forward 80:80
	assert_contains "$ERR" "tcp host port 80 is a system port (below 1024); add '!'" "$fw: port 80"

	# taken explicitly: created, and port 22 from the LAN now reaches the guest
	run_vmm 0 create web --size 1G --ip 192.168.166.100 --forward '22:22!'
	assert_eq "$(ask tcp 192.168.1.184 22)" "guest 192.168.1.191" "$fw: forced forward"
	run_vmm 0 net up
	assert_not_contains "$ERR" "not installed" "$fw: net up with a forced forward"
	assert_eq "$(ask tcp 192.168.1.184 22)" "guest 192.168.1.191" "$fw: forced forward after net up"

	# a forward created while its port was free, then a host process takes the port: net up
	# leaves the forward out, says so in one line, and succeeds
	run_vmm 0 set web forward=tcp:2222:80
	assert_eq "$(ask tcp 192.168.1.184 2222)" "guest80 192.168.1.191" "$fw: forward to 80"
	listen "$HOST" 2222 host2222
	run_vmm 0 net up
	assert_eq "$(printf '%s\n' "$ERR" | grep 'not installed')" "vmm: forward \"tcp:2222:80\" of web:\
 not installed: tcp host port 2222 is in use by socat (pid $LPID); \"tcp:2222:80!\" would take it\
 anyway" "$fw: net up's notice"
	assert_eq "$(ask tcp 192.168.1.184 2222)" "host2222 192.168.1.191" "$fw: the host's port 2222 back"
	run_vmm 0 net status
	assert_contains "$OUT" "problem: forward \"tcp:2222:80\" of web: not installed: tcp host port 2222" \
		"$fw: net status names the forward left out"
	kill "$LPID"

	# bound to one host address: forwarded there only, the other address keeps the host's
	listen "$HOST" 8080 host8080
	run_vmm 0 set web 'forward=192.168.1.184:8080:80!'
	assert_eq "$(ask tcp 192.168.1.184 8080)" "guest80 192.168.1.191" "$fw: bound address"
	assert_eq "$(ask tcp 192.168.1.185 8080)" "host8080 192.168.1.191" "$fw: the other address"
	if [ "$fw" = nftables ]; then
		assert_contains "$(nsx "$HOST" nft list chain inet vmm prerouting)" \
			"ip daddr 192.168.1.184 fib daddr type local tcp dport 8080 dnat ip to 192.168.166.100:80"
	else
		assert_contains "$(nsx "$HOST" iptables-legacy -t nat -S VMM-PREROUTING)" \
			"-A VMM-PREROUTING -d 192.168.1.184/32 -p tcp -m tcp --dport 8080 -m addrtype --dst-type LOCAL"
	fi

	nsx "$HOST" ip link set vg0 nomaster
	run_vmm 0 net down
	scenario_end "$GUEST" "$HOST" "$LAN"
}

scenario iptables-legacy
scenario nftables
echo "net_forward_host: ok"
