# SPDX-License-Identifier: MIT
# `make` builds only: missing build dependencies give one line naming the Debian -dev packages and
# nothing is installed; `make check`/`demo`/`bench`/`guest` still install what they need first
# (which packages, and how: tests/cmd/make_setup.sh).
. "$SRCDIR/tests/lib.sh"
need_cmd make
need_cmd pkg-config
# Fakes that record any attempt to look up or install packages.
mkdir -p "$T/bin"
for t in apt-get apt dpkg-query sudo; do
	printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\necho not-installed\n' "$t" "$T" >"$T/bin/$t"
	chmod +x "$T/bin/$t"
done
mk() { # EXPECTED_RC ARGS...: make in the source tree (building into $T/b); $ERR is stderr
	local want=$1; shift
	: >"$T/calls"
	PATH="$T/bin:$PATH" env -u VMM_NO_DEPS -u MAKEFLAGS -u MAKELEVEL make -C "$SRCDIR" --no-print-directory BUILD="$T/b" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	ERR=$(cat "$T/err")
	[ "$RC" = "$want" ] || fail "make $*: exit $RC, wanted $want: $ERR"
}
one_line() { [ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] || fail "${1}: more than one line: $ERR"; }
all_debs="libconfig-dev libacl1-dev libnl-3-dev libnl-route-3-dev libip4tc-dev libip6tc-dev libjson-c-dev libnftables-dev libvncserver-dev libisofs-dev libpng-dev libcurl4-openssl-dev libssl-dev libvirt-dev"

# nothing found by pkg-config: one line naming every -dev package, no package manager touched
for goal in "" all unit; do
	PKG_CONFIG_LIBDIR=/nonexistent mk 2 $goal
	one_line "make $goal"
	want="vmm: missing build dependencies: $all_debs"
	[ "$goal" = unit ] && want="$want libcmocka-dev"
	assert_contains "$ERR" "$want (run \"make deps\" as root)" "make $goal"
	assert_eq "$(cat "$T/calls")" "" "make $goal looked up or installed packages"
	assert_no_file "$T/b/vmm"
done

# one module missing (every other .pc file is there): just its package
mkdir -p "$T/pc"
for d in $(pkg-config --variable pc_path pkg-config | tr ':' ' '); do
	[ -d "$d" ] && for f in "$d"/*.pc; do
		[ -e "$f" ] && [ ! -e "$T/pc/$(basename "$f")" ] && ln -s "$f" "$T/pc/"
	done
done
[ -e "$T/pc/libip4tc.pc" ] || skip "libip4tc.pc not found"
rm "$T/pc/libip4tc.pc"
PKG_CONFIG_LIBDIR="$T/pc" mk 2
one_line "make"
assert_contains "$ERR" 'vmm: missing build dependencies: libip4tc-dev (run "make deps" as root)'
assert_eq "$(cat "$T/calls")" "" "make looked up or installed packages"

# everything there: make plans a build and asks no package manager
mk 0 -n
assert_contains "$(cat "$T/out")" "$T/b/vmm"
assert_eq "$(cat "$T/calls")" "" "make -n looked up packages"
mk 0 -n unit
assert_eq "$(cat "$T/calls")" "" "make -n unit looked up packages"
mk 0 help
assert_eq "$(cat "$T/calls")" "" "make help looked up packages"

# make install puts the binary, the man page, the bash completion and the image catalog in place
if [ -x "$BUILD/vmm" ]; then
	: >"$T/calls"
	PATH="$T/bin:$PATH" make -C "$SRCDIR" --no-print-directory BUILD="$BUILD" DESTDIR="$T/dest" \
		PREFIX=/usr install >"$T/out" 2>&1 || fail "make install: $(cat "$T/out")"
	assert_file "$T/dest/usr/bin/vmm"
	cmp "$T/dest/usr/share/man/man1/vmm.1" "$SRCDIR/contrib/vmm.1" || fail "installed man page"
	cmp "$T/dest/usr/share/bash-completion/completions/vmm" "$SRCDIR/contrib/vmm.bash-completion" ||
		fail "installed bash completion"
	cmp "$T/dest/usr/share/vmm/images.cfg" "$SRCDIR/contrib/images.cfg" || fail "installed image catalog"
	assert_eq "$(cat "$T/calls")" "" "make install looked up packages"
fi

# the set-up goals still run contrib/deps.sh first (here it finds "nothing installed" through the
# fake dpkg-query, and asks for root). As root it would install: tests/cmd/make_setup.sh checks
# that, inside a mount namespace of its own, so that the host's policy-rc.d is never swapped.
if [ "$(id -u)" != 0 ]; then
	for goal in check demo bench guest; do
		mk 2 -n $goal
		assert_contains "$(cat "$T/calls")" "dpkg-query" "make $goal did not look for missing packages"
		assert_eq "$(grep -c 'apt-get install' "$T/calls")" 0 "make $goal installed without root"
		assert_contains "$ERR" "vmm: installing missing packages:"
		assert_contains "$ERR" "vmm: deps: need root to install packages (run: sudo "
	done
fi
echo ok
