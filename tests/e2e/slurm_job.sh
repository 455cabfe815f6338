#!/usr/bin/env bash
# slurm_job.sh
#
# A real Slurm job (ci/slurm.sh: slurmctld and two slurmd on this machine) submitted with
# dmtcp_sbatch: a counter under dmtcp_job with a 2 s checkpoint interval.
#  - Interval checkpoints become complete generations (<ckptdir>/<jobid>/gen-<n>, "latest").
#  - Sent the warning signal (what --signal=B:USR1@lead delivers before a time limit or a
#    preemption), the job checkpoints, stops and requeues itself; Slurm starts it again
#    (SLURM_RESTART_COUNT=1) and dmtcp_job restarts the counter from the checkpoint.
#  - The job's one output file shows one continuous count: every line right (the running sum
#    proves the state), none missing, the restarted part taking over where the checkpoint was;
#    the job completes with exit code 0.
. "$(dirname "$0")/lib.sh"
e2e_init slurm-job

export SLURM_CONF=${DMTCP_SLURM_DIR:-/tmp/dmtcp-slurm}/slurm.conf
if ! sinfo -h >/dev/null 2>&1; then
  if ((EUID != 0)); then
    log "SKIP: Slurm is not up and starting it needs root (ci/slurm.sh up)"
    exit 77
  fi
  fail "Slurm does not answer (SLURM_CONF=$SLURM_CONF): $(sinfo 2>&1)"
fi

job_state() { scontrol show job "$1" 2>/dev/null | grep -oE 'JobState=[A-Z_]+' | cut -d= -f2; }
job_field() { scontrol show job "$1" 2>/dev/null | grep -oE "$2=[^ ]+" | cut -d= -f2; }

"$DMTCP_EXAMPLES/counter" 150 0 >"$T/expected.txt"
out=$T/job.out
submitted=$("$DMTCP_BIN/dmtcp_sbatch" --interval 2 --ckptdir "$T/ckpt" --lead 30 -J dmtcp-e2e \
  -o "$out" -D "$T" -- "$DMTCP_EXAMPLES/counter" 150 100 2>&1) || fail "dmtcp_sbatch: $submitted"
job=$(grep -oE '[0-9]+$' <<<"$submitted")
[[ -n $job ]] || fail "no job id in: $submitted"
trap 'scancel "$job" 2>/dev/null' EXIT
log "job $job"
wait_line "$out" '^count 20 ' 60
# Interval checkpoints: at least one complete generation.
deadline=$((SECONDS + 30))
until [[ -L $T/ckpt/$job/latest && -f $T/ckpt/$job/latest/dmtcp_restart_script.sh ]]; do
  ((SECONDS < deadline)) || fail "no complete checkpoint in $T/ckpt/$job after 30s: $(ls -R "$T/ckpt")"
  sleep 0.2
done
gen_before=$(cat "$T/ckpt/$job/generation")
log "generation $gen_before is complete"

scancel --signal=USR1 --batch "$job" || fail "scancel --signal=USR1 --batch $job failed"
wait_line "$out" "requeueing job $job" 60
# Requeued: pending while its credential expires (AuthInfo=cred_expire=10; starting it earlier
# gets it killed as "non-startable"), then running again.
deadline=$((SECONDS + 90))
until [[ $(job_field "$job" Restarts) == 1 && $(job_state "$job") =~ ^(RUNNING|COMPLETED)$ ]]; do
  ((SECONDS < deadline)) || fail "job $job did not start again: $(scontrol show job "$job")"
  sleep 0.5
done
log "job $job runs again (restart count $(job_field "$job" Restarts))"
wait_line "$out" "restarting from gen-" 30
deadline=$((SECONDS + 90))
until [[ $(job_state "$job") == COMPLETED ]]; do
  state=$(job_state "$job")
  [[ $state =~ ^(FAILED|CANCELLED|TIMEOUT|NODE_FAIL)$ ]] &&
    fail "job $job ended $state: $(tail -n 20 "$out")"
  ((SECONDS < deadline)) || fail "job $job did not complete: $(scontrol show job "$job")"
  sleep 0.5
done
[[ $(job_field "$job" ExitCode) == 0:0 ]] || fail "job exit code $(job_field "$job" ExitCode)"
trap - EXIT

# The count: each line as in an uninterrupted run; after the restart it goes on from a
# checkpointed step (a step printed after the checkpoint may appear twice, never one missing).
grep '^count ' "$out" >"$T/counts.txt"
"$PYTHON" - "$T/expected.txt" "$T/counts.txt" <<'PY' || fail "the job's count is not one continuous sequence"
import sys
expected = {int(l.split()[1]): l for l in open(sys.argv[1])}
got = [l for l in open(sys.argv[2])]
prev, restarts = 0, 0
for l in got:
    k = int(l.split()[1])
    if l != expected.get(k):
        sys.exit(f"wrong line: {l!r}, expected {expected.get(k)!r}")
    if k != prev + 1:
        if k > prev or k < prev - 5:
            sys.exit(f"step {k} after step {prev}")
        restarts += 1
    prev = k
if prev != len(expected):
    sys.exit(f"the count stopped at {prev}")
if restarts > 1:
    sys.exit(f"{restarts} jumps back, one restart expected")
print(f"{len(got)} lines, {restarts} step(s) repeated at the restart")
PY
log "restart count in the environment: $(grep -c 'restart 1' "$out") line(s) of dmtcp_job say restart 1"
grep -q "(slurm, restart 1)" "$out" || fail "dmtcp_job did not see SLURM_RESTART_COUNT=1"
# Only the newest generations stay (--keep, 2 by default); "latest" names the newest.
gens=("$T/ckpt/$job"/gen-*)
((${#gens[@]} == 2)) || fail "expected 2 kept generations, found: ${gens[*]}"
[[ $(readlink "$T/ckpt/$job/latest") == "gen-$(cat "$T/ckpt/$job/generation")" ]] ||
  fail "latest does not name the newest generation"
