#!/usr/bin/env bash
# refused_device.sh
#
# A process that maps a device whose state cannot be checkpointed (an RDMA network card:
# /dev/infiniband/..., /dev/hfi1, /dev/cxi, /dev/kgni; or one a site names in
# DMTCP_REFUSE_DEVICES) is refused at checkpoint time: `dmtcp_command --bcheckpoint` fails with
# a message naming the device and the Open MPI setting that avoids it, no image is written, and
# the program runs on. There is no RDMA card here, so the test names a file of its own in
# DMTCP_REFUSE_DEVICES and maps that: the runtime sees the same kind of mapping.
. "$(dirname "$0")/lib.sh"
e2e_init refused-device

dev=$T/fake_uverbs0
head -c 4096 /dev/zero >"$dev"
start_coordinator
out=$T/out.txt
DMTCP_REFUSE_DEVICES="/nonexistent/dev:$dev" start_bg PID "$out" "$T/launch.err" \
  "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" "$PYTHON" -c '
import mmap, sys, time
f = open(sys.argv[1], "r+b")
m = mmap.mmap(f.fileno(), 4096)
for i in range(1, 2001):
    print("tick", i, flush=True)
    time.sleep(0.02)
' "$dev"
wait_line "$out" '^tick 5$' 30 "$PID"
wait_peers 1
msg=$(dc --bcheckpoint 2>&1) && fail "the checkpoint succeeded: $msg"
[[ $msg == *"uses the device $dev"* ]] || fail "the message does not name the device: $msg"
[[ $msg == *"--mca btl tcp,self,vader"* ]] || fail "the message does not say how to avoid it: $msg"
log "refused: $msg"
images=("$CKPT"/ckpt_*)
[[ ! -e ${images[0]} ]] || fail "files left in the checkpoint folder: ${images[*]}"
at=$(last_num "$out" tick)
wait_line "$out" "^tick $((at + 10))$" 30 "$PID"
[[ $(status_field RUNNING) == yes ]] || fail "the computation is not running after the refusal"
kill_program "$PID"
