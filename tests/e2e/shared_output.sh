#!/usr/bin/env bash
# shared_output.sh  Processes that write to one file through one open file description share its
# offset, and must still share it after a restart, or they write over each other's lines.
#
# bash runs four counters at once: one on its stdout and one on its stderr, which it made one
# description (exec >out 2>&1), and two on descriptor 3, a log file it opened before forking them. It is checkpointed, killed and restarted, then checkpointed, killed
# and restarted again (a restart of a restart), and runs to the end. Each file must hold every
# line of its counters exactly once, nothing cut or overwritten: sorted, it equals the sorted
# output of the same counters run without dmtcp.
. "$(dirname "$0")/lib.sh"
e2e_init shared_output

N=150
counter=$DMTCP_EXAMPLES/counter
"$counter" "$N" 0 >"$T/one.txt" || fail "counter without dmtcp failed"
sort "$T/one.txt" "$T/one.txt" >"$T/expected_out.txt"
sort "$T/one.txt" "$T/one.txt" >"$T/expected_log.txt"
script="exec >'$T/run/out.txt' 2>&1 3>'$T/run/log.txt'
'$counter' $N 25 & '$counter' $N 30 >&2 & '$counter' $N 25 >&3 & '$counter' $N 35 >&3 &
exec 3>&-
wait"

start_coordinator
start_bg PID "$T/launch.out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" \
  -p "$PORT" --join bash -c "$script"
wait_peers 5
for round in 1 2; do
  at=$(last_num "$T/run/log.txt" count)
  wait_line "$T/run/log.txt" "^count $((at + 20)) " 60
  checkpoint_blocking
  kill_program "$PID"
  wait_peers 0
  restart_script
  start_bg PID "$T/restart$round.out" "$T/restart$round.err" "$RS" -h "$COORD_HOST" -p "$PORT"
  wait_peers 5
  log "round $round: restarted"
done
wait_exit "$PID" 90
assert_rc "$WAIT_RC" 0 "restarted bash"
for f in out log; do
  sort "$T/run/$f.txt" >"$T/${f}_sorted.txt"
  assert_same "$T/expected_$f.txt" "$T/${f}_sorted.txt" "$f.txt, the file two counters shared"
done
