#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/snapshot.sh [VMM] [RUNS]: `vmm snapshot NAME create` and `restore` of a running test guest
# (256 MiB, memory included) against the same QMP commands typed by hand: snapshot-save or
# snapshot-load as a job, waiting for JOB_STATUS_CHANGE to concluded, query-jobs, job-dismiss, on
# a fresh QMP connection each time like vmm (the node names looked up once beforehand, as a
# person would; a python3 script types them: its start is shown apart). The sides run
# interleaved (one run of each in turn, the order alternating), each snapshot deleted again
# between runs (untimed), so that both start from the same image; every figure is min / median /
# max of RUNS (at least 15) runs. Inside a throwaway network namespace.
set -u
VMM=$(realpath "${1:-${VMM:-build/vmm}}")
RUNS=${2:-15}
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
IMG="$SRCDIR/images"
. "$SRCDIR/bench/lib.sh"
[ "$RUNS" -ge 15 ] || { echo "bench/snapshot.sh: at least 15 runs" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench/snapshot.sh: needs root (namespaces, taps)" >&2; exit 77; }
command -v qemu-system-x86_64 >/dev/null ||
	{ echo "bench/snapshot.sh: needs qemu-system-x86_64" >&2; exit 77; }
[ -f "$IMG/vmm-guest.kernel" ] || "$SRCDIR/contrib/build-guest.sh" "$IMG" >&2 || exit 1

T=$(mktemp -d /tmp/vmm-bench-snapshot.XXXXXX)
NS=vmmbench-$$-$RANDOM
cleanup() {
	for p in $(cat "$T"/home/run/*/pid 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	bench_ns_gone
}
bench_ns_up
export VMM_HOME="$T/home"
bench_machine
row() { printf '  %-24s %s%s\n' "$1" "$(stats ms 1000 <"$2")" "${3:+   $3}"; }
ratio() { awk -v a="$(median <"$1")" -v b="$(median <"$2")" 'BEGIN { printf "%.2fx", a / b }'; }

v create b1 --ram 256 --size 64M --ip 192.168.166.100/24 --kernel "$IMG/vmm-guest.kernel" \
	--initrd "$IMG/vmm-guest.initrd" --append console=ttyS0 >/dev/null 2>&1 ||
	{ echo "create failed" >&2; exit 1; }
v start b1 --wait=ping:180 >/dev/null 2>&1 || { echo "start failed" >&2; exit 1; }
SOCK=$VMM_HOME/run/b1/qmp.sock

# hand OP TAG: the QMP a person would type: the job, its end, its error, dismissing it.
hand() {
	python3 - "$SOCK" "$1" "$2" "$NODES" <<'PY'
import json, socket, sys
sock, op, tag, nodes = sys.argv[1:]
nodes = nodes.split(",")
s = socket.socket(socket.AF_UNIX); s.connect(sock); f = s.makefile("rw")
f.readline()
def cmd(name, args=None):
    msg = {"execute": name}
    if args is not None:
        msg["arguments"] = args
    f.write(json.dumps(msg) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r or "error" in r:
            return r
        events.append(r)
events = []
cmd("qmp_capabilities")
args = {"job-id": "hand", "tag": tag, "devices": nodes}
if op != "snapshot-delete":
    args["vmstate"] = nodes[0]
cmd(op, args)
def done():
    want = {"status": "concluded", "id": "hand"}
    return any(e.get("event") == "JOB_STATUS_CHANGE" and e["data"] == want for e in events)
while not done():
    events.append(json.loads(f.readline()))
jobs = cmd("query-jobs")["return"]
err = [j.get("error") for j in jobs if j["id"] == "hand" and j.get("error")]
cmd("job-dismiss", {"id": "hand"})
sys.exit("%s: %s" % (op, err[0]) if err else 0)
PY
}
# the writable nodes, the disk first (node disk0, as vmm finds them through query-block)
NODES=$(python3 - "$SOCK" "$VMM_HOME/images/b1.qcow2" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rw")
f.readline()
for c in ("qmp_capabilities", "query-block"):
    f.write(json.dumps({"execute": c}) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r: break
w = [b["inserted"] for b in r["return"] if "inserted" in b and not b["inserted"]["ro"]]
w.sort(key=lambda i: i["node-name"] != "disk0" and i["file"] != sys.argv[2])
print(",".join(i["node-name"] for i in w))
PY
)
[ -n "$NODES" ] || { echo "no writable block node" >&2; exit 1; }
# warm-up (untimed)
v snapshot b1 create warm >/dev/null 2>&1 && v snapshot b1 restore warm >/dev/null 2>&1 &&
	v snapshot b1 delete warm >/dev/null 2>&1 || { echo "warm-up snapshot failed" >&2; exit 1; }
hand snapshot-save warm && hand snapshot-load warm && hand snapshot-delete warm ||
	{ echo "warm-up by hand failed" >&2; exit 1; }

one_vmm() {
	local t0 t1 t2
	t0=$(now_us); v snapshot b1 create "v$1" >/dev/null 2>&1 || return 1
	t1=$(now_us); v snapshot b1 restore "v$1" >/dev/null 2>&1 || return 1
	t2=$(now_us)
	echo $((t1 - t0)) >>"$T/vmm.save"; echo $((t2 - t1)) >>"$T/vmm.load"
	v snapshot b1 delete "v$1" >/dev/null 2>&1
}
one_hand() {
	local t0 t1 t2
	t0=$(now_us); hand snapshot-save "h$1" || return 1
	t1=$(now_us); hand snapshot-load "h$1" || return 1
	t2=$(now_us)
	echo $((t1 - t0)) >>"$T/hand.save"; echo $((t2 - t1)) >>"$T/hand.load"
	hand snapshot-delete "h$1"
	# the by-hand side's own floor: starting the interpreter that types the QMP
	t0=$(now_us); python3 -c 'import json, socket' && echo $(($(now_us) - t0)) >>"$T/python"
}
for i in $(seq "$RUNS"); do
	if [ $((i % 2)) = 1 ]; then
		one_vmm "$i" && one_hand "$i"
	else
		one_hand "$i" && one_vmm "$i"
	fi || { echo "run $i failed" >&2; exit 1; }
done
echo "snapshot of a running 256 MiB guest (TCG or KVM as above), memory included:"
row "vmm snapshot create" "$T/vmm.save" "$(ratio "$T/vmm.save" "$T/hand.save") of by hand"
row "QMP snapshot-save by hand" "$T/hand.save"
row "vmm snapshot restore" "$T/vmm.load" "$(ratio "$T/vmm.load" "$T/hand.load") of by hand"
row "QMP snapshot-load by hand" "$T/hand.load"
row "(python3 start, in each by hand)" "$T/python"
v stop b1 --force >/dev/null 2>&1
exit 0
