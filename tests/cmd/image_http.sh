# SPDX-License-Identifier: MIT
# image_http.sh: issue 17 item 8. The attack: a plain-http image source (vmm image add URL, or
# VMM_IMAGE_MIRROR) is accepted silently, and its checksums come from the same plaintext source,
# so whoever sits on the way (here: the server itself plays the man in the middle) serves a
# swapped image with matching checksums and vmm caches it as verified. Also: a download has no
# size limit, so a source can fill the disk. vmm must refuse plain http unless asked for
# (--insecure-http, VMM_IMAGE_MIRROR_INSECURE=1; a file:// mirror is fine), in one line, exit 2,
# nothing changed; and stop a download over VMM_IMAGE_MAX_SIZE (default 16 GiB), leaving nothing
# in the cache. The server listens on 127.0.0.1 only.
. "$SRCDIR/tests/lib.sh"
need_cmd python3
need_cmd truncate
export VMM_IMAGE_CATALOG=$SRCDIR/contrib/images.cfg
unset VMM_IMAGE_MIRROR VMM_IMAGE_MIRROR_INSECURE VMM_IMAGE_MAX_SIZE
cache=$VMM_HOME/images/cache

# the "attacker's" files: an image that is not the one asked for, and checksums that match it
www=$T/www; d=$www/bookworm/latest
mkdir -p "$d"
head -c 300000 /dev/urandom >"$d/debian-12-genericcloud-amd64.qcow2"
(cd "$d" && sha512sum debian-12-genericcloud-amd64.qcow2 >SHA512SUMS)
cp "$d/debian-12-genericcloud-amd64.qcow2" "$www/evil.img"
(cd "$www" && sha256sum evil.img >SHA256SUMS)
head -c $((2 << 20)) /dev/urandom >"$www/big.img"
big256=$(sha256sum <"$www/big.img" | cut -d' ' -f1)
httpd() { # PORT [httpd.py options]
	local port=$1; shift
	python3 "$SRCDIR/tests/e2e/httpd.py" "$www" 127.0.0.1 "$port" "$T/http-$port.log" "$@" \
		>"$T/httpd-$port.out" 2>&1 &
	track_pid $!
	for _ in $(seq 50); do grep -q ready "$T/httpd-$port.out" 2>/dev/null && return 0; sleep 0.1; done
	fail "httpd did not start: $(cat "$T/httpd-$port.out")"
}
P=$((20000 + RANDOM % 20000)); P2=$((P + 1))
httpd $P
httpd $P2 --no-length
U=http://127.0.0.1:$P
cached() { ls "$cache" 2>/dev/null | grep -v '\.lock$' || true; }

# ---- 1. image add with a plain http URL or checksums: refused, nothing changed ----
run_vmm 0 list >/dev/null
before=$(tree_sum "$VMM_HOME")
run_vmm 2 image add evil "$U/evil.img" --checksums "$U/SHA256SUMS"
assert_eq "$ERR" "vmm: image evil: $U/evil.img: plain http, anyone on the way could swap the image and its checksums (use https:// or file://, or add it with --insecure-http)"
run_vmm 2 image add evil "https://example.org/evil.img" --checksums "$U/SHA256SUMS"
assert_eq "$ERR" "vmm: image evil: $U/SHA256SUMS: plain http, anyone on the way could swap the image and its checksums (use https:// or file://, or add it with --insecure-http)"
assert_eq "$(tree_sum "$VMM_HOME")" "$before" "a refused add changes nothing"
[ ! -s "$T/http-$P.log" ] || fail "a refused add made a request: $(cat "$T/http-$P.log")"
# asked for explicitly: added (and said so in images.cfg), then pulled
run_vmm 0 image add evil "$U/evil.img" --checksums "$U/SHA256SUMS" --insecure-http
assert_contains "$(cat "$VMM_HOME/images/images.cfg")" "insecure_http = true;"
run_vmm 0 image pull evil
assert_contains "$OUT" "$cache/evil-"
run_vmm 2 image pull evil --insecure-http
assert_contains "$ERR" "are for \"image add\""
# an images.cfg entry written by hand without the opt-in is refused as the add is
printf 'images = ( { name = "hand"; url = "%s/evil.img"; checksums = "%s/SHA256SUMS"; } );\n' "$U" "$U" \
	>"$VMM_HOME/images/images.cfg"
