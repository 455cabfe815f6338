#!/usr/bin/env bash
# ckpt_write_timeout.sh [plain|forked]  A process that stops making progress while it writes its
# image (a hung file system) makes the checkpoint fail within the coordinator's
# --checkpoint-timeout, naming it; the others resume, the last complete checkpoint stays the
# newest, the late process drops its image and runs on when its write ends, and the next
# checkpoint and a restart from it work.
#
# Two counters under a coordinator started with --checkpoint-timeout 4; counter b runs the test
# plugin stall_plugin, which holds its checkpoint thread at the image-writing step (after every
# process stopped) until the test says go. After a good checkpoint the stall is armed:
# `dmtcp_command --bcheckpoint` must exit non-zero within 30 s saying b made no progress writing;
# counter a must count on; images and restart script must be the good checkpoint's. Then b is let
# go: it must say the checkpoint was abandoned and count on. The next checkpoint must succeed,
# and after a kill and a restart from it each output must equal an uninterrupted run's.
# forked: the same with forked checkpoints (DMTCP_FORKED_CHECKPOINT=1).
. "$(dirname "$0")/lib.sh"
mode=${1:-plain}
e2e_init "ckpt_write_timeout_$mode"
[[ $mode == forked ]] && export DMTCP_FORKED_CHECKPOINT=1 DMTCP_GZIP=1

N=500
DELAY=25
"$DMTCP_EXAMPLES/counter" "$N" 0 >"$T/native.txt" || fail "counter without dmtcp failed"

start_coordinator --checkpoint-timeout 4
stall="" pa="" pb="" # set by start_stalling_pair
start_stalling_pair "$N" "$DELAY"
checkpoint_blocking
before=$(saved_checkpoint)

touch "$stall/arm"
t0=$SECONDS
msg=$(dc --bcheckpoint 2>&1) && fail "the checkpoint succeeded while counter $pb could not write"
took=$((SECONDS - t0))
log "refused after ${took}s: $msg"
((took <= 30)) || fail "the checkpoint was abandoned only after ${took}s (timeout 4 s)"
[[ $(cat "$stall/stalled") == "$pb" ]] || fail "the stalled process is not counter b"
[[ $msg == *"no progress writing"* && $msg == *"counter[$pb]"* ]] ||
  fail "the message does not say counter[$pb] made no progress writing its image: $msg"
[[ $msg != *"counter[$pa]"* ]] || fail "the message names counter $pa, which wrote its image: $msg"
at=$(last_num "$T/run/a.out" count)
wait_line "$T/run/a.out" "^count $((at + 5)) " 10 "$pa"
[[ $(saved_checkpoint) == "$before" ]] || fail "the images or the restart script changed: $(saved_checkpoint)"

touch "$stall/go"
wait_line "$T/b.err" 'abandoned the checkpoint' 20 "$pb"
at=$(last_num "$T/run/b.out" count)
wait_line "$T/run/b.out" "^count $((at + 5)) " 10 "$pb"
[[ $(saved_checkpoint) == "$before" ]] || fail "the images or the restart script changed: $(saved_checkpoint)"
wait_status RUNNING yes
checkpoint_blocking
[[ $(saved_checkpoint) != "$before" ]] || fail "the checkpoint after the stall wrote no new images"
restart_stalling_pair
log "abandoned after ${took}s while writing, then checkpointed and restarted"
