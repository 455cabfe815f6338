#!/usr/bin/env bash
# coordinator_restart.sh [direct|early|job]  A coordinator that dies does not end checkpointing: its
# processes run on, join it again when it is started again at the same address, and the next
# checkpoint and a restart from it succeed.
#
# direct: a counter and a shell loop that forks and execs several commands every 50 ms (each
# line carries a sha1sum of its number) run under a coordinator. After a checkpoint the
# coordinator is killed with SIGKILL; both programs must go on (the loop forks and execs through
# the outage: a child must not die for want of a coordinator), then the coordinator is started
# again with the same options on the same port. It must take over the secret the dead one
# left; both programs must be back under it within 60 s (the time is printed); a blocking
# checkpoint must succeed; then both are killed and restarted from it, and their outputs must
# equal uninterrupted runs'.
# early: the same, with the coordinator killed before any checkpoint, and a blocking checkpoint
# asked for as soon as it is started again: it must wait for both programs and hold both.
# job: dmtcp_job --interval 3 runs the counter; after its first checkpoint the job's coordinator
# is killed with SIGKILL. dmtcp_job must say it starts it again, and a later checkpoint must
# complete. Then everything is killed (a lost node), the job is started again, restarts from
# its newest checkpoint and its output equals an uninterrupted run's.
. "$(dirname "$0")/lib.sh"
mode=${1:-direct}
e2e_init "coordinator_restart_$mode"

N=1200
DELAY=25
"$DMTCP_EXAMPLES/counter" "$N" 0 >"$T/native.txt" || fail "counter without dmtcp failed"

if [[ $mode == job ]]; then
  export DMTCP_JOB_ID=crj
  jobdir=$T/jobs/crj
  start_bg JOB "$T/run/job.out" "$T/job.err" "$DMTCP_BIN/dmtcp_job" --ckptdir "$T/jobs" \
    --interval 3 -- "$DMTCP_EXAMPLES/counter" "$N" "$DELAY"
  # shellcheck disable=SC2154  # set by start_bg
  job=$JOB
  wait_line "$T/job.err" 'checkpoint 1 complete' 60 "$job"
  # The coordinator dmtcp_job started (a daemon: it is in no process group of ours).
  coord=$(pgrep -f "dmtcp_coordinator --daemon --port 0 --port-file $jobdir/coordinator.port")
  [[ $coord =~ ^[0-9]+$ ]] || fail "cannot find the job's coordinator: '$coord'"
  kill -KILL "$coord"
  before=$(grep -c 'checkpoint [0-9]* complete' "$T/job.err")
  log "killed the job's coordinator $coord after $before checkpoints"
  wait_line "$T/job.err" 'is gone: starting it again' 30 "$job"
  wait_line "$T/job.err" 'coordinator started again on port' 10 "$job"
  ! grep -q 'no processes to checkpoint' "$T/job.err" ||
    fail "a checkpoint did not wait for the processes to come back: $(tail -n 5 "$T/job.err")"
  t0=$SECONDS
  until (($(grep -c 'checkpoint [0-9]* complete' "$T/job.err") > before)); do
    is_alive "$job" || fail "dmtcp_job ended: $(tail -n 5 "$T/job.err")"
    ((SECONDS - t0 < 60)) || fail "no checkpoint completed within 60 s after the coordinator \
was started again: $(tail -n 5 "$T/job.err")"
    sleep 0.2
  done
  log "checkpoint after the coordinator's restart: $(grep 'complete' "$T/job.err" | tail -n 1)"
  grep -q 'took over the secret' "$jobdir/coordinator.log" ||
    fail "the coordinator started again did not take over the secret"
  kill_program "$job"
  start_bg JOB2 ">>$T/run/job.out" "$T/job2.err" "$DMTCP_BIN/dmtcp_job" --ckptdir "$T/jobs" \
    --interval 3 -- "$DMTCP_EXAMPLES/counter" "$N" "$DELAY"
  # shellcheck disable=SC2154  # set by start_bg
  wait_exit "$JOB2" 120
  assert_rc "$WAIT_RC" 0 "the job started again"
  grep -q 'restarting from gen-' "$T/job2.err" ||
    fail "the job started again did not restart: $(cat "$T/job2.err")"
  assert_same "$T/native.txt" "$T/run/job.out" "the counter's output"
  exit 0
fi

cat >"$T/loop.sh" <<'EOF'
#!/bin/bash
for ((i = 1; i <= $1; i++)); do
  echo "line $i $(printf '%s' "$i" | sha1sum | cut -c1-8)"
  sleep "${2:-0.05}"
