# SPDX-License-Identifier: MIT
# vmm seed: the NoCloud ISO read back with isoinfo/xorriso (label cidata, Rock Ridge + Joliet, the
# three exact file names), its files checked by cloud-init's own validators (schema, net-convert to
# netplan and ENI), rewritten only when its content changes; DNS "auto" from the host's resolvers.
. "$SRCDIR/tests/lib.sh"
need_cmd qemu-img
need_cmd isoinfo
need_cmd xorriso
need_cmd cloud-init
need_cmd blkid

e2e_net_cfg
echo 'ipv6 = "fd12:3456:789a:1::/64";' >>"$VMM_HOME/profiles/net.cfg"
ssh-keygen -q -t ed25519 -N '' -C 'tester@vmm' -f "$T/key" >/dev/null 2>&1 ||
	printf 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHNlZWQtdGVzdC1rZXktbm90LXJlYWwtMDAwMDAw tester@vmm\n' >"$T/key.pub"
KEY=$(cat "$T/key.pub")
run_vmm 0 create ubuntu --size 1G --ram 512 --ip 192.168.166.100/24 --ssh-key "$T/key.pub" \
	--runcmd 'ping -c1 192.168.166.101' --runcmd 'echo "a: b" \ c'
MAC=$(sed -n 's/.*mac = "\([^"]*\)".*/\1/p' "$VMM_HOME/profiles/ubuntu.cfg")
ISO=$VMM_HOME/images/ubuntu-seed.iso

run_vmm 0 seed ubuntu
assert_eq "$OUT" "$ISO" "vmm seed prints the path"
assert_eq "$ERR" "" "nothing on stderr"
assert_file "$ISO"

# label, Rock Ridge, Joliet
info=$(isoinfo -d -i "$ISO")
assert_contains "$info" "Volume id: cidata"
assert_contains "$info" "Rock Ridge signatures"
assert_contains "$info" "Joliet with UCS level"
assert_eq "$(blkid -p -o value -s LABEL "$ISO" 2>&1)" cidata "blkid label (what udev's by-label and cloud-init's lookup see)"
# exact names in the Rock Ridge and the Joliet trees
assert_eq "$(isoinfo -R -f -i "$ISO" | sort | tr '\n' ' ')" "/meta-data /network-config /user-data " "Rock Ridge names"
assert_eq "$(isoinfo -J -f -i "$ISO" | sort | tr '\n' ' ')" "/meta-data /network-config /user-data " "Joliet names"
ls=$(xorriso -indev "$ISO" -ls / 2>/dev/null)
assert_eq "$(tr '\n' ' ' <<<"$ls")" "'meta-data' 'network-config' 'user-data' " "xorriso -ls"

x=$T/x; mkdir -p "$x"
xorriso -osirrox on -indev "$ISO" -extract / "$x" >/dev/null 2>&1 || fail "extract"
meta=$(cat "$x/meta-data"); user=$(cat "$x/user-data"); netc=$(cat "$x/network-config")
assert_contains "$meta" "local-hostname: ubuntu"
iid=$(sed -n 's/^instance-id: //p' "$x/meta-data")
case "$iid" in vmm-ubuntu-????????) ;; *) fail "instance-id: $iid";; esac
assert_eq "$(head -1 "$x/user-data")" "#cloud-config"
assert_contains "$user" "hostname: ubuntu"
assert_contains "$user" "  - \"$KEY\""
assert_contains "$user" 'runcmd:'
assert_contains "$netc" "macaddress: \"$MAC\""
assert_not_contains "$netc" "default" "no 'to: default' (crashes cloud-init 22.4)"

# --print shows the same three files
run_vmm 0 seed ubuntu --print
assert_eq "$OUT" "$(printf '==> meta-data <==\n%s\n\n==> user-data <==\n%s\n\n==> network-config <==\n%s' "$meta" "$user" "$netc")" "--print"

# cloud-init's own validators
out=$(cloud-init schema --config-file "$x/user-data" 2>&1) || fail "cloud-init schema: $out"
assert_contains "$out" "Valid cloud-config"
python3 - "$x/user-data" <<'PY' || fail "user-data content"
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
assert d["hostname"] == "ubuntu", d
assert d["runcmd"] == ["ping -c1 192.168.166.101", 'echo "a: b" \\ c'], d["runcmd"]
assert len(d["ssh_authorized_keys"]) == 1 and d["ssh_authorized_keys"][0].endswith("tester@vmm")
PY
for fmt in netplan eni; do
	mkdir -p "$T/$fmt"
	cloud-init devel net-convert -p "$x/network-config" -k yaml -D debian -O $fmt -d "$T/$fmt" \
		>"$T/$fmt.log" 2>&1 || fail "net-convert $fmt: $(cat "$T/$fmt.log")"
