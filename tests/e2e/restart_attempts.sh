#!/usr/bin/env bash
# restart_attempts.sh  Restarts from one checkpoint are bounded (DMTCP_RESTART_MAX_ATTEMPTS).
#
# `counter` is checkpointed (generation 1) and killed. With DMTCP_RESTART_MAX_ATTEMPTS=2, the
# restart script restarts it twice; the second run takes a new checkpoint (generation 2), which
# starts the count again: two more restarts run, and the third from generation 2 is refused
# before anything starts (exit 99, a message naming the generation and the limit, no process, no
# peer). Removing the count file named in the message allows the next restart, which runs to the
# end: the output equals an uninterrupted run's.
. "$(dirname "$0")/lib.sh"
e2e_init restart_attempts

N=300
DELAY=30
out=$T/run/out.txt
"$DMTCP_EXAMPLES/counter" "$N" 0 >"$T/native.txt" || fail "counter without dmtcp failed"
start_coordinator
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$DMTCP_EXAMPLES/counter" "$N" "$DELAY"
wait_line "$out" '^count 20 ' "" "$PID"
wait_peers 1
checkpoint_blocking
kill_program "$PID"
wait_peers 0
restart_script
export DMTCP_RESTART_MAX_ATTEMPTS=2

# restart_once N [ckpt]  Restarts, waits for line "count N", optionally checkpoints, kills.
restart_once() {
  start_bg PID "$T/restart.out" "$T/restart.err" "$RS" -h "$COORD_HOST" -p "$PORT"
  wait_peers 1
  wait_line "$out" "^count $1 " "" "$PID"
  [[ ${2:-} == ckpt ]] && checkpoint_blocking
  kill_program "$PID"
  wait_peers 0
}
restart_once 40
restart_once 60 ckpt
restart_once 80
restart_once 100

rc=0
"$RS" -h "$COORD_HOST" -p "$PORT" >"$T/refused.out" 2>"$T/refused.err" || rc=$?
assert_rc "$rc" 99 "a third restart from generation 2"
grep -q 'giving up' "$T/refused.err" || fail "no 'giving up' message: $(cat "$T/refused.err")"
grep -q 'generation 2 ' "$T/refused.err" || fail "the message does not name generation 2"
grep -q 'DMTCP_RESTART_MAX_ATTEMPTS=2' "$T/refused.err" || fail "the message does not name the limit"
[[ $(status_field NUM_PEERS) == 0 ]] || fail "a process of the refused restart joined"
log "refused: $(cat "$T/refused.err")"

count_file=$(grep -o '/[^ ]*\.dmtcp_restart_attempts' "$T/refused.err" | head -n 1)
[[ -f $count_file ]] || fail "the message names no count file: $(cat "$T/refused.err")"
rm -f "$count_file"
start_bg PID "$T/restart.out" "$T/restart.err" "$RS" -h "$COORD_HOST" -p "$PORT"
wait_exit "$PID" 90
assert_rc "$WAIT_RC" 0 "the restart after removing the count"
assert_same "$T/native.txt" "$out" "counter output"
