# SPDX-License-Identifier: MIT
# Set-up that leaves the host as it was (contrib/deps.sh, run by make's set-up goals):
# - each goal asks apt-get for its own groups only: `make demo` for build + run + the tiny guest's
#   packages (no docker.io, sshd, libvirtd, ufw, debootstrap ...), and every tool the tests, the
#   demo and the benchmarks look for comes from a package of their goal;
# - apt-get runs while /usr/sbin/policy-rc.d refuses service starts, on a host without one (a
#   normal systemd host) and on one with its own, which comes back as the same file (also after
#   a failed install or a killed run); links the installation added to enable units or init
#   scripts are undone, and one line names those services.
# Every install runs in a private mount namespace whose /usr/sbin and /etc are overlays (changes
# land in $T), with fake apt-get and dpkg-query: the host's own files never change.
. "$SRCDIR/tests/lib.sh"
need_cmd make
need_cmd dpkg-query
cd "$SRCDIR"

list() { contrib/deps.sh --list "$@" | tr '\n' ' ' | sed 's/ $//'; }
has() { case " $1 " in *" $2 "*) return 0 ;; esac; return 1; }

# ---- which packages each goal asks for ----
demo=$(list --goal=demo)
check=$(list --goal=check)
bench=$(list --goal=bench)
assert_eq "$demo" "$(list build run demo)" "make demo: not build + run + the tiny guest's"
for p in build-essential libnl-route-3-dev qemu-system-x86 qemu-utils iproute2 iptables \
	dnsmasq-base busybox-static linux-image-amd64 xorriso; do
	has "$demo" "$p" || fail "make demo does not install $p"
done
# what starts daemons or only serves the tests and benchmarks (each a real package of them)
for p in docker.io openssh-server libvirt-daemon-system libvirt-daemon libvirt-clients ufw \
	debootstrap cloud-init socat hyperfine uml-utilities strace; do
	has "$check $bench" "$p" || fail "$p is in no group of make check or make bench"
	has "$demo" "$p" && fail "make demo installs $p"
done
for p in $demo; do has "$check" "$p" || fail "make check lacks $p of make demo"; done
deps=$(list)
assert_eq "$deps" "$(list --goal=deps)" "contrib/deps.sh without a goal"
# the features coming next: rootless networking, DHCP, UEFI, TPM, for every user
for p in passt dnsmasq-base ovmf swtpm swtpm-tools; do
	has "$deps" "$p" || fail "make deps: no $p"
done
for p in docker.io openssh-server libvirt-daemon-system ufw; do
	has "$deps" "$p" && fail "make deps installs $p"
done
# every -dev package the Makefile names for a missing library is in the build group
for p in $(sed -n 's/^DEB_[^ ]* *:= *//p' Makefile); do
	case $p in libcmocka-dev) has "$check" "$p" ;; *) has "$(list build)" "$p" ;; esac ||
		fail "the Makefile names $p, contrib/deps.sh does not install it"
done
assert_eq "$(list --goal=guest)" "$(list demo)" "make guest"
contrib/deps.sh --goal=nope 2>"$T/err"; rc=$?
assert_eq "$rc:$(wc -l <"$T/err")" 2:1 "unknown goal: $(cat "$T/err")"
assert_contains "$(cat "$T/err")" "vmm: deps: goal nope: unknown (goals: "
contrib/deps.sh tools 2>"$T/err"; rc=$?
assert_eq "$rc:$(cat "$T/err")" \
	"2:vmm: deps: group tools: unknown (groups: build run demo test libvirt bench)"

# the README's set-up tables say what contrib/deps.sh does, and CI installs what make check does
for g in build run demo test libvirt bench; do
	row=$(grep "^| $g | " README.md) || fail "README: no row for the group $g"
	named=$(sed 's/^| [^|]*| [^|]*| //' <<<"$row" | grep -o '`[a-z][a-z0-9.+-]*`' | tr -d '`')
	for p in $named; do has "$(list $g)" "$p" || fail "README: $p is not in the group $g"; done
	case $row in *...*) continue ;; esac
	assert_eq "$(sort <<<"$named")" "$(list $g | tr ' ' '\n' | sort)" "README: the group $g"