done
np=$(cat "$T"/netplan/etc/netplan/*.yaml)
assert_contains "$np" "- 192.168.166.100/24"
assert_contains "$np" "macaddress: $MAC"
assert_contains "$np" "to: 0.0.0.0/0"
assert_contains "$np" "via: 192.168.166.1"
# DNS: the bridge's dnsmasq (net.cfg dhcp, on by default), with the guests' domain to search
assert_contains "$(grep -A1 'addresses:' <<<"$np" | tail -1)" "- 192.168.166.1"
assert_contains "$(grep -A1 'search:' <<<"$np")" "- vmm"
assert_contains "$np" "accept-ra: false"
# IPv6: the SLAAC address of the MAC (EUI-64) and the route via the bridge's ::1
eui=$(python3 -c 'import sys; m=[int(x,16) for x in sys.argv[1].split(":")]; m[0]^=2
print("fd12:3456:789a:1:%x:%x:%x:%x" % (m[0]<<8|m[1], m[2]<<8|0xff, 0xfe<<8|m[3], m[4]<<8|m[5]))' "$MAC")
assert_contains "$np" "- $eui/64"
assert_contains "$np" "to: ::/0"
assert_contains "$np" "via: fd12:3456:789a:1::1"
eni=$(cat "$T"/eni/etc/network/interfaces.d/*)
assert_contains "$eni" "iface eth0 inet static"
assert_contains "$eni" "address 192.168.166.100/24"
assert_contains "$eni" "route add default gw 192.168.166.1"
assert_contains "$eni" "dns-nameservers 192.168.166.1"
assert_contains "$eni" "iface eth0 inet6 static"
assert_contains "$eni" "address $eui/64"
assert_contains "$(cat "$T"/eni/etc/udev/rules.d/*)" "ATTR{address}==\"$MAC\", NAME=\"eth0\""

# Same settings: the same bytes, and the file is not even rewritten (same inode).
ino=$(stat -c %i "$ISO"); sum=$(sha256sum <"$ISO")
run_vmm 0 set ubuntu memory=1024
run_vmm 0 seed ubuntu
assert_eq "$(stat -c %i "$ISO")" "$ino" "rewritten although unchanged"
assert_eq "$(sha256sum <"$ISO")" "$sum"
# A new address: rewritten, new instance-id.
run_vmm 0 set ubuntu address=192.168.166.120/24
run_vmm 0 seed ubuntu
[ "$(stat -c %i "$ISO")" != "$ino" ] || fail "not rewritten after an address change"
iid2=$(isoinfo -R -x /meta-data -i "$ISO" | sed -n 's/^instance-id: //p')
[ -n "$iid2" ] && [ "$iid2" != "$iid" ] || fail "instance-id unchanged: $iid2"
assert_contains "$(isoinfo -R -x /network-config -i "$ISO")" "- 192.168.166.120/24"

# DNS "auto": the host's resolvers, a loopback stub replaced by resolved's upstreams (the seed's
# own DNS without the bridge's dnsmasq: dhcp = false).
echo 'dhcp = false;' >>"$VMM_HOME/profiles/net.cfg"
printf 'nameserver 127.0.0.53\noptions edns0\n' >"$T/resolv.conf"
printf 'nameserver 10.20.30.40\nnameserver 10.20.30.41\n' >"$T/resolved.conf"
sed -i 's/^dns = .*/dns = [ "auto" ];/' "$VMM_HOME/profiles/net.cfg"
OUT=$(VMM_RESOLV_CONF=$T/resolv.conf VMM_RESOLVED_CONF=$T/resolved.conf "$VMM" seed ubuntu --print 2>&1) ||
	fail "seed with dns auto: $OUT"
assert_contains "$OUT" "$(printf '      addresses:\n        - 10.20.30.40\n        - 10.20.30.41\n')"
assert_not_contains "$OUT" "127.0.0.53"
# the profile's own dns wins over net.cfg's
run_vmm 0 set ubuntu dns=9.9.9.9
run_vmm 0 seed ubuntu --print
assert_contains "$OUT" "$(printf '      addresses:\n        - 9.9.9.9\n')"
assert_not_contains "$OUT" "10.20.30.40"

# Bad input: exact messages, exit 2, nothing written.
before=$(tree_sum "$VMM_HOME")
run_vmm 2 seed
assert_contains "$ERR" "vmm: seed: needs exactly one NAME"
run_vmm 2 seed nosuch
assert_eq "$ERR" "vmm: nosuch: no such guest (see vmm list)"
run_vmm 2 seed ubuntu --bogus
assert_contains "$ERR" 'vmm: seed: unknown option "--bogus"'
run_vmm 2 seed 'Bad/Name'
assert_eq "$(tree_sum "$VMM_HOME")" "$before" "home unchanged by refused commands"
run_vmm 0 seed --help
assert_contains "$OUT" "usage: vmm seed NAME [options]"
assert_contains "$OUT" "  --print "
echo ok
