#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# contrib/layers.sh: the layer picture of contrib/layers as a test, and as HACKING.md's picture.
#
#   contrib/layers.sh check [-C DIR] [-b BUILD]
#       Every #include "vmm/..." in DIR/src and DIR/include against contrib/layers: no arrow up
#       or across, no circle inside a folder, no "apart" module reaching another; src/ holds only
#       main.c and folders. With -b, the objects under BUILD/src (nm) say where each function and
#       variable is defined: its declaration must be in that module's header (or the folder's).
#       HACKING.md's picture must be the table's. One line per finding, "FILE:LINE: what";
#       exit 1 when there is one, 0 when there is none, 2 on bad usage.
#   contrib/layers.sh picture [-C DIR]      the picture, as HACKING.md shows it
#   contrib/layers.sh hacking [-C DIR]      rewrite HACKING.md's picture from the table
set -u
export LC_ALL=C

usage() {
	echo "usage: contrib/layers.sh check|picture|hacking [-C DIR] [-b BUILD]" >&2
	exit 2
}

what=${1:-}
[ $# -gt 0 ] && shift
dir=$(cd "$(dirname "$0")/.." && pwd)
build=
while getopts C:b: o; do
	case $o in
	C) dir=$OPTARG ;;
	b) build=$OPTARG ;;
	*) usage ;;
	esac
done
table=$dir/contrib/layers
[ -f "$table" ] || { echo "layers: $table: no such file" >&2; exit 2; }

# The picture: one line per folder, top to bottom; the folders of one layer side by side.
picture() {
	awk '
	function flush(   i, mark) {
		if (!nl)
			return
		if (out++)
			print "      │"
		for (i = 1; i <= nl; i++) {
			mark = nl == 1 ? " " : (i == 1 ? "┌" : (i == nl ? "└" : "├"))
			print mark " " lines[i]
		}
		nl = 0
	}
	$1 == "layer" || $1 == "also" {
		if ($1 == "layer")
			flush()
		w = $0
		sub(/^[a-z]+[ \t]+[a-z]+[ \t]+/, "", w)
		lines[++nl] = sprintf("%-9s %s", $2, w)
	}
	$1 == "apart" {
		s = ""
		for (i = 2; i <= NF; i++)
			s = s (i > 2 ? (i < NF ? ", " : " and ") : "") $i
		apart[++na] = s
	}
	END {
		flush()
		print ""
		print "│   a folder includes its own headers and those of the layers below it"
		print "┌ └ the folders of one layer include none of each other"
		for (i = 1; i <= na; i++)
			print "apart: " apart[i] " (neither reaches the other)"
	}' "$table"
}

# HACKING.md's picture: the lines between the marker and the closing fence.
hacking_picture() {
	awk '/^<!-- layers: contrib\/layers.sh picture -->$/ { on = 1; next }
	     on == 1 && /^```/ { on = 2; next }
	     on == 2 && /^```/ { exit }
	     on == 2 { print }' "$dir/HACKING.md"
}

case $what in
picture)
	picture
	exit 0
	;;
hacking)
	grep -q '^<!-- layers: contrib/layers.sh picture -->$' "$dir/HACKING.md" ||
		{ echo "layers: HACKING.md has no line <!-- layers: contrib/layers.sh picture -->" >&2; exit 1; }
	pic=$(picture)
	awk -v pic="$pic" '/^<!-- layers: contrib\/layers.sh picture -->$/ { print; on = 1; next }
	     on == 1 && /^```/ { print; print pic; on = 2; next }
	     on == 2 && /^```/ { on = 0 }
	     on != 2 { print }' "$dir/HACKING.md" >"$dir/HACKING.md.tmp" &&
		mv "$dir/HACKING.md.tmp" "$dir/HACKING.md"
	exit
	;;
check) ;;
*) usage ;;
esac

if [ -n "$build" ]; then
	b=$build
	build=$(cd "$b" 2>/dev/null && pwd) || { echo "layers: no build folder $b" >&2; exit 2; }
