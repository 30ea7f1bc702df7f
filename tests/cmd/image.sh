# SPDX-License-Identifier: MIT
# vmm image and vmm ssh without a network: the catalog and the mirror, the home's entries, refusals
# that change nothing, a failed download leaves nothing usable; create's default key (made once,
# with an empty HOME) and --ssh-key's private half; host keys made at seed time and pinned in
# known_hosts; the ssh command line.
. "$SRCDIR/tests/lib.sh"
need_cmd ssh-keygen
need_cmd jq
export VMM_IMAGE_CATALOG=$SRCDIR/contrib/images.cfg
export HOME=$T/emptyhome; mkdir -p "$HOME"
unset VMM_IMAGE_MIRROR

# ---- the catalog ----
run_vmm 0 image list
for n in debian-12 debian-13 ubuntu-22.04 ubuntu-24.04 fedora-42 almalinux-9 rocky-9 alpine-3.21; do
	assert_contains "$OUT" "$n " "catalog lists $n"
done
run_vmm 0 image list --json
assert_eq "$(jq -r '.[] | select(.name=="debian-12") | .checksums' <<<"$OUT")" \
	https://cloud.debian.org/images/cloud/bookworm/latest/SHA512SUMS
assert_eq "$(jq -r '.[] | select(.name=="ubuntu-24.04") | .user' <<<"$OUT")" ubuntu
for u in $(jq -r '.[].url' <<<"$OUT"); do case "$u" in https://*) ;; *) fail "not https: $u";; esac; done
# the mirror replaces the base and keeps the path; the environment beats net.cfg
net_cfg br0 192.168.166.1/24 auto true '"auto"'
echo 'image_mirror = "http://mirror.lan/vmm/";' >>"$VMM_HOME/profiles/net.cfg"
export VMM_IMAGE_MIRROR_INSECURE=1 # plain http asked for (tests/cmd/image_http.sh: refused without)
run_vmm 0 image list --json
assert_eq "$(jq -r '.[] | select(.name=="debian-12") | .url' <<<"$OUT")" \
	http://mirror.lan/vmm/bookworm/latest/debian-12-genericcloud-amd64.qcow2
assert_eq "$(jq -r '.[] | select(.name=="debian-12") | .checksums' <<<"$OUT")" \
	http://mirror.lan/vmm/bookworm/latest/SHA512SUMS
