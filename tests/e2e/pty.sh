#!/usr/bin/env bash
# pty.sh
#
# A program in a pseudo-terminal: pty_child opens a pty and forks a child that makes it its
# controlling terminal and stdout; the parent copies the pty's output to its stdout. Checkpointed,
# killed and restarted: the restart makes a new pty for the two processes, and the output must
# equal an uninterrupted run's (every line says "isatty 1 ctty 1": stdout is still a terminal and
# the controlling one), with exit code 0.
. "$(dirname "$0")/lib.sh"
e2e_init pty

out=$T/run/out.txt
"$DMTCP_EXAMPLES/pty_child" 80 0 >"$T/expected.txt" || fail "pty_child without dmtcp failed"
grep -q '^tty line 80 isatty 1 ctty 1$' "$T/expected.txt" || fail "pty_child's own output is wrong"

start_coordinator
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$DMTCP_EXAMPLES/pty_child" 80 25
wait_line "$out" '^tty line 20 ' "" "$PID"
wait_peers 2
checkpoint_blocking
kill_and_restart "restarted pty_child"
assert_same "$T/expected.txt" "$out" "pty_child's output"
wait_peers 0