fi
cd "$dir" || exit 2
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
found=0
say() { echo "$*"; found=1; }

# src/ holds main.c and the folders, include/vmm/ only folders, one level deep
for f in src/* include/vmm/*; do
	case $f in
	src/main.c) ;;
	src/*.c | src/*.h | include/vmm/*.h) say "$f: a file outside the layers' folders" ;;
	esac
done
for f in src/*/*/* include/vmm/*/*/*; do
	[ -e "$f" ] && say "$f: a folder inside a layer's folder (the picture knows one level)"
done

files=$(ls src/main.c src/*/*.c include/vmm/*/*.h 2>/dev/null)
printf '%s\n' $files >"$tmp/files"
# shellcheck disable=SC2086
grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' $files >"$tmp/includes"

awk -v tablef="$table" -v filesf="$tmp/files" '
function folder_of(f,   a, n) {
	if (f == "src/main.c")
		return "main"
	n = split(f, a, "/")
	if (a[1] == "src" && n == 3)
		return a[2]
	if (a[1] == "include" && a[2] == "vmm" && n == 4)
		return a[3]
	return ""
}
function module_of(f,   a, n, b) {
	n = split(f, a, "/")
	b = a[n]
	sub(/\.[ch]$/, "", b)
	return folder_of(f) "/" b
}
function add_edge(from, to, where) {
	if (from == to || (from SUBSEP to) in edge_at)
		return
	edge_at[from, to] = where
	adj[from] = adj[from] " " to
	node[from] = 1
	node[to] = 1
}
function dfs(u,   i, n, vs, v) {
	color[u] = 1
	stack[++sp] = u
	n = split(adj[u], vs, " ")
	for (i = 1; i <= n; i++) {
		v = vs[i]
		if (color[v] == 1)
			circle(v)
		else if (!color[v])
			dfs(v)
	}
	sp--
	color[u] = 2
}
function circle(v,   i, j, path, where, to) {
	for (i = sp; i > 0 && stack[i] != v; i--)
		;
	path = ""
	where = ""
	for (j = i; j <= sp; j++) {
		to = j < sp ? stack[j + 1] : v
		path = path stack[j] " → "
		where = where (j > i ? "; " : "") edge_at[stack[j], to]
	}
	print where ": a circle: " path v " (contrib/layers: none inside a folder)"
	bad = 1
}
# The path from a to b along the edges (breadth first), "" when b cannot be reached.
function reach(a, b,   q, head, tail, u, i, n, vs, v, seen, par, path, w) {
	head = 1
	tail = 0
	q[++tail] = a
	seen[a] = 1
	while (head <= tail) {
		u = q[head++]
		n = split(adj[u], vs, " ")
		for (i = 1; i <= n; i++) {
			v = vs[i]
			if (v in seen)
				continue
			seen[v] = 1
			par[v] = u
			q[++tail] = v
			if (v != b)
				continue
			path = ""
			for (w = b; w != a; w = par[w])
				path = edge_at[par[w], w] (path == "" ? "" : "; ") path
			return path
		}
	}
	return ""
}
BEGIN {
	while ((getline l < tablef) > 0) {
		n = split(l, t, /[ \t]+/)
		if (t[1] == "layer" || t[1] == "also") {
			lvl += t[1] == "layer"
			level[t[2]] = lvl
		} else if (t[1] == "apart") {
			apart[++na] = t[2]
			for (i = 3; i <= n; i++)
				apart[na] = apart[na] " " t[i]
		}
	}
	while ((getline l < filesf) > 0) {
		exists[l] = 1
		if (!(folder_of(l) in level)) {
			print l ": folder " folder_of(l) " is not in contrib/layers"
			bad = 1
		}
	}
}
{
	file = $0
	sub(/:.*/, "", file)
	rest = substr($0, length(file) + 2)
	line = rest
	sub(/:.*/, "", line)
	text = substr(rest, length(line) + 2)
	if (!match(text, /"[^"]*"/))
		next
	inc = substr(text, RSTART + 1, RLENGTH - 2)
	where = file ":" line
	if (inc !~ /^vmm\/[a-z_0-9]+\/[a-z_0-9]+\.h$/) {
		print where ": #include \"" inc "\": vmm headers are included as \"vmm/FOLDER/NAME.h\""
		bad = 1
		next
	}
	target = "include/" inc
	if (!(target in exists)) {
		print where ": #include \"" inc "\": no such header"
		bad = 1
		next
	}
	from = folder_of(file)
	to = folder_of(target)
	if (!(from in level))
		next
	if (from == to) {
		add_edge(module_of(file), module_of(target), where ": #include \"" inc "\"")
		next
	}
	if (level[to] > level[from])
		next
	if (level[to] < level[from])
		print where ": #include \"" inc "\" points up: " to " is a layer above " from \
		      " (contrib/layers)"
	else
		print where ": #include \"" inc "\" points across: " to " and " from \
		      " are siblings, neither includes the other (contrib/layers)"
	bad = 1
}
END {
	for (u in node)
		if (!color[u])
			dfs(u)
	for (k = 1; k <= na; k++) {
		n = split(apart[k], ms, " ")
		for (i = 1; i <= n; i++)
			for (j = 1; j <= n; j++) {
				if (i == j)
					continue
				p = reach(ms[i], ms[j])
				if (p == "")
					continue
				print p ": " ms[i] " reaches " ms[j] " (contrib/layers: apart " apart[k] ")"
				bad = 1
			}
	}
	exit bad
}' "$tmp/includes" || found=1