done
for goal in deps demo guest check bench; do
	row=$(grep "^| \`make $goal\`" README.md) || fail "README: no row for make $goal"
	groups=$(sed 's/^| [^|]*| //; s/ |$//; s/,//g' <<<"$row")
	assert_eq "$(list --goal=$goal)" "$(list $groups)" "README: make $goal"
done
grep -q '^contrib/deps.sh --goal=check$' .ci/run ||
	fail ".ci/run does not install make check's groups"

# covered GOAL CMD...: each command that is installed here comes from a package of the goal's
# list, or from one that such a package depends on, or from an essential one (dpkg, util-linux)
covered() {
	local goal=$1 c d p pk ok paths=() pkgs closure owned
	shift
	pkgs=$(list --goal="$goal")
	closure=$({ printf '%s\n' $pkgs
		dpkg-query -W -f='${Pre-Depends}, ${Depends}\n' $pkgs 2>/dev/null | tr ',|' '\n\n' |
			sed -e 's/([^)]*)//g' -e 's/:any//' -e 's/ //g'; } | sort -u)
	for c; do for d in /usr/bin /usr/sbin /bin /sbin; do paths+=("$d/$c"); done; done
	owned=$(dpkg -S "${paths[@]}" 2>/dev/null | grep -v '^diversion')
	for c; do
		pk=$(grep " /[a-z/]*bin/$c\$" <<<"$owned" | cut -d: -f1 | tr ', ' '\n\n' | sort -u)
		if [ -z "$pk" ]; then
			echo "note: $c is not installed from a package here: not checked" >&2
			continue
		fi
		ok=
		for p in $pk; do
			grep -qx -- "$p" <<<"$closure" && ok=1
			[ "$(dpkg-query -W -f='${Essential}' "$p" 2>/dev/null)" = yes ] && ok=1
		done
		[ -n "$ok" ] || fail "make $goal: $c (package $pk) is in none of its groups"
	done
}
covered check $(grep -rhoE 'need_cmd [A-Za-z0-9_.+-]+' tests | awk '{ print $2 }' | sort -u) \
	gcc make pkg-config isoinfo
covered demo gcc make pkg-config ip qemu-system-x86_64 qemu-img dnsmasq iptables-legacy busybox \
	cpio xz file readelf grub-mkrescue xorriso
covered bench brctl tunctl cloud-localds genisoimage gvnccapture strace debootstrap mkfs.ext4 \
	libvirtd virsh

# ---- installing: in a mount namespace of its own, with fakes ----
need_root
need_cmd unshare
host_state() {
	stat -c '%i %a %Y %s' /usr/sbin/policy-rc.d 2>&1
	sha256sum /usr/sbin/policy-rc.d 2>&1
	ls -d /usr/sbin/policy-rc.d.* 2>&1
	find /etc/systemd/system /etc/systemd/user /etc/rc[0-6S].d -type l 2>/dev/null | sort
}
host_before=$(host_state)

# fakes: dpkg-query knows no package; apt-get records its calls and, on install, what a
# maintainer script's start would get from policy-rc.d, then enables a unit, a socket and an
# init script (wants link, alias, S link; plus a mask and K links that must stay) as
# deb-systemd-helper and update-rc.d do; it does so only inside the sandbox
mkdir -p "$T/bin"
printf '#!/bin/sh\necho "dpkg-query $*" >>"%s/calls"\necho not-installed\n' "$T" \
	>"$T/bin/dpkg-query"
cat >"$T/bin/apt-get" <<EOF
#!/bin/sh
echo "apt-get \$*" >>"$T/calls"
case " \$* " in *" install "*) ;; *) exit 0 ;; esac
[ -e /etc/vmm-deps-sandbox ] || { echo "fake apt-get outside its sandbox" >&2; exit 99; }
if [ -e /usr/sbin/policy-rc.d ]; then
	/usr/sbin/policy-rc.d vmmfake-a.service start; echo "policy-rc.d: \$?"
else
	echo "policy-rc.d: none"
