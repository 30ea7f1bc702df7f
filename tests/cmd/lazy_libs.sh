# SPDX-License-Identifier: MIT
# The heavy libraries load only for the commands that use them (include/vmm/sys/dynlib.h): vmm
# does not link them, `vmm version` and `vmm list` map none of them, and with one of them made
# unusable (a private mount namespace binds /dev/null over its file) every other command still
# works while the one that needs it fails with one line naming the Debian package, having
# changed nothing.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd unshare
need_cmd readelf
need_cmd qemu-img

HEAVY="libcurl libcrypto libisofs libvncclient libpng16 libnftables libvirt"
needed=$(readelf -d "$VMM" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
[ -n "$needed" ] || fail "readelf found no NEEDED entries in $VMM"
for l in $HEAVY; do
	assert_not_contains "$needed" "$l.so" "vmm is linked with $l"
done

# maps ARGS...: the shared objects vmm loads for `vmm ARGS` (the loader's own account)
maps() { LD_DEBUG=files "$VMM" "$@" 2>&1 >/dev/null | sed -n 's/.*file=\([^ ]*\) \[0\];  generating link map/\1/p'; }
# soname LIB: the name vmm opens LIB by (as the build wrote it into the binary)
soname() { grep -aoE -m1 "$1\.so\.[0-9]+" "$VMM" | head -n 1; }
# the folder of the libraries (where vmm's own libjson-c is)
LIBDIR=$(dirname "$(ldd "$VMM" | awk '/libjson-c/ { print $3 }')")
[ -d "$LIBDIR" ] || fail "no library folder from ldd $VMM"
# without "LIBS" ARGS...: `vmm ARGS` (inside $IN_NS when set) where each library of LIBS is an
# empty file (only for this process: a private mount namespace); sets OUT, ERR, RC like run_vmm
IN_NS=
without() {
	local files="" l so
	for l in $1; do
		so=$(soname "$l")
		[ -n "$so" ] || fail "vmm names no $l.so.N"
		[ -e "$LIBDIR/$so" ] || fail "$LIBDIR/$so: not there"
		files="$files $(readlink -f "$LIBDIR/$so")"
	done
	shift
	OUT=$(unshare -m --propagation private sh -c 'for f in $1; do mount --bind /dev/null "$f" ||
		exit 99; done; shift; exec "$@"' sh "$files" ${IN_NS:+ip netns exec "$IN_NS"} "$VMM" "$@" \
		2>"$T/stderr")
	RC=$?
	ERR=$(cat "$T/stderr")
	[ "$RC" != 99 ] || fail "could not hide $files"
}
# fails_for LIB PACKAGE WHAT: the last `without` failed (exit 1) with the one line for LIB
fails_for() {
	assert_eq "$RC" 1 "exit code without $1 (stderr: $ERR)"
	assert_eq "$(printf '%s\n' "$ERR" | wc -l)" 1 "one line without $1: $ERR"
	assert_contains "$ERR" "vmm: $(soname "$1"): cannot load, needed for $3 (install the $2 package): "
}

e2e_net_cfg
run_vmm 0 create g --size 1G --ram 256 --ip 192.168.166.100/24
ISO=$VMM_HOME/images/g-seed.iso

# ---- the commands that need none of them map none of them, and work without them ----
for args in version list "show g" "--dry-run start g"; do
	m=$(maps $args)
	assert_contains "$m" "libjson-c.so" "maps of vmm $args (the loader's account is read)"
	for l in $HEAVY; do
		assert_not_contains "$m" "$l.so" "vmm $args maps $l"
	done
done
without "libcurl libcrypto libisofs libvncclient libpng16 libvirt" list
assert_eq "$RC" 0 "vmm list without the heavy libraries: $ERR"
assert_contains "$OUT" "g "
without "libcurl libcrypto libisofs libvncclient libpng16 libvirt" show g
assert_eq "$RC" 0 "vmm show without the heavy libraries: $ERR"

# ---- libisofs: vmm seed, and only it ----
assert_contains "$(maps seed g)" "$(soname libisofs)" "vmm seed maps libisofs"
rm -rf "$ISO" "$VMM_HOME/images/ssh/g"
before=$(tree_sum "$VMM_HOME")
without libisofs seed g
fails_for libisofs libisofs6 "the seed ISO"
assert_eq "$(tree_sum "$VMM_HOME")" "$before" "a seed that cannot be written changes nothing"
run_vmm 0 seed g
assert_eq "$OUT" "$ISO"
# an unchanged seed (its fingerprint in the ISO) is neither built nor rewritten: no libisofs
assert_not_contains "$(maps seed g)" "$(soname libisofs)" "vmm seed of an unchanged seed maps libisofs"
without libisofs seed g
assert_eq "$RC" 0 "an up-to-date seed without libisofs: $ERR"
# a changed one is built again, and needs it
run_vmm 0 set g hostname=other
without libisofs seed g
fails_for libisofs libisofs6 "the seed ISO"
run_vmm 0 seed g

# ---- libcurl, libcrypto: vmm image pull, before any download or cache folder ----
export VMM_IMAGE_CATALOG=$SRCDIR/contrib/images.cfg
run_vmm 0 image add mine http://127.0.0.1:9/mine.qcow2 --insecure-http --sha256 "$(printf 'a%.0s' $(seq 64))"
before=$(tree_sum "$VMM_HOME")
for lib in "libcurl libcurl4 image downloads" "libcrypto libssl3 image digests"; do
	set -- $lib
	without "$1" image pull mine
	fails_for "$1" "$2" "${*:3}"
	assert_no_file "$VMM_HOME/images/cache"
	assert_eq "$(tree_sum "$VMM_HOME")" "$before" "a pull without $1 changes nothing"
done
# with both, the pull gets as far as the network (nothing listens on port 9)
run_vmm 1 image pull mine
assert_contains "$ERR" "vmm: image mine: download http://127.0.0.1:9/mine.qcow2:"

# ---- libvncclient and libpng: vmm vnc, only once a guest runs (its check comes first) ----
without "libvncclient libpng16" vnc g
assert_eq "$ERR" "vmm: g: not running"

# ---- libnftables: vmm net up with the nftables firewall, in a namespace of its own; a net up
# that fails there rolls back what it did ----
need_cmd nft
IN_NS=$(new_ns vmmlazy); ns_track "$IN_NS"
fw_pin nftables
snap=$(net_snapshot "$IN_NS")
without libnftables net up
fails_for libnftables libnftables1 "the nftables firewall"
assert_eq "$(net_snapshot "$IN_NS")" "$snap" "a net up without libnftables leaves the namespace as it was"
without "libcurl libcrypto libisofs libvncclient libpng16 libvirt" net up
assert_eq "$RC" 0 "net up without the other libraries: $ERR"
assert_contains "$(nsx "$IN_NS" nft list table inet vmm)" "masquerade"
nsx "$IN_NS" "$VMM" net down >/dev/null 2>&1 || fail "net down"