# Who defines what (nm of the objects), and which header declares it.
if [ -n "$build" ]; then
	objs=$(ls "$build"/src/*/*.o 2>/dev/null)
	[ -n "$objs" ] || { echo "layers: no objects under $build/src (build first)" >&2; exit 2; }
	for o in $objs; do
		m=${o#"$build"/src/}
		m=${m%.o}
		[ -f "src/$m.c" ] || continue # a stale object of a moved or removed file
		nm -g --defined-only "$o" | awk -v m="$m" 'NF == 3 && $2 ~ /^[TDRBG]$/ { print $3, m }'
	done >"$tmp/defined"
	for h in include/vmm/*/*.h; do
		cc -fpreprocessed -dD -E -P "$h" 2>/dev/null | awk -v h="$h" '
		/^[ \t]*#/ { next }
		{
			s = $0
			while (s != "") {
				if (depth == 0 && match(s, /^[A-Za-z_][A-Za-z_0-9]*[ \t]*[(;[]/)) {
					tok = substr(s, 1, RLENGTH - 1)
					sub(/[ \t]+$/, "", tok)
					print h, tok
					s = substr(s, RLENGTH)
					continue
				}
				if (match(s, /^[A-Za-z_][A-Za-z_0-9]*/)) {
					s = substr(s, RLENGTH + 1)
					continue
				}
				c = substr(s, 1, 1)
				depth += (c == "{") - (c == "}")
				s = substr(s, 2)
			}
		}'
	done | sort -u >"$tmp/declared"
	awk -v defined="$tmp/defined" '
	BEGIN {
		while ((getline l < defined) > 0) {
			split(l, a, " ")
			owner[a[1]] = a[2]
		}
	}
	($2 in owner) {
		h = $1
		m = owner[$2]
		split(m, a, "/")
		hm = h
		sub(/^include\/vmm\//, "", hm)
		sub(/\.h$/, "", hm)
		split(hm, b, "/")
		if (a[1] == b[1] && (a[2] == b[2] || b[2] == b[1]))
			next
		print h ": declares " $2 ", which src/" m ".c defines (declare it in include/vmm/" \
		      m ".h)"
		bad = 1
	}
	END { exit bad }' "$tmp/declared" || found=1
fi

if [ -f HACKING.md ] && ! diff -u <(hacking_picture) <(picture) >"$tmp/pic.diff"; then
	say "HACKING.md: its layer picture is not contrib/layers' (contrib/layers.sh hacking rewrites it):"
	sed 's/^/    /' "$tmp/pic.diff"
fi
exit $found