OUT=$(VMM_IMAGE_MIRROR=https://m2.example/x "$VMM" image list --json)
assert_eq "$(jq -r '.[] | select(.name=="ubuntu-24.04") | .url' <<<"$OUT")" \
	https://m2.example/x/releases/24.04/release/ubuntu-24.04-server-cloudimg-amd64.img
run_x() { local w=$1; shift; OUT=$(env "$@" 2>"$T/stderr"); RC=$?; ERR=$(cat "$T/stderr"); assert_eq "$RC" "$w" "$*: $ERR"; }
run_x 2 VMM_IMAGE_MIRROR=ftp://m "$VMM" image list
assert_contains "$ERR" "image mirror ftp://m: want an https://, http:// or file:// URL"
# a broken catalog: file and line
printf 'images = ( { name = "x"; url = "http://h/x.img"; sha256 = "00"; } );\n' >"$T/bad.cfg"
run_x 2 VMM_IMAGE_CATALOG="$T/bad.cfg" "$VMM" image list
assert_contains "$ERR" "$T/bad.cfg:1: sha256 00: want 64 hex digits"

# ---- the home's own entries ----
before=$(tree_sum "$VMM_HOME")
run_vmm 2 image add
run_vmm 2 image add x http://h/x.img
assert_contains "$ERR" "add needs one of --checksums, --sha256, --sha512"
run_vmm 2 image add x http://h/x.img --sha256 abc
run_vmm 2 image add x http://h/x.img --sha256 "$(printf 'a%.0s' $(seq 64))" --sha512 "$(printf 'a%.0s' $(seq 128))"
run_vmm 2 image add 'X!' http://h/x.img --checksums http://h/SUMS
run_vmm 2 image add x file:///x.img --checksums http://h/SUMS
run_vmm 2 image add x ftp://h/x.img --checksums https://h/SUMS
run_vmm 2 image add x http://h/x.img --checksums http://h/SUMS --user 'root;'
assert_eq "$(tree_sum "$VMM_HOME")" "$before" "refused adds change nothing"
run_vmm 0 image add mine http://127.0.0.1:9/mine.qcow2 --sha256 "$(printf 'A%.0s' $(seq 64))" --user cloud \
	--insecure-http
run_vmm 0 image list --json
assert_eq "$(jq -r '.[] | select(.name=="mine") | .sha256' <<<"$OUT")" "$(printf 'a%.0s' $(seq 64))" "digest lowercased"
assert_eq "$(jq -r '.[] | select(.name=="mine") | .source' <<<"$OUT")" home
run_vmm 2 image add mine http://h/y.img --checksums http://h/SUMS --insecure-http
assert_contains "$ERR" "image mine: already added to this home"
# a home entry shadows the catalog's
run_vmm 0 image add debian-12 http://127.0.0.1:9/d.qcow2 --checksums http://127.0.0.1:9/SHA512SUMS \
	--insecure-http
run_vmm 0 image list --json
assert_eq "$(jq -r '[.[] | select(.name=="debian-12")] | length' <<<"$OUT")" 1
assert_eq "$(jq -r '.[] | select(.name=="debian-12") | .url' <<<"$OUT")" http://127.0.0.1:9/d.qcow2
run_vmm 0 image rm debian-12
run_vmm 0 image list --json
assert_eq "$(jq -r '.[] | select(.name=="debian-12") | .source' <<<"$OUT")" catalog "catalog entry back"

# ---- downloads that fail leave nothing usable ----
run_vmm 2 image pull nosuch
assert_eq "$ERR" "vmm: image nosuch: unknown (see vmm image list)"
run_vmm 1 image pull mine
assert_contains "$ERR" "vmm: image mine: download http://127.0.0.1:9/mine.qcow2:"
assert_eq "$(ls "$VMM_HOME/images/cache" | grep -v '\.lock$' | grep -v '\.part' || true)" "" "nothing cached"
run_vmm 1 image pull debian-12   # its checksums file is out of reach (mirror.lan)
assert_contains "$ERR" "vmm: image debian-12: checksums http://mirror.lan/vmm/bookworm/latest/SHA512SUMS:"
run_vmm 1 create g0 --image mine
assert_no_file "$VMM_HOME/profiles/g0.cfg"
assert_no_file "$VMM_HOME/images/g0.qcow2"
assert_no_file "$VMM_HOME/images/ssh/id_ed25519" "no key made for a create that failed"

# ---- HTTPS: a certificate the system's CA store does not vouch for is refused ----
if command -v openssl >/dev/null && command -v python3 >/dev/null; then
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 \
		-subj /CN=localhost -addext subjectAltName=DNS:localhost >/dev/null 2>&1 || fail "openssl req"
	mkdir -p "$T/www"; echo data >"$T/www/x.img"
	port=$((20000 + RANDOM % 20000))
	python3 "$SRCDIR/tests/e2e/httpd.py" "$T/www" 127.0.0.1 $port "$T/https.log" \
		--tls "$T/cert.pem" "$T/key.pem" >"$T/https.out" 2>&1 &
	track_pid $!
	for _ in $(seq 50); do grep -q ready "$T/https.out" && break; sleep 0.1; done
	run_vmm 0 image add tls "https://localhost:$port/x.img" --sha256 "$(sha256sum <"$T/www/x.img" | cut -d' ' -f1)"
	run_vmm 1 image pull tls
	assert_contains "$ERR" "certificate"
	assert_eq "$(ls "$VMM_HOME/images/cache" | grep '^tls-' || true)" "" "nothing cached from an unverified server"
	[ ! -s "$T/https.log" ] || fail "a request went through: $(cat "$T/https.log")"
fi

# ---- create: --image NAME in a dry run, the default key made once ----
run_vmm 0 create g1 --image ubuntu-24.04 --size 8G --dry-run
assert_contains "$OUT" "# would pull image ubuntu-24.04"
assert_contains "$OUT" 'user = "ubuntu";'
assert_contains "$ERR" "would make an SSH key pair for this home"
assert_no_file "$VMM_HOME/images/ssh/id_ed25519"
run_vmm 0 create g1 --size 1G
assert_contains "$ERR" "vmm: made an SSH key pair for this home: $VMM_HOME/images/ssh/id_ed25519"
assert_eq "$(stat -c %a "$VMM_HOME/images/ssh/id_ed25519")" 600
assert_contains "$(cat "$VMM_HOME/profiles/g1.cfg")" "ssh_keys = [ \"$(cut -d' ' -f1-3 "$VMM_HOME/images/ssh/id_ed25519.pub")\" ];"
assert_contains "$(cat "$VMM_HOME/profiles/g1.cfg")" "ssh_identity = \"$VMM_HOME/images/ssh/id_ed25519\";"
run_vmm 0 create g2 --size 1G
assert_not_contains "$ERR" "made an SSH key pair" "said once"
assert_no_file "$HOME/.ssh"
# the user's own key comes first, and --ssh-key's private half is recorded
mkdir -p "$HOME/.ssh"; ssh-keygen -q -t ed25519 -N '' -f "$HOME/.ssh/id_ed25519"
run_vmm 0 create g3 --size 1G
assert_contains "$(cat "$VMM_HOME/profiles/g3.cfg")" "ssh_identity = \"$HOME/.ssh/id_ed25519\";"
ssh-keygen -q -t ecdsa -N '' -f "$T/other"
run_vmm 0 create g4 --size 1G --ssh-key "$T/other.pub"
assert_contains "$(cat "$VMM_HOME/profiles/g4.cfg")" "ssh_identity = \"$T/other\";"
assert_contains "$(cat "$VMM_HOME/profiles/g4.cfg")" "$(cut -d' ' -f2 "$T/other.pub")"

# ---- host keys: made once at seed time, pinned in known_hosts; the ssh command ----
run_vmm 1 ssh g1 --print
assert_contains "$ERR" "g1: vmm has no host keys for this guest"
run_vmm 0 seed g1
iso=$VMM_HOME/images/g1-seed.iso
assert_eq "$(stat -c %a "$iso")" 600 "a seed with private host keys is private"
kd=$VMM_HOME/images/ssh/g1
for t in ed25519 ecdsa rsa; do
	assert_eq "$(stat -c %a "$kd/ssh_host_${t}_key")" 600
	grep -qF "192.168.166.100 $(cut -d' ' -f1-2 "$kd/ssh_host_${t}_key.pub")" "$kd/known_hosts" ||
		fail "known_hosts lacks the $t key: $(cat "$kd/known_hosts")"
done
keys=$(cat "$kd"/*.pub | sha256sum); sum=$(sha256sum <"$iso")
run_vmm 0 seed g1
assert_eq "$(cat "$kd"/*.pub | sha256sum)" "$keys" "host keys made once"
assert_eq "$(sha256sum <"$iso")" "$sum" "seed stable"
run_vmm 0 seed g1 --print
assert_contains "$OUT" "ssh_deletekeys: true"
# cloud-init's own validator accepts the user-data with the host keys
if command -v cloud-init >/dev/null; then
	printf '%s\n' "$OUT" | sed -n '/^==> user-data <==$/,/^==> network-config <==$/p' | sed '1d;$d' >"$T/ud"
	out=$(cloud-init schema --config-file "$T/ud" 2>&1) || fail "cloud-init schema: $out"
	assert_contains "$out" "Valid cloud-config"
	python3 -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); k = d["ssh_keys"]; assert sorted(k) == sorted(t + s for t in ("ed25519", "ecdsa", "rsa") for s in ("_private", "_public")), k; assert k["ed25519_private"].startswith("-----BEGIN OPENSSH PRIVATE KEY-----\n"), k' "$T/ud" ||
		fail "ssh_keys in user-data: $(cat "$T/ud")"
fi
assert_contains "$OUT" "  ed25519_public: \"$(cat "$kd/ssh_host_ed25519_key.pub")\""
run_vmm 0 set g1 user=debian
run_vmm 0 ssh g1 --print -- uname -a
assert_eq "$OUT" "ssh -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$kd/known_hosts -o GlobalKnownHostsFile=/dev/null -o UpdateHostKeys=no -o IdentitiesOnly=yes -i $VMM_HOME/images/ssh/id_ed25519 -l debian 192.168.166.100 uname -a"
# a new address: known_hosts follows at the next ssh (not with --print)
run_vmm 0 set g1 ip=192.168.166.150
run_vmm 2 set g1 user=Root
run_vmm 2 ssh
run_vmm 2 ssh g1 g2
# guests without SSH keys get no host keys and no ssh_keys in their seed
printf 'disk = { path = "n.qcow2"; size = "1G"; };\nnet = { mac = "52:54:00:00:00:99"; address = "192.168.166.199/24"; };\nvnc = { display = 90; listen = "127.0.0.1"; };\n' >"$VMM_HOME/profiles/nokeys.cfg"
run_vmm 0 seed nokeys --print
assert_not_contains "$OUT" "ssh_keys"
run_vmm 0 seed nokeys
assert_no_file "$VMM_HOME/images/ssh/nokeys"
assert_eq "$(stat -c %a "$VMM_HOME/images/nokeys-seed.iso")" 600 "every seed is private"
# delete --purge takes the host keys with it
run_vmm 0 delete g1 --purge
assert_no_file "$kd"
echo ok
