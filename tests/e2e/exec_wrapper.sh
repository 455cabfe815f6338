#!/usr/bin/env bash
# exec_wrapper.sh  A program behind exec wrappers, under a coordinator started the way job scripts
# start it (--exit-on-last), restarted twice on new coordinators.
#
# dmtcp_launch runs a /bin/sh wrapper that execs bash (exec env bash -c ...: two execs); bash
# runs rounds that each start new processes (echo | md5sum | cut), then execs python3 loop.py.
# The process that execs must never count as gone: with --exit-on-last, the coordinator would
# end and the new program fail with "cannot join the coordinator". The computation is
# checkpointed and killed (the coordinator ends with it), restarted on a new coordinator (another
# port and secret), checkpointed and killed again, and restarted once more: the processes started
# after each restart must join the new coordinator (their environment names it, even where the
# program passed an old copy). The output must equal an uninterrupted run's, and the exit code 0.
. "$(dirname "$0")/lib.sh"
e2e_init exec_wrapper

ROUNDS=120
cat >"$T/wrapper.sh" <<EOF
#!/bin/sh
echo "wrapper \$\$"
exec env EXEC_WRAPPER_TEST=1 bash -c 'for i in \$(seq 1 $ROUNDS); do
    echo "round \$i \$(echo \$i | md5sum | cut -c1-8)"; sleep 0.05
  done
  exec "$PYTHON" "$DMTCP_EXAMPLES_SRC/loop.py" 40 20'
EOF
chmod +x "$T/wrapper.sh"
"$T/wrapper.sh" | sed 1d >"$T/expected.txt" || fail "the wrapper without dmtcp failed"

out=$T/run/out.txt
start_coordinator --exit-on-last
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$T/wrapper.sh"
for round in 1 2; do
  at=$(last_num "$out" round)
  wait_line "$out" "^round $((at + 15)) " "" "$PID"
  # The last process is gone: a coordinator with --exit-on-last ends, as in a job; the next
  # job's script starts a new one.
  restart_on_new_coordinator "$round"
  log "round $round: restarted on a new coordinator at port $PORT"
done
wait_exit "$PID" 90
assert_rc "$WAIT_RC" 0 "the restarted program (python3 after exec)"
sed 1d "$out" >"$T/actual.txt"
assert_same "$T/expected.txt" "$T/actual.txt" "the output"
grep -q '^wrapper ' "$out" || fail "the wrapper's first line is missing"
