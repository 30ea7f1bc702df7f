#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# From an image name to a shell, with a REAL Debian 12 guest (contrib/build-debian-guest.sh:
# debootstrap, Debian's cloud-init and openssh-server, packed as a qcow2; cached in
# /var/cache/vmm-test) served over HTTP from the LAN namespace with a SHA512SUMS file:
# vmm image add + pull; a download cut off half-way resumes with a Range request; two pulls at once
# download once; a wrong digest is refused and leaves nothing usable; vmm create --image NAME with
# HOME empty (vmm makes the home's key pair), start --wait (SSH banner), vmm ssh NAME -- cat
# /etc/hostname with no prompt and the remote exit status; a guest whose host keys change is refused.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd qemu-system-x86_64
need_cmd python3
need_cmd ssh
need_cmd debootstrap
debian_guest
tutorial_topology
e2e_net_cfg
vmm_in_ns "$HOST"

# an empty HOME: no ~/.ssh keys, vmm makes the home's own pair at the first create that succeeds
export HOME=$T/emptyhome; mkdir -p "$HOME"

# ---- the LAN's web server: the image and its SHA512SUMS ----
www=$T/www; mkdir -p "$www"
ln -s "$IMG" "$www/debian-12-vmm.qcow2"
(cd "$www" && sha512sum debian-12-vmm.qcow2 >SHA512SUMS && sha256sum debian-12-vmm.qcow2 >SHA256SUMS)
SUM=$(cut -d' ' -f1 "$www/SHA512SUMS")
SIZE=$(stat -L -c %s "$IMG")
URL=http://192.168.1.191:8080 # plain http on the test LAN: each add asks for it (--insecure-http)
httpd() { lan_httpd "$www" "$@"; } # extra args: --cut-after N
httpd_stop() { kill "$HTTPD"; wait "$HTTPD" 2>/dev/null; }
CACHE=$VMM_HOME/images/cache

# ---- add; a pull cut off half-way keeps its part, the next one resumes it ----
run_vmm 0 image add deb12 "$URL/debian-12-vmm.qcow2" --checksums "$URL/SHA512SUMS" --user debian --insecure-http
run_vmm 0 image list
assert_contains "$OUT" "deb12"
assert_contains "$(grep deb12 <<<"$OUT")" "home"
half=$((SIZE / 2))
httpd --cut-after $half
run_vmm 1 image pull deb12
assert_contains "$ERR" "vmm image pull deb12 resumes"
assert_eq "$(stat -c %s "$CACHE/deb12.part")" "$half" "the part holds what arrived"
assert_eq "$(ls "$CACHE" | grep -c '\.img$')" 0 "nothing usable after a cut-off download"
run_vmm 0 image pull deb12
PULLED=$OUT
assert_eq "$PULLED" "$CACHE/deb12-${SUM:0:16}.img" "pull prints the cached path"
grep -q "GET /debian-12-vmm.qcow2 bytes=$half- 206 $((SIZE - half))" "$T/http.log" ||
	fail "no resumed Range request: $(cat "$T/http.log")"
assert_eq "$(sha512sum <"$PULLED" | cut -d' ' -f1)" "$SUM" "resumed download is the image"
assert_no_file "$CACHE/deb12.part"
assert_eq "$(cut -d' ' -f1 "$PULLED.sha512")" "$SUM" "digest recorded"
# pulled again: already there, nothing downloaded
: >"$T/http.log"
run_vmm 0 image pull deb12
assert_eq "$OUT" "$PULLED"
assert_eq "$(grep -c 'GET /debian-12-vmm.qcow2 ' "$T/http.log")" 0 "no second download"
run_vmm 0 image list --json
assert_eq "$(jq -r '.[] | select(.name=="deb12") | .cached[0].digest' <<<"$OUT")" "$SUM"
assert_eq "$(jq -r '.[] | select(.name=="deb12") | .cached[0].size' <<<"$OUT")" "$SIZE"

