#!/usr/bin/env bash
# ckpt_timeout.sh  A checkpoint that cannot complete is abandoned within the coordinator's
# --checkpoint-timeout, naming the process that did not stop; the others run on, the last
# complete checkpoint stays the newest, and the next checkpoint and a restart from it work.
#
# Two counters under one coordinator started with --checkpoint-timeout 3. After a good checkpoint,
# one counter is stopped with SIGSTOP (as a debugger or a job-control stop would): `dmtcp_command
# --bcheckpoint` must then exit non-zero within seconds, saying "abandoned" and naming the
# stopped counter by pid; the other counter must count on; the images and the restart script
# must be the good checkpoint's. A third process asks for a checkpoint itself (dmtcp_checkpoint()
# in tests/plugins/self_checkpoint.c): with the counter still stopped the call must return -1,
# not wait for ever. After SIGCONT the stopped counter counts again, the program's next call
# returns 1 (after a checkpoint), all three are killed and restarted from that checkpoint, and
# each counter's output equals an uninterrupted run's.
. "$(dirname "$0")/lib.sh"
e2e_init ckpt_timeout

N=400
DELAY=25
"$DMTCP_EXAMPLES/counter" "$N" 0 >"$T/native.txt" || fail "counter without dmtcp failed"

start_coordinator --checkpoint-timeout 3
for k in a b; do
  start_bg "PID_$k" "$T/run/$k.out" "$T/$k.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" \
    -p "$PORT" --join "$DMTCP_EXAMPLES/counter" "$N" "$DELAY"
done
mkdir -p "$T/trig"
start_bg PID_c "$T/run/c.out" "$T/c.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$DMTCP_TEST_PLUGINS/self_checkpoint" "$T/trig"
# shellcheck disable=SC2154  # set by start_bg
pa=$PID_a pb=$PID_b pc=$PID_c
wait_line "$T/run/c.out" '^ready$' "" "$pc"
wait_line "$T/run/a.out" '^count 20 ' "" "$pa"
wait_line "$T/run/b.out" '^count 20 ' "" "$pb"
wait_peers 3
checkpoint_blocking
before=$(saved_checkpoint)

kill -STOP "$pb"
t0=$SECONDS
msg=$(dc --bcheckpoint 2>&1) && fail "the checkpoint succeeded while counter $pb was stopped"
took=$((SECONDS - t0))
log "refused after ${took}s: $msg"
((took <= 15)) || fail "the checkpoint was abandoned only after ${took}s (timeout 3 s)"
[[ $msg == *abandoned* && $msg == *"counter[$pb]"* ]] ||
  fail "the message does not say the checkpoint was abandoned because of counter[$pb]: $msg"
[[ $msg != *"counter[$pa]"* ]] || fail "the message names counter $pa, which did stop: $msg"
at=$(last_num "$T/run/a.out" count)
wait_line "$T/run/a.out" "^count $((at + 5)) " 10 "$pa"
[[ $(saved_checkpoint) == "$before" ]] || fail "the images or the restart script changed: $(saved_checkpoint)"
grep -q "abandoned" "$T/coord.log" || fail "the coordinator's log does not say it abandoned"
touch "$T/trig/go1"
wait_line "$T/run/c.out" '^checkpoint 1 returned' 20 "$pc"
grep -qx 'checkpoint 1 returned -1' "$T/run/c.out" ||
  fail "dmtcp_checkpoint() did not return -1 for an abandoned checkpoint: $(cat "$T/run/c.out")"
[[ $(saved_checkpoint) == "$before" ]] || fail "the images or the restart script changed: $(saved_checkpoint)"

kill -CONT "$pb"
at=$(last_num "$T/run/b.out" count)
wait_line "$T/run/b.out" "^count $((at + 5)) " 10 "$pb"
wait_status RUNNING yes
touch "$T/trig/go2"
wait_line "$T/run/c.out" '^checkpoint 2 returned' 30 "$pc"
grep -qx 'checkpoint 2 returned 1' "$T/run/c.out" ||
  fail "dmtcp_checkpoint() did not return 1 (DMTCP_AFTER_CHECKPOINT): $(cat "$T/run/c.out")"
[[ $(saved_checkpoint) != "$before" ]] || fail "the checkpoint after SIGCONT wrote no new images"
kill_program "$pa"
kill_program "$pb"
kill_program "$pc"
wait_peers 0
touch "$T/trig/stop"
restart_script
start_bg PID "$T/restart.out" "$T/restart.err" "$RS" -h "$COORD_HOST" -p "$PORT"
wait_exit "$PID" 90
assert_rc "$WAIT_RC" 0 "the restart"
# The restart's own process is one of the three; the counters end on their own (b later: it
# was stopped for seconds).
wait_peers 0 60
assert_same "$T/native.txt" "$T/run/a.out" "counter a's output"
assert_same "$T/native.txt" "$T/run/b.out" "counter b's output"
log "abandoned after ${took}s, then checkpointed and restarted"
