#!/usr/bin/env bash
# pty_script.sh
#
# A program under script(1): script runs it in a new pty and copies the pty's output to its
# stdout, waiting with poll() on a signalfd with every signal blocked. Checkpointed, killed and
# restarted: script and the program must carry on (no spurious EINTR from the checkpoint, a new
# pty), and the output, without the terminal's carriage returns, must equal an uninterrupted
# run of the program; script exits 0.
. "$(dirname "$0")/lib.sh"
e2e_init pty-script
command -v script >/dev/null || fail "script(1) (util-linux) is not installed"

out=$T/run/out.txt
"$DMTCP_EXAMPLES/counter" 80 0 >"$T/expected.txt" || fail "counter without dmtcp failed"

start_coordinator
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join script -q -e -c "exec $DMTCP_EXAMPLES/counter 80 40" /dev/null
wait_line "$out" '^count 20 ' "" "$PID"
wait_peers 2
checkpoint_blocking
kill_and_restart "restarted script(1)"
tr -d '\r' <"$out" >"$T/actual.txt"
assert_same "$T/expected.txt" "$T/actual.txt" "the program's output through script(1)"
wait_peers 0
