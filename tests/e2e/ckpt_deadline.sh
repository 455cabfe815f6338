#!/usr/bin/env bash
# ckpt_deadline.sh  A checkpoint with a deadline (`dmtcp_command --bcheckpoint --timeout SEC`, what
# dmtcp_job asks for before a job's end) is abandoned by the coordinator once the deadline passes,
# whatever holds it up, long before the coordinator's own --checkpoint-timeout (120 s here); the
# processes run on and the last complete checkpoint stays the newest.
#
# Two counters (b with the test plugin stall_plugin). After a good checkpoint:
#  1. b is held at its image-writing step: --bcheckpoint --timeout 3 fails within seconds, saying
#     the deadline of 3 s passed; a counts on; images and restart script are the good ones. Let
#     go, b drops its image and counts on.
#  2. a is stopped (SIGSTOP): a checkpoint started without a deadline (-c) is given one by a
#     later --bcheckpoint --timeout 2, and is abandoned in time; SIGCONT, and a runs on.
#  3. The next checkpoint succeeds, and after a kill and a restart from it each output equals an
#     uninterrupted run's.
. "$(dirname "$0")/lib.sh"
e2e_init ckpt_deadline

N=500
DELAY=25
"$DMTCP_EXAMPLES/counter" "$N" 0 >"$T/native.txt" || fail "counter without dmtcp failed"

start_coordinator --checkpoint-timeout 120
stall="" pa="" pb="" # set by start_stalling_pair
start_stalling_pair "$N" "$DELAY"
checkpoint_blocking
before=$(saved_checkpoint)

touch "$stall/arm"
t0=$SECONDS
msg=$(dc --bcheckpoint --timeout 3 2>&1) && fail "the checkpoint succeeded while counter $pb could not write"
took=$((SECONDS - t0))
log "refused after ${took}s: $msg"
((took <= 10)) || fail "the checkpoint was abandoned only after ${took}s (deadline 3 s)"
[[ $msg == *"did not finish it within its deadline of 3 s"* && $msg == *"counter[$pb]"* ]] ||
  fail "the message does not say the deadline passed: $msg"
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

kill -STOP "$pa"
dc -c >/dev/null || fail "dmtcp_command -c failed"
t0=$SECONDS
msg=$(dc --bcheckpoint --timeout 2 2>&1) && fail "the checkpoint succeeded while counter $pa was stopped"
took=$((SECONDS - t0))
log "refused after ${took}s: $msg"
((took <= 10)) || fail "the checkpoint was abandoned only after ${took}s (deadline 2 s)"
[[ $msg == *"counter[$pa]"*"did not finish it within its deadline of "* ]] ||
  fail "the message does not say counter $pa held the checkpoint past its deadline: $msg"
kill -CONT "$pa"
at=$(last_num "$T/run/a.out" count)
wait_line "$T/run/a.out" "^count $((at + 5)) " 10 "$pa"
[[ $(saved_checkpoint) == "$before" ]] || fail "the images or the restart script changed: $(saved_checkpoint)"
wait_status RUNNING yes

checkpoint_blocking
[[ $(saved_checkpoint) != "$before" ]] || fail "the checkpoint after the deadlines wrote no new images"
restart_stalling_pair
log "abandoned at its deadline while writing and while stopping, then checkpointed and restarted"
