# SPDX-License-Identifier: MIT
# yaml2kv.awk: flattens the small YAML subset of cloud-init seeds into PATH=VALUE lines for the
# test guest's /init (busybox awk): block maps, block lists ("- x", "- k: v", also at the parent's
# indent), flow lists "[a, b]" and maps "{k: v}" of scalars, quoted scalars, comments.
# A top-level "network:" wrapper is dropped.
function unq(v,   q) {
	sub(/^[ \t]+/, "", v); sub(/[ \t]+$/, "", v)
	q = substr(v, 1, 1)
	if (q == "\"" && substr(v, length(v), 1) == "\"" && length(v) >= 2) {
		v = substr(v, 2, length(v) - 2)
		gsub(/\\\\/, "\001", v); gsub(/\\"/, "\"", v); gsub(/\\t/, "\t", v); gsub(/\001/, "\\", v)
	} else if (q == "'" && substr(v, length(v), 1) == "'" && length(v) >= 2) {
		v = substr(v, 2, length(v) - 2); gsub(/''/, "'", v)
	} else {
		sub(/[ \t]+#.*$/, "", v)
	}
	return v
}
function path(   i, s) {
	s = ""
	for (i = 1; i <= sp; i++) s = s (s == "" ? "" : ".") nm[i]
	return s
}
function emit(p, v) {
	sub(/^network\./, "", p)
	print p "=" v
}
# a "key: value" or "key:" at indent i
function keyline(i, c,   k, v, p, n, a, j, kk, vv) {
	while (sp > 0 && ind[sp] >= i) sp--
	k = c; sub(/:([ \t].*)?$/, "", k); k = unq(k)
	v = c; if (!sub(/^[^:]*:/, "", v)) v = ""
	sub(/^[ \t]+/, "", v)
	if (v !~ /^["']/) sub(/[ \t]*#.*$/, "", v)
	sub(/[ \t]+$/, "", v)
	if (v == "" || v == "|" || v == ">") {
		sp++; ind[sp] = i; nm[sp] = k; kind[sp] = "key"
		return
	}
	p = path(); p = p (p == "" ? "" : ".") k
	if (v ~ /^\{.*\}$/) {
		# a flow map of scalars: {k: v, k2: v2}
		n = split(substr(v, 2, length(v) - 2), a, ",")
		for (j = 1; j <= n; j++) {
			kk = a[j]; sub(/:.*/, "", kk); vv = a[j]; sub(/^[^:]*:/, "", vv)
			if (unq(kk) != "") emit(p "." unq(kk), unq(vv))
		}
		return
	}
	if (v ~ /^\[.*\]$/) {
		v = substr(v, 2, length(v) - 2)
		n = split(v, a, ",")
		for (j = 1; j <= n; j++) if (unq(a[j]) != "") emit(p "." (j - 1), unq(a[j]))
		return
	}
	emit(p, unq(v))
}
BEGIN { sp = 0 }
{
	sub(/\r$/, "")
	if ($0 ~ /^[ \t]*(#.*)?$/ || $0 ~ /^(---|\.\.\.)/) next
	line = $0
	match(line, /^ */); i = RLENGTH; c = substr(line, i + 1)
	while (c ~ /^-( |$)/) {
		while (sp > 0 && (ind[sp] > i || (ind[sp] == i && kind[sp] == "item"))) sp--
		p = path()
		idx = cnt[p] + 0; cnt[p] = idx + 1
		sp++; ind[sp] = i; nm[sp] = idx; kind[sp] = "item"
		c = substr(c, 2); match(c, /^ */); i = i + 1 + RLENGTH; c = substr(c, RLENGTH + 1)
		if (c == "") next
	}
	if (c ~ /^\[.*\]$/) {
		# a flow list as a list item
		n = split(substr(c, 2, length(c) - 2), a, ",")
		for (j = 1; j <= n; j++) if (unq(a[j]) != "") emit(path() "." (j - 1), unq(a[j]))
		next
	}
	if (c ~ /^["']/ || c !~ /^[^ #][^:]*:( |$)/) {
		# a scalar list item
		emit(path(), unq(c))
		next
	}
	keyline(i, c)
}
