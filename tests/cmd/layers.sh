# SPDX-License-Identifier: MIT
# The layer picture (contrib/layers) holds for the tree: every #include "vmm/..." points down,
# no circle inside a folder, the "apart" modules reach none of each other, each function is
# declared in its own module's header, HACKING.md shows the table's picture. Then the checker
# itself, on a copy of the tree: each kind of break it guards is planted once and named.
. "$SRCDIR/tests/lib.sh"
need_cmd nm
need_cmd cc
ls "$BUILD"/src/*/*.o >/dev/null 2>&1 || skip "no objects in $BUILD/src (make first)"

OUT=$("$SRCDIR/contrib/layers.sh" check -C "$SRCDIR" -b "$BUILD" 2>&1) ||
	fail "the tree breaks its layer picture:
$OUT"
assert_eq "$OUT" "" "a clean check prints nothing"

copy() { # a fresh copy of what the checker reads
	rm -rf "$T/tree"
	mkdir -p "$T/tree/contrib"
	cp -r "$SRCDIR/src" "$SRCDIR/include" "$SRCDIR/HACKING.md" "$T/tree/"
	cp "$SRCDIR/contrib/layers" "$SRCDIR/contrib/layers.sh" "$T/tree/contrib/"
}
# planted WHAT WANTED...: the check of the copy fails, naming each WANTED (one per line)
planted() {
	local what=$1 w; shift
	OUT=$("$T/tree/contrib/layers.sh" check -C "$T/tree" -b "$BUILD" 2>&1) && fail "$what: passed"
	for w in "$@"; do assert_contains "$OUT" "$w" "$what"; done
}
line_of() { wc -l <"$T/tree/$1"; } # the line a text appended to FILE lands on, after it

# an arrow up: storage includes a header of the guest layer
copy
echo '#include "vmm/guest/lifecycle.h"' >>"$T/tree/src/storage/seed.c"
at="src/storage/seed.c:$(line_of src/storage/seed.c)"
planted "an include up" \
	"$at: #include \"vmm/guest/lifecycle.h\" points up: guest is a layer above storage"
assert_eq "$(printf '%s\n' "$OUT" | wc -l)" 1 "one break, one line"

# an arrow across: a backend includes the host network's taps (a header too)
copy
echo '#include "vmm/net/tap.h"' >>"$T/tree/include/vmm/backend/qemu.h"
at="include/vmm/backend/qemu.h:$(line_of include/vmm/backend/qemu.h)"
planted "an include across" \
	"$at: #include \"vmm/net/tap.h\" points across: net and backend are siblings"

# a circle inside a folder: forward.c, a leaf under hostnet, includes hostnet.h
copy
echo '#include "vmm/net/hostnet.h"' >>"$T/tree/src/net/forward.c"
planted "a circle" "a circle: net/" "net/forward → net/hostnet" \
	"src/net/forward.c:$(line_of src/net/forward.c): #include \"vmm/net/hostnet.h\""

# one implementation of an interface reaching another
copy
echo '#include "vmm/backend/qemu.h"' >>"$T/tree/src/backend/libvirt.c"
planted "apart modules" "backend/libvirt reaches backend/qemu (contrib/layers: apart"

# a declaration away from its definition
copy
echo 'char *util_strdup(const char *s);' >>"$T/tree/include/vmm/config/store.h"
planted "a declaration elsewhere" \
	"include/vmm/config/store.h: declares util_strdup, which src/sys/util.c defines"

# an include that hides its folder, and a file outside the folders
copy
echo '#include "../../include/vmm/sys/util.h"' >>"$T/tree/src/sys/error.c"
: >"$T/tree/src/extra.c"
planted "a bare include, a stray file" "vmm headers are included as \"vmm/FOLDER/NAME.h\"" \
	"src/extra.c: a file outside the layers' folders"

# HACKING.md's picture drifts from the table; `hacking` brings it back
copy
sed -i 's/^layer sys      spawning/layer sys      running programs/' "$T/tree/contrib/layers"
planted "HACKING.md's picture" "HACKING.md: its layer picture is not contrib/layers'" \
	"+  sys       running programs"
"$T/tree/contrib/layers.sh" hacking -C "$T/tree" || fail "layers.sh hacking"
OUT=$("$T/tree/contrib/layers.sh" check -C "$T/tree" -b "$BUILD" 2>&1) ||
	fail "after layers.sh hacking: $OUT"
assert_contains "$(cat "$T/tree/HACKING.md")" "  sys       running programs"
exit 0
