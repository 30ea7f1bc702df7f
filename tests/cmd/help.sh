# SPDX-License-Identifier: MIT
# Help never drifts: vmm help, vmm help CMD, vmm CMD --help, the parser, the man page, the bash
# completion and the README all agree with the option tables (src/cmd/*.c, src/main.c).
. "$SRCDIR/tests/lib.sh"
run_vmm 0 help
overview=$OUT
cmds=$(printf '%s\n' "$OUT" | sed -n '/^commands:/,/^$/p' | awk 'NF && !/^commands:/ {print $1}')
[ "$(echo "$cmds" | wc -l)" -ge 14 ] || fail "too few commands in vmm help: $cmds"
# the global options' table: "  -q, --quiet  ..." lines after "global options"
globals=$(printf '%s\n' "$overview" | sed -n '/^global options/,/^$/p' | grep -o -- '--[a-z-]*' | sort -u)
[ "$(echo "$globals" | wc -l)" -ge 6 ] || fail "too few global options: $globals"

# the generated files are what the binary generates now
man=$("$VMM" help --man)
diff -u "$SRCDIR/contrib/vmm.1" <(printf '%s\n' "$man") >&2 || fail "contrib/vmm.1 is stale: run make man"
comp=$("$VMM" help --bash-completion)
diff -u "$SRCDIR/contrib/vmm.bash-completion" <(printf '%s\n' "$comp") >&2 ||
	fail "contrib/vmm.bash-completion is stale: run make completion"
bash -n "$SRCDIR/contrib/vmm.bash-completion" || fail "the completion script is not valid bash"

# complete WORDS...: what the completion offers for the last word (one line, sorted)
complete_words() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _vmm
		printf "%s\n" "${COMPREPLY[@]}"' _ "$SRCDIR/contrib/vmm.bash-completion" "$@" |
		sort | tr '\n' ' ' | sed 's/ $//'
}

