#!/usr/bin/env bash
# ckpt_stopped.sh  A process of the computation stopped by a signal (kill -STOP, a job-control
# stop, a suspended job) cannot take part in a checkpoint: under a coordinator with the default
# --checkpoint-timeout (120 s), the checkpoint is abandoned within seconds, saying which process
# is stopped and how it goes on (kill -CONT PID), and the other process runs on. After SIGCONT
# the next checkpoint completes, and a restart from it continues both counters exactly.
. "$(dirname "$0")/lib.sh"
e2e_init ckpt_stopped

N=300
DELAY=25
"$DMTCP_EXAMPLES/counter" "$N" 0 >"$T/native.txt" || fail "counter without dmtcp failed"

start_coordinator
for k in a b; do
  start_bg "PID_$k" "$T/run/$k.out" "$T/$k.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" \
    -p "$PORT" --join "$DMTCP_EXAMPLES/counter" "$N" "$DELAY"
done
# shellcheck disable=SC2154  # set by start_bg
pa=$PID_a pb=$PID_b
wait_line "$T/run/a.out" '^count 20 ' "" "$pa"
wait_line "$T/run/b.out" '^count 20 ' "" "$pb"
wait_peers 2

kill -STOP "$pb"
t0=$SECONDS
msg=$(dc --bcheckpoint 2>&1) && fail "the checkpoint succeeded while counter $pb was stopped"
took=$((SECONDS - t0))
log "refused after ${took}s: $msg"
((took <= 20)) || fail "the checkpoint was abandoned only after ${took}s"
[[ $msg == *abandoned* && $msg == *"counter[$pb]"*"is stopped by a signal"*"kill -CONT $pb"* ]] ||
  fail "the message does not name counter $pb as stopped, with kill -CONT $pb: $msg"
[[ $msg != *"counter[$pa]"* ]] || fail "the message names counter $pa, which did stop: $msg"
at=$(last_num "$T/run/a.out" count)
wait_line "$T/run/a.out" "^count $((at + 5)) " 10 "$pa"

kill -CONT "$pb"
at=$(last_num "$T/run/b.out" count)
wait_line "$T/run/b.out" "^count $((at + 5)) " 10 "$pb"
wait_status RUNNING yes
checkpoint_blocking
restart_stalling_pair # (a pair of counters all the same: no plugin was armed)
log "abandoned after ${took}s while stopped, then checkpointed and restarted"