# ---- two pulls of one image at once download it once (SHA256SUMS this time) ----
run_vmm 0 image add deb12b "$URL/debian-12-vmm.qcow2" --checksums "$URL/SHA256SUMS" --insecure-http
: >"$T/http.log"
"$VMM" image pull deb12b >"$T/p1" 2>&1 & a=$!
"$VMM" image pull deb12b >"$T/p2" 2>&1 & b=$!
wait $a || fail "pull 1: $(cat "$T/p1")"
wait $b || fail "pull 2: $(cat "$T/p2")"
assert_eq "$(grep -c 'GET /debian-12-vmm.qcow2 ' "$T/http.log")" 1 "downloaded once"
assert_eq "$(cat "$T/p1" | tail -1)" "$(cat "$T/p2" | tail -1)" "both got the same copy"
run_vmm 0 image rm deb12b
# a progress bar on a terminal (bytes, rate, ETA), nothing on a pipe or with -q
assert_not_contains "$(cat "$T/p1" "$T/p2")" "ETA" "no progress bar on a pipe"
if command -v script >/dev/null; then
	run_vmm 0 image add deb12t "$URL/debian-12-vmm.qcow2" --checksums "$URL/SHA512SUMS" --insecure-http
	VMM_BIN=$VMM script -qec '"$VMM_BIN" image pull deb12t' /dev/null >"$T/tty.out" 2>&1 ||
		fail "pull on a terminal: $(cat "$T/tty.out")"
	assert_contains "$(cat "$T/tty.out")" "ETA"
	assert_contains "$(cat "$T/tty.out")" "B/s"
	assert_contains "$(cat "$T/tty.out")" "MiB / $(awk -v s="$SIZE" 'BEGIN { printf "%.1f", s / 1048576 }') MiB"
	run_vmm 0 image rm deb12t
	run_vmm 0 image add deb12t "$URL/debian-12-vmm.qcow2" --checksums "$URL/SHA512SUMS" --insecure-http
	VMM_BIN=$VMM script -qec '"$VMM_BIN" -q image pull deb12t' /dev/null >"$T/tty.out" 2>&1 ||
		fail "pull -q on a terminal: $(cat "$T/tty.out")"
	assert_not_contains "$(cat "$T/tty.out")" "ETA" "-q: no progress bar"
	run_vmm 0 image rm deb12t
fi
assert_eq "$(ls "$CACHE" | grep -c '^deb12b-')" 0 "rm removes the cached copy"
run_vmm 0 image list
assert_not_contains "$OUT" "deb12b"

# ---- a wrong digest: refused, both digests shown, nothing usable left ----
run_vmm 0 image add bad "$URL/debian-12-vmm.qcow2" --sha512 "$(printf '0%.0s' $(seq 128))" --insecure-http
run_vmm 1 image pull bad
assert_contains "$ERR" "expected $(printf '0%.0s' $(seq 128)), got $SUM"
assert_eq "$(ls "$CACHE" | grep -c '^bad')" 1 "only the lock file of bad is left"
assert_file "$CACHE/bad.lock"
run_vmm 1 create badguest --image bad --size 4G
assert_not_contains "$ERR" "made an SSH key pair"
assert_no_file "$VMM_HOME/images/ssh/id_ed25519"
assert_no_file "$VMM_HOME/profiles/badguest.cfg"
assert_no_file "$VMM_HOME/images/badguest.qcow2"
httpd_stop

# ---- create from the image name with an empty HOME: vmm makes the home's key pair ----
APPEND="root=/dev/vda rw console=ttyS0"
run_vmm 0 create web --image deb12 --size 4G --ram 1024 --ip 192.168.166.120 \
	--kernel "$DEB/debian-12-vmm.vmlinuz" --initrd "$DEB/debian-12-vmm.initrd" --append "$APPEND"
