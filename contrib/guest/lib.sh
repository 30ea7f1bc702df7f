# SPDX-License-Identifier: MIT
# lib.sh: helpers shared by the test guest's /init and /etc/rc.net (sourced by busybox sh).

# say TEXT: one line on the serial port and on the screen
say() {
	for t in /dev/ttyS0 /dev/tty1; do
		[ -c "$t" ] && echo "$*" >"$t" 2>/dev/null
	done
}
# get FILE KEY: the value of KEY in a flattened seed file (yaml2kv.awk's PATH=VALUE lines)
get() { sed -n "s|^$2=||p" "$1" | head -n 1; }
# list FILE KEY: the values of the list KEY, one a line
list() { sed -n "s|^$2\.[0-9]*=||p" "$1"; }
