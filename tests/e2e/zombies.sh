#!/usr/bin/env bash
# zombies.sh
#
# A parent whose two children have ended (exit 7, killed by SIGTERM) but are not waited for yet
# is checkpointed, killed and restarted: after the restart its waitpid() must still find both
# children under the pids fork returned, with their exit status and signal, exactly as in an
# uninterrupted run.
. "$(dirname "$0")/lib.sh"
e2e_init zombies

out=$T/run/out.txt
"$DMTCP_EXAMPLES/zombies" 40 0 >"$T/expected.txt" || fail "zombies without dmtcp failed"
grep -q '^second child: same pid, signal 15$' "$T/expected.txt" || fail "zombies' own output"

start_coordinator
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$DMTCP_EXAMPLES/zombies" 40 50
wait_line "$out" '^tick 5$' "" "$PID"
wait_peers 1
checkpoint_blocking
kill_and_restart "restarted zombies"
assert_same "$T/expected.txt" "$out" "zombies' output"
wait_peers 0
