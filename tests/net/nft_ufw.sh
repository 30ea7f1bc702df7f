#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nft_ufw.sh: a REAL ufw (its own copy of /etc/ufw and /etc/default in /etc/netns/HOST, which
# `ip netns exec` mounts over /etc), enabled: FORWARD policy DROP through iptables-nft. ufw forwards
# ICMP echo by default, so TCP and UDP prove the opening; `ufw reload` is the foreign reload; ufw
# keeps working (its status, its own rules) and net down gives its rules back. vmm's opening sits
# at the top of FORWARD, which ufw does not flush, so it survives `ufw reload`.
. "$SRCDIR/tests/lib.sh"
need_root
need_cmd nft
need_cmd socat
need_cmd ufw
need_cmd iptables-nft-save
tutorial_topology
guest_standin
create_guests ubuntu
case "$(readlink -f /usr/sbin/iptables 2>/dev/null)" in *legacy*) fw_pin nftables ;; esac

E=/etc/netns/$HOST
mkdir -p "$E"
drop_etc() { rm -rf "$E"; }
at_exit drop_etc
cp -a /etc/ufw "$E/ufw"
cp -a /etc/default "$E/default"
sed -i 's/^ENABLED=.*/ENABLED=no/' "$E/ufw/ufw.conf"
ufwx() { nsx "$HOST" ufw "$@"; }
ufwx --force enable >"$T/ufw.log" 2>&1 || fail "ufw enable: $(cat "$T/ufw.log")"
assert_contains "$(ufwx status verbose)" "Status: active"
assert_contains "$(nsx "$HOST" iptables-nft -S FORWARD | head -1)" "-P FORWARD DROP"
ufw_reload() { ufwx reload >>"$T/ufw.log" 2>&1 || fail "ufw reload: $(cat "$T/ufw.log")"; }

# ufw leaves the built-in chains' rules alone (MANAGE_BUILTINS=no): vmm's opening at the top of
# FORWARD survives `ufw reload`
RELOAD_KEEPS=1 nft_story ufw ufw_reload
# ufw itself is fine: active, its chains in place, iptables-nft reads every table
assert_contains "$(ufwx status verbose)" "Status: active"
assert_contains "$(nsx "$HOST" iptables-nft -S FORWARD)" "-j ufw-before-forward"
ipt_nft_clean "$HOST"
