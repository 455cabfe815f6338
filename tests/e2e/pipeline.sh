#!/usr/bin/env bash
# pipeline.sh once|cycles
#
# A shell pipeline under checkpoint control: bash -c 'counter | tee progress | grep | awk'. bash
# and its four children are one computation, connected by pipes. The pipeline is checkpointed
# mid-stream, killed and restarted (once, or 20 times in a row), then runs to the end. awk's
# result must equal an uninterrupted run's, the progress file must hold exactly the counter's
# whole output (tee reopens it at its offset), and bash must exit 0.
. "$(dirname "$0")/lib.sh"

mode=${1:-once}
case $mode in
  once) cycles=1 ;;
  cycles) cycles=20 ;;
  *)
    echo "usage: $0 once|cycles" >&2
    exit 2
    ;;
esac
e2e_init "pipeline-$mode"

N=500  # 20 rounds of about 15 lines each must end before the counter does
DELAY=20
progress=$T/run/progress.txt
out=$T/run/out.txt
pipeline="'$DMTCP_EXAMPLES/counter' $N $DELAY | tee '$progress' | grep -v 7 |
  awk '{ n++; s += \$3 % 1000 } END { print n, s }'"
native="'$DMTCP_EXAMPLES/counter' $N 0 | grep -v 7 | awk '{ n++; s += \$3 % 1000 } END { print n, s }'"
bash -c "$native" >"$T/expected.txt" || fail "pipeline without dmtcp failed"
"$DMTCP_EXAMPLES/counter" "$N" 0 >"$T/expected_progress.txt"

start_coordinator
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join bash -c "$pipeline"
wait_line "$progress" '^count 5 ' "" "$PID"
wait_peers 5

for ((round = 1; round <= cycles; round++)); do
  at=$(last_num "$progress" count)
  wait_line "$progress" "^count $((at + 3)) " "" "$PID"
  wait_status RUNNING yes
  checkpoint_blocking
  kill_program "$PID"
  killed_at=$(last_num "$progress" count)
  ((killed_at < N)) || fail "the pipeline finished before it was killed in round $round"
  wait_peers 0
  restart_script
  start_bg PID "$T/restart$round.out" "$T/restart$round.err" "$RS" -h "$COORD_HOST" -p "$PORT"
  wait_peers 5
  log "round $round: killed after line $killed_at, restarted"
done

wait_exit "$PID" 120
assert_rc "$WAIT_RC" 0 "restarted pipeline (bash)"
assert_same "$T/expected.txt" "$out" "awk's result"
assert_same "$T/expected_progress.txt" "$progress" "the progress file written by tee"
wait_peers 0
