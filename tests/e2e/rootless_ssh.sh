#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A REAL Debian 12 guest without root: an ordinary user made here (no sudo, no groups) adds the
# image (contrib/build-debian-guest.sh, served from the LAN with its SHA512SUMS), creates `web`
# from it in its own home, `vmm start web --wait` returns once SSH answers (waited for from inside
# the user's namespace), `vmm ssh web -- cat /etc/hostname` prints web with the pinned host keys
# (no prompt, nothing learnt), a forward of the host's own port reaches the guest's sshd; every
# process is the user's; stop and net down leave no process, namespace or run file.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd qemu-system-x86_64
need_cmd python3
need_cmd ssh
need_cmd debootstrap
need_cmd pasta
need_cmd lsns
debian_guest
tutorial_topology
rootless_user
user_net_cfg
before=$(net_snapshot "$HOST")

# the LAN's web server: the image and its SHA512SUMS
www=$T/www; mkdir -p "$www"
ln -s "$IMG" "$www/debian-12-vmm.qcow2"
(cd "$www" && sha512sum debian-12-vmm.qcow2 >SHA512SUMS)
lan_httpd "$www"
URL=http://192.168.1.191:8080

run_as() { OUT=$(as_ruser "$VMM" "$@" 2>"$T/stderr"); RC=$?; ERR=$(cat "$T/stderr"); }
run_as image add deb12 "$URL/debian-12-vmm.qcow2" --checksums "$URL/SHA512SUMS" --user debian \
	--insecure-http
assert_eq "$RC" 0 "image add: $ERR"
run_as create web --image deb12 --size 4G --ram 1024 --ip 192.168.166.120 --forward 2222:22 \
	--kernel "$DEB/debian-12-vmm.vmlinuz" --initrd "$DEB/debian-12-vmm.initrd" \
	--append "root=/dev/vda rw console=ttyS0"
assert_eq "$RC" 0 "create web: $ERR"
assert_contains "$ERR" "made an SSH key pair for this home"
assert_file "$RHOME/.local/share/vmm/images/web.qcow2"

# start --wait: the network comes up in the user's namespace, the wait is for SSH from in there
as_ruser "$VMM" start web --wait=ssh:400 >"$T/start.out" 2>"$T/start.err" ||
	fail "start --wait: $(cat "$T/start.err"); serial: $(tail -20 "$RRUN/vmm/web/serial.log")"
assert_contains "$(cat "$T/start.err")" "bringing it up in a network namespace of your own"
assert_contains "$(cat "$T/start.err")" "vmm: web: SSH answers at 192.168.166.120 after"
user_uids_only "web running"
assert_eq "$(net_snapshot "$HOST")" "$before" "the host namespace while web runs"

# vmm ssh: from inside the namespace, as debian, the home's key, host keys pinned
run_as ssh --print web
assert_contains "$OUT" "StrictHostKeyChecking=yes"
assert_contains "$OUT" "-l debian 192.168.166.120"
ok=0
for _ in $(seq 30); do # sshd may answer before cloud-init has written the user's key
	out=$(as_ruser timeout 20 "$VMM" ssh web -- cat /etc/hostname </dev/null 2>"$T/ssh.err") &&
		{ ok=1; break; }
	grep -q 'Host key verification failed\|IDENTIFICATION HAS CHANGED' "$T/ssh.err" &&
		fail "host key refused: $(cat "$T/ssh.err")"
	sleep 2
done
[ $ok = 1 ] || fail "vmm ssh web: $(cat "$T/ssh.err")"
assert_eq "$out" "web" "the guest's host name over ssh"
assert_not_contains "$(cat "$T/ssh.err")" "authenticity" "no host key prompt"
assert_not_contains "$(cat "$T/ssh.err")" "Permanently added" "nothing learnt on the fly"
as_ruser timeout 60 "$VMM" ssh web -- 'exit 7' </dev/null 2>/dev/null; rc=$?
assert_eq "$rc" 7 "the remote command's exit status"

# the forward: the host's own port 2222 reaches the guest's sshd (from the host's loopback: the
# connection reaches the guest from the bridge's address; this image renders its default route as
# `route add`, which it lacks, so it answers the LAN only on its own subnet)
banner=$(sleep 3 | nsx "$HOST" timeout 10 socat -T5 - TCP:127.0.0.1:2222 2>/dev/null | head -1)
assert_contains "$banner" "SSH-2.0-OpenSSH" "sshd through the forward from the host's loopback"

run_as stop web
assert_eq "$RC" 0 "stop web: $ERR"
run_as net down
assert_eq "$RC" 0 "net down: $ERR"
user_nothing_left "after net down"
assert_eq "$(net_snapshot "$HOST")" "$before" "the host namespace after net down"
echo ok
