#!/usr/bin/env bash
# python_loop.sh
#
# Debian's /usr/bin/python3 running examples/loop.py (a loop carrying a dict, a list and a running
# SHA-256), stdout to a file. Checkpoint with the short option `dmtcp_command -bc`, kill -9,
# restart with the generated restart script: the output file must equal an uninterrupted run's
# and the interpreter must exit 0.
. "$(dirname "$0")/lib.sh"
e2e_init python-loop

N=300
DELAY=30
LOOP=$DMTCP_EXAMPLES_SRC/loop.py
out=$T/run/out.txt
expected=$T/expected.txt
[[ -x $PYTHON ]] || fail "$PYTHON is not installed"
[[ -f $LOOP ]] || fail "$LOOP missing"

"$PYTHON" "$LOOP" "$N" 0 >"$expected" || fail "loop.py without dmtcp failed"
[[ $(wc -l <"$expected") -eq $N ]] || fail "loop.py without dmtcp printed $(wc -l <"$expected") lines"

start_coordinator
start_bg LPID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$PYTHON" "$LOOP" "$N" "$DELAY"
wait_line "$out" '^step 30 ' "" "$LPID"
wait_peers 1
msg=$(dc -bc 2>&1) || fail "dmtcp_command -bc failed: $msg"
single_image 'ckpt_*.dmtcp'
log "image $IMG"
at=$(last_num "$out" step)
wait_line "$out" "^step $((at + 5)) " "" "$LPID"
kill_program "$LPID"
killed_at=$(last_num "$out" step)
((killed_at < N)) || fail "loop.py finished before it was killed"
wait_peers 0

restart_script
start_bg RPID "$T/restart.out" "$T/restart.err" "$RS" -h "$COORD_HOST" -p "$PORT"
wait_exit "$RPID" 90
assert_rc "$WAIT_RC" 0 "restarted python3"
assert_same "$expected" "$out" "stdout file after restart"
assert_group_gone "$RPID" "after the restarted interpreter exited"
