#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# contrib/libvirtd-ns.sh: a private libvirtd for tests, in its own mount namespace, never the system one.
#
#   libvirtd-ns.sh start DIR [TCP_ADDR]   start it (in the caller's network namespace: wrap with
#                                         `ip netns exec NS`); prints the URI to use on stdout
#   libvirtd-ns.sh stop DIR               stop it (by the pid in DIR/libvirtd.pid) and its guests
#
# Everything libvirt keeps (/etc/libvirt, /run/libvirt, /var/lib/libvirt, /var/cache/libvirt,
# /var/log/libvirt) is bind-mounted from DIR inside a private mount namespace, so the system's
# configuration, networks (no autostarted "default" network) and guests are neither seen nor
# changed. The unix socket lives in DIR/sock (reachable from outside the mount namespace:
# qemu+unix:///system?socket=DIR/sock/libvirt-sock). With TCP_ADDR it also listens on
# TCP_ADDR:16509 without authentication (qemu+tcp://TCP_ADDR/system): only for test namespaces.
set -eu

usage() { echo "usage: $0 start DIR [TCP_ADDR] | stop DIR" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1 dir=$2 addr=${3:-}

inner() { # runs inside the new mount namespace: bind the private trees, then become libvirtd
	local d=$1 m
	shift
	mount --make-rprivate /
	for m in etc:/etc/libvirt run:/run/libvirt lib:/var/lib/libvirt cache:/var/cache/libvirt \
		log:/var/log/libvirt; do
		mount --bind "$d/${m%%:*}" "${m#*:}"
	done
	exec "$@"
}

case $cmd in
start)
	command -v libvirtd >/dev/null || { echo "libvirtd-ns: libvirtd not found (install libvirt-daemon)" >&2; exit 1; }
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	mkdir -p "$dir"/{etc/qemu/networks,etc/storage,run,lib/images,lib/qemu,lib/boot,lib/dnsmasq,lib/network,cache/qemu,log/qemu,sock}
	# mount points must exist on the host; empty directories the libvirt packages would create too
	mkdir -p /run/libvirt /var/cache/libvirt /var/log/libvirt /var/lib/libvirt
	{
		echo "unix_sock_dir = \"$dir/sock\""
		echo 'unix_sock_rw_perms = "0700"'
		echo 'auth_unix_rw = "none"'
		echo 'auth_unix_ro = "none"'
		echo 'listen_tls = 0'
		if [ -n "$addr" ]; then
			echo 'listen_tcp = 1'
			echo "listen_addr = \"$addr\""
			echo 'auth_tcp = "none"'
		else
			echo 'listen_tcp = 0'
		fi
		echo 'log_outputs = "3:file:'"$dir"'/libvirtd.log"'
	} >"$dir/etc/libvirtd.conf"
	# QEMU as root, no virtlogd/cgroups/security driver: a test instance needs none of them
	cat >"$dir/etc/qemu.conf" <<-'EOF'
	user = "root"
	group = "root"
	dynamic_ownership = 0
	remember_owner = 0
	security_driver = "none"
	cgroup_controllers = [ ]
	stdio_handler = "file"
	namespaces = [ ]
	EOF
	: >"$dir/etc/libvirt.conf"
	listen=()
	[ -n "$addr" ] && listen=(--listen)
	rm -f "$dir/libvirtd.pid"
	unshare -m --propagation private -- "$0" __inner "$dir" \
		libvirtd "${listen[@]}" --config "$dir/etc/libvirtd.conf" --pid-file "$dir/libvirtd.pid" \
		>"$dir/libvirtd.out" 2>&1 &
	echo $! >"$dir/unshare.pid"
	for _ in $(seq 1 100); do
		[ -S "$dir/sock/libvirt-sock" ] && break
		kill -0 "$(cat "$dir/unshare.pid")" 2>/dev/null || { cat "$dir/libvirtd.out" >&2; exit 1; }
		sleep 0.1
	done
	[ -S "$dir/sock/libvirt-sock" ] || { echo "libvirtd-ns: no socket after 10 s" >&2; cat "$dir/libvirtd.out" >&2; exit 1; }
	if [ -n "$addr" ]; then echo "qemu+tcp://$addr/system"
	else echo "qemu+unix:///system?socket=$dir/sock/libvirt-sock"; fi
	;;
__inner)
	shift
	inner "$@"
	;;
stop)
	[ -d "$dir" ] || exit 0
	pid=$(cat "$dir/unshare.pid" 2>/dev/null || true)
	[ -n "$pid" ] || exit 0
	# QEMUs it started: their pid files are in DIR/run/qemu
	qpids=$(cat "$dir"/run/qemu/*.pid 2>/dev/null || true)
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null || true
	for p in $qpids; do kill -9 "$p" 2>/dev/null || true; done
	# dnsmasq of its networks
	for f in "$dir"/lib/network/*.pid "$dir"/run/network/*.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
	done
	rm -f "$dir/unshare.pid"
	;;
*) usage ;;
esac
