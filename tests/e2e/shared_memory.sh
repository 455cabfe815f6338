#!/usr/bin/env bash
# shared_memory.sh
#
# A parent and its child increment one counter in a MAP_SHARED|MAP_ANONYMOUS page, taking turns.
# Checkpointed mid-run, killed and restarted: the page must be shared again after the restart
# (otherwise the turns stall or the final count is short), so the whole output must equal an
# uninterrupted run's, ending in "final 2*steps", with exit code 0.
. "$(dirname "$0")/lib.sh"
e2e_init shared-memory

out=$T/run/out.txt
"$DMTCP_EXAMPLES/shared_counter" 80 0 >"$T/expected.txt" || fail "shared_counter without dmtcp"
[[ $(tail -n 1 "$T/expected.txt") == "final 160" ]] || fail "shared_counter's own result is wrong"

start_coordinator
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$DMTCP_EXAMPLES/shared_counter" 80 25
wait_line "$out" '^parent turn 20 ' "" "$PID"
wait_peers 2
checkpoint_blocking
kill_and_restart "restarted shared_counter"
assert_same "$T/expected.txt" "$out" "shared_counter's output"
wait_peers 0