run_vmm 2 image pull hand
assert_contains "$ERR" "images.cfg:1: image hand: $U/evil.img: plain http"
rm "$VMM_HOME/images/images.cfg"

# ---- 2. VMM_IMAGE_MIRROR (and net.cfg's image_mirror) over plain http ----
: >"$T/http-$P.log"
VMM_IMAGE_MIRROR=$U/ run_vmm 2 image pull debian-12
assert_eq "$ERR" "vmm: image mirror $U/: plain http, anyone on the way could swap the images and their checksums (use https:// or file://, or set VMM_IMAGE_MIRROR_INSECURE=1)"
net_cfg br0 192.168.166.1/24 auto true '"auto"'
echo "image_mirror = \"$U/\";" >>"$VMM_HOME/profiles/net.cfg"
run_vmm 2 image pull debian-12
assert_contains "$ERR" "vmm: image mirror $U/: plain http"
VMM_IMAGE_MIRROR=$U/ run_vmm 2 create g --image debian-12 --size 1G
assert_contains "$ERR" "vmm: image mirror $U/: plain http"
assert_no_file "$VMM_HOME/profiles/g.cfg"
[ ! -s "$T/http-$P.log" ] || fail "a refused mirror was asked: $(cat "$T/http-$P.log")"
assert_eq "$(cached | grep -v "^evil" || true)" "" "nothing new cached"
# asked for: the mirror is used
VMM_IMAGE_MIRROR_INSECURE=1 run_vmm 0 image pull debian-12
assert_contains "$OUT" "$cache/debian-12-"
grep -q "GET /bookworm/latest/SHA512SUMS" "$T/http-$P.log" || fail "the mirror was not asked"
sed -i '/image_mirror/d' "$VMM_HOME/profiles/net.cfg"
run_vmm 0 image rm debian-12
# a file:// mirror needs no opt-in
VMM_IMAGE_MIRROR=file://$www/ run_vmm 0 image pull debian-12
assert_contains "$OUT" "$cache/debian-12-"
run_vmm 0 image rm debian-12

# ---- 3. the size limit: stopped, nothing left in the cache (no part to resume either) ----
run_vmm 0 image add big "$U/big.img" --sha256 "$big256" --insecure-http
run_vmm 0 image add biglen "http://127.0.0.1:$P2/big.img" --sha256 "$big256" --insecure-http
run_vmm 0 image add bigfile "file://$www/big.img" --sha256 "$big256"
for n in big biglen bigfile; do # (announced length; a stream without one; a local file)
	VMM_IMAGE_MAX_SIZE=1M run_vmm 1 image pull $n
	url=$(sed -n "/name = \"$n\"/{n;s/.*url = \"\\(.*\\)\";/\\1/p}" "$VMM_HOME/images/images.cfg")
	assert_eq "$ERR" "vmm: image $n: download $url: larger than the limit of 1 MiB (VMM_IMAGE_MAX_SIZE sets it): download removed"
	assert_eq "$(cached | grep "^$n" || true)" "" "$n: nothing in the cache"
done
grep -q "GET /big.img" "$T/http-$P2.log" || fail "the stream without a length was not asked"
VMM_IMAGE_MAX_SIZE=3M run_vmm 0 image pull biglen
assert_contains "$OUT" "$cache/biglen-"
VMM_IMAGE_MAX_SIZE=lots run_vmm 2 image pull big
# the default limit, 16 GiB: a (sparse) 17 GiB image is refused before a byte is copied (vmm
# may write no file over 10 MiB here: a download that started would die of SIGXFSZ)
truncate -s 17G "$www/huge.img"
run_vmm 0 image add huge "file://$www/huge.img" --sha256 "$big256"
(ulimit -f 10240; "$VMM" image pull huge >/dev/null 2>"$T/stderr"); RC=$?; ERR=$(cat "$T/stderr")
assert_eq "$RC" 1 "pull of a 17 GiB image: $ERR"
assert_eq "$ERR" "vmm: image huge: download file://$www/huge.img: larger than the limit of 16 GiB (VMM_IMAGE_MAX_SIZE sets it): download removed"
assert_eq "$(cached | grep '^huge' || true)" "" "huge: nothing in the cache"
echo ok
