#!/usr/bin/env bash
# shell_wait.sh
#
# /bin/sh (dash) runs a program and waits for it with wait3(), which glibc sends straight to the
# kernel. Checkpointed while it waits, killed and restarted: after the restart the shell must
# still find its child by the pid it knows (the runtime translates wait3 too), so it prints the
# program's exit code 0 and its own next line, as in an uninterrupted run.
. "$(dirname "$0")/lib.sh"
e2e_init shell-wait

"$DMTCP_EXAMPLES/counter" 60 0 >"$T/expected_count.txt"
printf 'exit 0\ndone\n' >"$T/expected.txt"
count=$T/run/count.txt
out=$T/run/out.txt
start_coordinator
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join /bin/sh -c "$DMTCP_EXAMPLES/counter 60 60 >'$count'; echo \"exit \$?\"; echo done"
wait_line "$count" '^count 15 ' "" "$PID"
wait_peers 2
checkpoint_blocking
kill_and_restart "restarted sh"
assert_same "$T/expected_count.txt" "$count" "the program's output"
assert_same "$T/expected.txt" "$out" "the shell's output"
wait_peers 0
