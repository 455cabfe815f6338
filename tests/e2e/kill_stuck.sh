#!/usr/bin/env bash
# kill_stuck.sh  `dmtcp_command -k` ends a computation whose checkpoint thread is stuck.
#
# A parent and 3 workers joined by pipes (examples/workers) run with a test plugin that, at the
# next checkpoint, blocks the first process to reach the image-writing step for good: its
# checkpoint thread waits in the kernel (a read from a pipe nobody writes), so it never reads a
# message from the coordinator again. `dmtcp_command -k` must still end every process of the
# computation, killed (exit status 137 for the parent), within a bounded time; the coordinator
# goes on and serves a new computation afterwards. The coordinator is started the way job
# scripts start it (--exit-on-last would end it; here it must outlive the kill, so it is not).
. "$(dirname "$0")/lib.sh"
e2e_init kill_stuck

stall=$T/stall
mkdir -p "$stall"
out=$T/run/out.txt
start_coordinator
DMTCP_STALL_DIR=$stall start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" \
  -h "$COORD_HOST" -p "$PORT" --join --with-plugin "$DMTCP_TEST_PLUGINS/stall_plugin.so" \
  "$DMTCP_EXAMPLES/workers" 3 100000 40
wait_line "$out" '^worker 2 step 3 ' "" "$PID"
wait_peers 4

touch "$stall/arm" "$stall/forever"
dc -c >/dev/null || fail "dmtcp_command -c failed"
deadline=$((SECONDS + E2E_WAIT))
until [[ -s $stall/stalled ]]; do
  ((SECONDS < deadline)) || fail "no process stalled in the checkpoint"
  sleep 0.05
done
stuck=$(tr -d ' \n' <"$stall/stalled")
is_alive "$stuck" || fail "the stalled process $stuck is gone before the kill"
sleep 1 # it stays stuck: the checkpoint cannot complete
wait_status RUNNING no
is_alive "$stuck" || fail "the stalled process $stuck died by itself"
log "process $stuck is stuck in the checkpoint; killing the computation"

dc -k >/dev/null || fail "dmtcp_command -k failed"
wait_exit "$PID" 15
assert_rc "$WAIT_RC" 137 "the killed computation's parent"
deadline=$((SECONDS + 15))
while is_alive "$stuck"; do
  ((SECONDS < deadline)) || fail "the stuck process $stuck outlived dmtcp_command -k by 15 s"
  sleep 0.05
done
assert_group_gone "$PID" "dmtcp_command -k"
wait_peers 0
grep -q 'killing 4 processes (4 of them by pid here)' "$T/coord.log" ||
  fail "the coordinator did not say it killed the 4 processes by pid: $(grep killing "$T/coord.log")"

# The coordinator still serves: a new computation checkpoints and finishes.
start_bg PID2 "$T/run/out2.txt" "$T/launch2.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" \
  -p "$PORT" --join "$DMTCP_EXAMPLES/counter" 30 20
wait_peers 1
checkpoint_blocking
wait_exit "$PID2" 30
assert_rc "$WAIT_RC" 0 "a new computation after the kill"