assert_contains "$ERR" "made an SSH key pair for this home"
cfg=$(cat "$VMM_HOME/profiles/web.cfg")
assert_contains "$cfg" 'user = "debian";'
assert_contains "$cfg" "ssh_identity = \"$VMM_HOME/images/ssh/id_ed25519\";"
assert_contains "$cfg" "backing = \"$PULLED\";"
assert_eq "$(qemu-img info --output=json "$VMM_HOME/images/web.qcow2" | jq -r '."virtual-size"')" 4294967296 "grown to --size"
[ "$(stat -c %a "$VMM_HOME/images/ssh/id_ed25519")" = 600 ] || fail "home key not 0600"
assert_no_file "$HOME/.ssh"
# the second guest uses the same pair, and says nothing about it
run_vmm 0 create web2 --image deb12 --size 4G --dry-run
assert_not_contains "$ERR" "made an SSH key pair"

# ---- start --wait waits for SSH; ssh logs in with no prompt ----
"$VMM" start web --wait=ssh:400 >"$T/start.out" 2>"$T/start.err" ||
	fail "start --wait: $(cat "$T/start.err"); serial: $(tail -20 "$VMM_HOME/run/web/serial.log")"
assert_contains "$(cat "$T/start.err")" "vmm: web: SSH answers at 192.168.166.120 after"
for f in "$VMM_HOME"/images/ssh/web/ssh_host_*_key; do
	[ "$(stat -c %a "$f")" = 600 ] || fail "$f not 0600"
done
# the seed holds private host keys: its owner and (by an ACL entry) QEMU's user only
seed=$VMM_HOME/images/web-seed.iso
case "$(stat -c %a "$seed")" in 6[04]0) ;; *) fail "seed mode $(stat -c %a "$seed")";; esac
getfacl -p "$seed" 2>/dev/null | grep -q '^other::---' || fail "others may read the seed: $(getfacl -p "$seed" 2>&1)"
run_vmm 0 ssh --print web
assert_contains "$OUT" "StrictHostKeyChecking=yes"
assert_contains "$OUT" "UserKnownHostsFile=$VMM_HOME/images/ssh/web/known_hosts"
assert_contains "$OUT" "-i $VMM_HOME/images/ssh/id_ed25519"
assert_contains "$OUT" "-l debian 192.168.166.120"
# sshd may answer before cloud-init has written the user's key: retry a few times
ok=0
for _ in $(seq 60); do
	out=$(timeout 60 "$VMM" ssh web -- cat /etc/hostname </dev/null 2>"$T/ssh.err") && { ok=1; break; }
	grep -q 'Host key verification failed\|IDENTIFICATION HAS CHANGED' "$T/ssh.err" &&
		fail "host key refused on first login: $(cat "$T/ssh.err")"
	sleep 2
done
[ $ok = 1 ] || fail "vmm ssh web: $(cat "$T/ssh.err")"
assert_eq "$out" "web" "the guest's host name over ssh"
assert_not_contains "$(cat "$T/ssh.err")" "authenticity" "no host key prompt"
assert_not_contains "$(cat "$T/ssh.err")" "Permanently added" "nothing learnt on the fly"
assert_no_file "$HOME/.ssh/known_hosts"
# the command goes to the guest's shell as with ssh itself
timeout 60 "$VMM" ssh web -- 'exit 7' </dev/null 2>/dev/null; rc=$?
assert_eq "$rc" 7 "the remote command's exit status"
# host keys and seed are stable: writing the seed again changes nothing
before=$(sha256sum <"$VMM_HOME/images/web-seed.iso")
run_vmm 0 seed web
assert_eq "$(sha256sum <"$VMM_HOME/images/web-seed.iso")" "$before" "seed unchanged on rewrite"

# ---- new host keys on the guest: ssh refuses them ----
timeout 60 "$VMM" ssh web -- "sudo sh -c 'rm -f /etc/ssh/ssh_host_*; ssh-keygen -A >/dev/null; systemctl restart ssh'" \
	</dev/null >/dev/null 2>"$T/regen.err" || fail "regenerating host keys: $(cat "$T/regen.err")"
timeout 60 "$VMM" ssh web -- cat /etc/hostname </dev/null >"$T/after.out" 2>"$T/after.err"; rc=$?
assert_eq "$rc" 255 "ssh refuses a changed host key"
assert_contains "$(cat "$T/after.err")" "Host key verification failed"
assert_eq "$(cat "$T/after.out")" "" "nothing ran"
run_vmm 0 stop web --force