done
EOF
chmod +x "$T/loop.sh"
L=350 # lines: about 110 are out when the last checkpoint is taken
"$T/loop.sh" "$L" 0 >"$T/native_loop.txt" || fail "the loop without dmtcp failed"

start_coordinator
start_bg PID_a "$T/run/a.out" "$T/a.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$DMTCP_EXAMPLES/counter" "$N" "$DELAY"
start_bg PID_b "$T/run/b.out" "$T/b.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$T/loop.sh" "$L"
# shellcheck disable=SC2154  # set by start_bg
pa=$PID_a pb=$PID_b
wait_line "$T/run/a.out" '^count 20 ' "" "$pa"
wait_line "$T/run/b.out" '^line 20 ' "" "$pb"
first=none
if [[ $mode == direct ]]; then
  checkpoint_blocking
  first=$(md5sum <"$CKPT/dmtcp_restart_script.sh")
fi

kill -KILL "$COORD_PID"
wait "$COORD_PID" 2>/dev/null
at_a=$(last_num "$T/run/a.out" count)
at_b=$(last_num "$T/run/b.out" line)
log "killed the coordinator at count $at_a, line $at_b"
# Through the outage: both run on, and the loop's children (forked and exec'd without a
# coordinator) work.
wait_line "$T/run/a.out" "^count $((at_a + 60)) " 20 "$pa"
wait_line "$T/run/b.out" "^line $((at_b + 30)) " 20 "$pb"
grep -q 'trying every second to join it again' "$T/a.err" ||
  fail "the counter did not say it lost its coordinator: $(cat "$T/a.err")"
# Once per process, not once per command the loop runs: the processes that were joining when
# the coordinator died say it (how many depends on the machine's load), the commands the loop
# starts later do not.
said=$(grep -c 'coordinator' "$T/b.err")
wait_line "$T/run/b.out" "^line $((at_b + 60)) " 20 "$pb"
((said <= 12 && $(grep -c 'coordinator' "$T/b.err") == said)) ||
  fail "the loop's stderr fills with messages about the coordinator: $(head -n 20 "$T/b.err")"

t0=$(date +%s.%N)
start_bg COORD_PID "$T/coord2.out" "$T/coord2.err" "$DMTCP_BIN/dmtcp_coordinator" \
  --port "$PORT" --ckptdir "$CKPT" --coord-logfile "$T/coord.log"
wait_line "$T/coord.log" 'took over the secret' 10 "$COORD_PID"
if [[ $mode == early ]]; then
  # At once: the checkpoint must wait until both are back (they never were checkpointed, so
  # neither can say how many processes to wait for).
  checkpoint_blocking
  grep -q 'counter' "$CKPT/dmtcp_restart_script.sh" && grep -q 'bash' "$CKPT/dmtcp_restart_script.sh" ||
    fail "the first checkpoint left a process out: $(cat "$CKPT/dmtcp_restart_script.sh")"
fi
deadline=$((SECONDS + 60))
until list=$(dc -l 2>/dev/null) && [[ $list == *counter* && $list == *bash* ]]; do
  ((SECONDS < deadline)) || fail "the programs are not back within 60 s: $list"
  sleep 0.1
done
back=$(echo "$(date +%s.%N) - $t0" | bc)
log "both programs back under the new coordinator ${back}s after it was started"
checkpoint_blocking
[[ $(md5sum <"$CKPT/dmtcp_restart_script.sh") != "$first" ]] ||
  fail "the checkpoint under the new coordinator wrote no new restart script"
grep -q 'counter' "$CKPT/dmtcp_restart_script.sh" && grep -q 'bash' "$CKPT/dmtcp_restart_script.sh" ||
  fail "the new checkpoint does not hold both programs: $(cat "$CKPT/dmtcp_restart_script.sh")"

kill_program "$pa"
kill_program "$pb"
wait_peers 0
restart_script
start_bg PID "$T/restart.out" "$T/restart.err" "$RS" -h "$COORD_HOST" -p "$PORT"
wait_exit "$PID" 120
assert_rc "$WAIT_RC" 0 "the restart"
wait_peers 0 60
assert_same "$T/native.txt" "$T/run/a.out" "the counter's output"
assert_same "$T/native_loop.txt" "$T/run/b.out" "the loop's output"
log "back within ${back}s; checkpointed and restarted under the coordinator started again"
