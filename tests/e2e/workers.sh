#!/usr/bin/env bash
# workers.sh
#
# A parent forks 3 workers that report to it through pipes; it reads their lines in turn and then
# waitpid()s each by pid. Checkpointed mid-run, killed and restarted: the lines must equal an
# uninterrupted run's, the parent must print the same pids (its own and its workers') before and
# after the restart, and waitpid must return exactly those pids with each worker's exit status.
. "$(dirname "$0")/lib.sh"
e2e_init workers

out=$T/run/out.txt
"$DMTCP_EXAMPLES/workers" 3 40 0 >"$T/native.txt" || fail "workers without dmtcp failed"

start_coordinator
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$DMTCP_EXAMPLES/workers" 3 40 60
wait_line "$out" '^worker 2 step 10 ' "" "$PID"
wait_peers 4
checkpoint_blocking
kill_and_restart "restarted parent"

grep -v '^parent \|^waited ' "$T/native.txt" >"$T/expected_lines.txt"
grep -v '^parent \|^waited ' "$out" >"$T/actual_lines.txt"
assert_same "$T/expected_lines.txt" "$T/actual_lines.txt" "workers' lines"
first=$(grep '^parent ' "$out" | head -n 1)
last=$(grep '^parent ' "$out" | tail -n 1)
[[ -n $first && $first == "$last" ]] || fail "pids changed across the restart: '$first' / '$last'"
read -r -a pids <<<"${first#parent * workers }"
((${#pids[@]} == 3)) || fail "cannot parse worker pids from '$first'"
for i in 0 1 2; do
  grep -qx "waited ${pids[$i]}: exit $i" "$out" ||
    fail "no 'waited ${pids[$i]}: exit $i' (waitpid after restart): $(grep '^waited' "$out")"
done
wait_peers 0