README=$SRCDIR/README.md
for c in $cmds; do
	run_vmm 0 help "$c"; a=$OUT
	assert_contains "$a" "usage: vmm $c" "help $c"
	run_vmm 0 "$c" --help; assert_eq "$OUT" "$a" "vmm $c --help"
	assert_contains "$man" ".SS \"$c" "man page entry for $c"
	# options in help: "  --iso FILE", "  -f, --force", "  --wait[=SECS]", aliases "(also --memory)"
	opts=$(printf '%s\n' "$a" | sed -n '/^options:/,/^$/p' |
		grep -o -- '^  \(-., \)\?--[a-z][a-z0-9-]*\|(also [^)]*)' | grep -o -- '--[a-z][a-z0-9-]*' | sort -u)
	copts=" $(complete_words "$VMM" "$c" --) "
	for o in $opts; do
		assert_contains "$man" "$(printf '%s' "$o" | sed 's/-/\\-/g')" "man page lists $o for $c"
		assert_contains "$copts" " $o " "completion offers $o for $c"
		# the parser knows it (never "unknown option")
		"$VMM" "$c" "$o" >/dev/null 2>"$T/e" </dev/null
		assert_not_contains "$(cat "$T/e")" "unknown option" "vmm $c $o"
	done
	for o in $globals; do assert_contains "$copts" " $o " "completion offers global $o for $c"; done
	# one wording for unknown options and missing values, in every command
	run_vmm 2 "$c" --no-such-option
	assert_eq "$ERR" "vmm: $c: unknown option \"--no-such-option\" (see \"vmm help $c\")"
	run_vmm 2 "$c" -Z
	assert_eq "$ERR" "vmm: $c: unknown option \"-Z\" (see \"vmm help $c\")"
	for o in $(printf '%s\n' "$a" | grep -o -- '^  \(-., \)\?--[a-z-]* [A-Z:]' | grep -o -- '--[a-z-]*'); do
		run_vmm 2 "$c" "$o"
		assert_eq "$ERR" "vmm: $c: $o needs a value (see \"vmm help $c\")"
	done
	# the README's row for the command names only options the command has
	row=$(grep -- "^| \`vmm $c[ \`]" "$README") || fail "README has no row for vmm $c"
	for o in $(printf '%s\n' "$row" | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		printf '%s\n' $opts $globals | grep -qx -- "$o" || fail "README: vmm $c has no option $o"
	done
done
grep -q 'contrib/vmm.bash-completion' "$README" || fail "README does not mention the bash completion"

# completion: commands, subcommands, options, values, guest names from the home in use
mkdir -p "$T/ch"
"$VMM" --home "$T/ch" create alpha --size 1M >/dev/null 2>&1 || fail "create alpha"
"$VMM" --home "$T/ch" create beta --size 1M >/dev/null 2>&1 || fail "create beta"
assert_eq "$(complete_words vmm st)" "start status stop" "commands"
assert_eq "$(complete_words vmm -q st)" "start status stop" "commands after a global"
assert_eq "$(complete_words vmm net "")" "down status up" "net subcommands"
assert_eq "$(complete_words vmm net up "")" "" "nothing after the subcommand"
assert_eq "$(complete_words vmm vnc g --col)" "--color" "option"
assert_eq "$(complete_words vmm vnc g --color "")" "always auto never" "--color WHEN"
assert_eq "$(complete_words vmm vnc g --color = a)" "always auto" "--color=a (bash splits at =)"
assert_eq "$(complete_words vmm create x --backend "")" "libvirt qemu" "--backend B"
assert_eq "$(complete_words vmm create x --ram "")" "" "no guesses for a number"
# vmm set NAME KEY=VALUE: the keys of vmm help set, then their values
offered=" $(complete_words vmm set g "") "
for k in $("$VMM" help set | sed -n '/^keys:/,/^$/p' | grep -o '^  [a-z_.-]*=' | sed 's/^  //'); do
	assert_contains "$offered" " $k " "set's key $k completed"
done
assert_eq "$(complete_words vmm set g stop)" "stop_timeout=" "set's key by prefix"
assert_eq "$(complete_words vmm set g memory = 4G "")" "$(complete_words vmm set g "")" \
	"keys after a key"
assert_eq "$(complete_words vmm set g backend = "")" "libvirt qemu" "set backend=VALUE"
assert_eq "$(complete_words vmm help "")" "$(printf '%s\n' $cmds | sort | tr '\n' ' ' | sed 's/ $//')" "help CMD"
touch "$T/disk-image.iso"
assert_eq "$(complete_words vmm create x --iso "$T/disk-im")" "$T/disk-image.iso" "--iso FILE"
assert_eq "$(complete_words vmm set x iso = "$T/disk-im")" "$T/disk-image.iso" "set iso=FILE"
assert_eq "$(complete_words "$VMM" --home "$T/ch" start "")" "alpha beta" "guest names of --home"
assert_eq "$(complete_words "$VMM" --home="$T/ch" stop b)" "beta" "guest names of --home="
assert_eq "$(VMM_HOME="$T/ch" complete_words "$VMM" show "")" "alpha beta" "guest names of VMM_HOME"
assert_eq "$(complete_words "$VMM" --home "$T/ch" start alpha "")" "" "only one NAME"
assert_eq "$(complete_words "$VMM" --home "$T/ch" create "")" "" "create wants a new name"
(PATH=$(dirname "$VMM"):$PATH; assert_eq "$(complete_words vmm --home "$T/ch" vnc "")" "alpha beta" "vmm in PATH") || exit 1
run_vmm 0 --home "$T/ch" list --names
assert_eq "$OUT" "$(printf 'alpha\nbeta')" "list --names"

run_vmm 2 bogus
assert_eq "$ERR" 'vmm: unknown command "bogus", try "vmm help"'
run_vmm 2 help bogus
assert_eq "$ERR" 'vmm: unknown command "bogus", try "vmm help"'
run_vmm 0 version
assert_contains "$OUT" "vmm "
run_vmm 2
run_vmm 2 --home
assert_eq "$ERR" 'vmm: --home needs a value (see "vmm help")'
run_vmm 2 --json=yes list
assert_eq "$ERR" 'vmm: --json takes no value (see "vmm help")'
run_vmm 2 vnc g --ascii=yes
assert_eq "$ERR" 'vmm: vnc: --ascii takes no value (see "vmm help vnc")'
run_vmm 2 net --force=1 down
assert_eq "$ERR" 'vmm: net: --force takes no value (see "vmm help net")'
# global options work after the command too
run_vmm 0 list --json
assert_eq "$OUT" "[
]"
# --home beats VMM_HOME
mkdir -p "$T/h2"
run_vmm 0 --home "$T/h2" create g --size 1M
assert_file "$T/h2/profiles/g.cfg"
assert_no_file "$VMM_HOME/profiles/g.cfg"
# writing to a full stdout is an error, not a silent success
if [ -w /dev/full ]; then
	"$VMM" help > /dev/full 2>"$T/e"; rc=$?
	assert_eq "$rc" 1 "exit on /dev/full"
	assert_contains "$(cat "$T/e")" "vmm: stdout:"
fi
echo ok