fi >>"$T/policy"
s=/etc/systemd/system
mkdir -p \$s/multi-user.target.wants \$s/sockets.target.wants /etc/rc2.d /etc/rc0.d
ln -s /lib/systemd/system/vmmfake-b.socket \$s/sockets.target.wants/vmmfake-b.socket
ln -s /lib/systemd/system/vmmfake-d.service \$s/multi-user.target.wants/vmmfake-d.service
ln -s /lib/systemd/system/vmmfake-d.service \$s/vmmfake-alias.service
ln -s /dev/null \$s/vmmfake-masked.service
ln -s ../init.d/vmmfake-c /etc/rc2.d/S01vmmfake-c
ln -s ../init.d/vmmfake-c /etc/rc0.d/K01vmmfake-c
exit \${FAKE_APT_RC:-0}
EOF
chmod +x "$T/bin/"*

# sandbox DIR CMD...: CMD with /usr/sbin and /etc as overlays whose changes land in DIR;
# DIR/before (sourced) sets the scene, then the state is read back into DIR/after
cat >"$T/sandbox.sh" <<'EOF'
d=$1; shift
mkdir -p "$d/su" "$d/sw" "$d/eu" "$d/ew"
mount -t overlay vmmtest -o "lowerdir=/usr/sbin,upperdir=$d/su,workdir=$d/sw" /usr/sbin &&
	mount -t overlay vmmtest -o "lowerdir=/etc,upperdir=$d/eu,workdir=$d/ew" /etc || exit 99
touch /etc/vmm-deps-sandbox
[ -f "$d/before" ] && . "$d/before"
"$@"; rc=$?
{
	p=/usr/sbin/policy-rc.d
	[ -e $p ] && echo "policy-rc.d: $(stat -c '%i %a %Y' $p) $(sha256sum <$p)" ||
		echo "policy-rc.d: none"
	ls /usr/sbin | grep -v '^policy-rc\.d$' | grep 'policy-rc' | sed 's/^/left: /'
	find /etc/systemd/system /etc/rc[0-6S].d -name '*vmmfake*' -printf '%p -> %l\n' | sort
} >"$d/after"
exit $rc
EOF
# in_sandbox NAME CMD...: $RC, $ERR (stderr), $AFTER; $T/calls and $T/policy start empty
in_sandbox() {
	local d=$T/$1
	shift
	: >"$T/calls"; : >"$T/policy"
	PATH="$T/bin:$PATH" unshare -m --propagation private bash "$T/sandbox.sh" "$d" \
		env -u VMM_NO_DEPS -u MAKEFLAGS -u MAKELEVEL "$@" >"$T/out" 2>"$T/err"
	RC=$?
	[ "$RC" = 99 ] && fail "sandbox: $(cat "$T/err")"
	ERR=$(cat "$T/err") AFTER=$(cat "$d/after")
}
installed() { sed -n 's/^apt-get install -y -qq --no-install-recommends //p' "$T/calls"; }
links_after='/etc/rc0.d/K01vmmfake-c -> ../init.d/vmmfake-c
/etc/rc2.d/K01vmmfake-c -> ../init.d/vmmfake-c
/etc/systemd/system/vmmfake-masked.service -> /dev/null'
stopped='vmm: deps: installed, left stopped and not enabled:'
stopped+=' vmmfake-a vmmfake-b.socket vmmfake-c vmmfake-d'

# a host without policy-rc.d (a normal systemd host): each set-up goal through make installs its
# packages with starts refused, then no policy-rc.d is left and nothing is enabled
for goal in demo guest check bench deps; do
	mkdir -p "$T/$goal"
	echo 'rm -f /usr/sbin/policy-rc.d' >"$T/$goal/before"
	n=-n; [ $goal = deps ] && n=
	in_sandbox $goal make --no-print-directory BUILD="$T/b" $n $goal
	[ "$RC" = 0 ] || fail "make $n $goal: exit $RC: $ERR"
	assert_eq "$(installed)" "$(list --goal=$goal)" "make $goal installed"
	assert_contains "$(cat "$T/calls")" "dpkg-query" "make $goal"
	assert_eq "$(cat "$T/policy")" "policy-rc.d: 101" "make $goal: starts during the install"
	assert_eq "$AFTER" "policy-rc.d: none
$links_after" "make $goal: after the install"
	assert_eq "$(grep 'left stopped' <<<"$ERR")" "$stopped" "make $goal: the line of services"
done
# plain make, make install: no package manager
for goal in "" unit; do
	in_sandbox plain$goal make --no-print-directory BUILD="$T/b" -n $goal
	[ "$RC" = 0 ] || fail "make -n $goal: exit $RC: $ERR"
	assert_eq "$(cat "$T/calls")" "" "make $goal asked the package manager"
done

# own_policy NAME: the scene "the host has its own policy-rc.d" (one allowing everything), its
# inode, mode, time and content written to $T/NAME/orig
own_policy() {
	mkdir -p "$T/$1"
	cat >"$T/$1/before" <<-EOF
	printf '#!/bin/sh\nexit 0\n' >/usr/sbin/policy-rc.d
	chmod 0750 /usr/sbin/policy-rc.d
	touch -d @981158400 /usr/sbin/policy-rc.d
	echo "policy-rc.d: \$(stat -c '%i %a %Y' /usr/sbin/policy-rc.d)" \
		"\$(sha256sum </usr/sbin/policy-rc.d)" >"$T/$1/orig"
	EOF
}
# a host with its own policy-rc.d: refused during the install, then the very same file back
own_policy own
in_sandbox own contrib/deps.sh --goal=demo
[ "$RC" = 0 ] || fail "deps.sh: exit $RC: $ERR"
assert_contains "$(cat "$T/own/orig")" " 750 981158400 "
assert_eq "$(cat "$T/policy")" "policy-rc.d: 101" "starts, over the host's own policy-rc.d"
assert_eq "$AFTER" "$(cat "$T/own/orig")
$links_after" "the host's policy-rc.d after the install"
assert_eq "$(grep -c 'vmm: deps:' <<<"$ERR")" 1 "one line of services: $ERR"

# apt-get fails: its status, and the host as it was all the same
own_policy fails
FAKE_APT_RC=100 in_sandbox fails contrib/deps.sh --goal=guest
assert_eq "$RC" 100 "deps.sh when apt-get fails: $ERR"
assert_eq "$AFTER" "$(cat "$T/fails/orig")
$links_after" "after a failed install"
assert_contains "$ERR" "$stopped"

# a run killed half-way left its policy-rc.d and the host's aside: the next one puts it back
mkdir -p "$T/killed"
cat >"$T/killed/before" <<EOF
printf '#!/bin/sh\nexit 0\n' >/usr/sbin/policy-rc.d.vmm-saved
printf '#!/bin/sh\n# vmm-deps: temporary\nexit 101\n' >/usr/sbin/policy-rc.d
echo "policy-rc.d: \$(stat -c '%i %a %Y' /usr/sbin/policy-rc.d.vmm-saved)" \
	"\$(sha256sum </usr/sbin/policy-rc.d.vmm-saved)" >"$T/killed/orig"
EOF
in_sandbox killed contrib/deps.sh --goal=guest
[ "$RC" = 0 ] || fail "deps.sh after a killed run: exit $RC: $ERR"
assert_eq "$(cat "$T/policy")" "policy-rc.d: 101" "starts during the install after a killed run"
assert_eq "$AFTER" "$(cat "$T/killed/orig")
$links_after" "after a killed run"
# ... killed before its own went in (the host's file linked twice): one name again
mkdir -p "$T/killed2"
cat >"$T/killed2/before" <<EOF
rm -f /usr/sbin/policy-rc.d; printf '#!/bin/sh\nexit 0\n' >/usr/sbin/policy-rc.d
ln /usr/sbin/policy-rc.d /usr/sbin/policy-rc.d.vmm-saved
p=/usr/sbin/policy-rc.d
echo "policy-rc.d: \$(stat -c '%i %a %Y' \$p) \$(sha256sum <\$p)" >"$T/killed2/orig"
EOF
in_sandbox killed2 contrib/deps.sh --goal=guest
[ "$RC" = 0 ] || fail "deps.sh after a run killed early: exit $RC: $ERR"
assert_eq "$AFTER" "$(cat "$T/killed2/orig")
$links_after" "after a run killed early"

assert_eq "$(host_state)" "$host_before" "the host's own policy-rc.d or unit links changed"
echo ok
