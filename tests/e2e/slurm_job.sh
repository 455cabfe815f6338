#!/usr/bin/env bash
# slurm_job.sh
#
# A real Slurm job (ci/slurm.sh: slurmctld and slurmd daemons on this machine) submitted with
# dmtcp_sbatch: a counter under dmtcp_job with a 2 s checkpoint interval.
#  - Interval checkpoints become complete generations (<ckptdir>/<jobid>/gen-<n>, "latest").
#  - Sent the warning signal (what --signal=B:USR1@lead delivers before a time limit or a
#    preemption), the job checkpoints, stops and requeues itself; Slurm starts it again
#    (SLURM_RESTART_COUNT=1) and dmtcp_job restarts the counter from the checkpoint.
#  - The job's one output file shows one continuous count; the job completes with exit code 0;
#    only the newest two generations are kept.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/batch_lib.sh"
e2e_init slurm-job
require_slurm

"$DMTCP_EXAMPLES/counter" 150 0 >"$T/expected.txt"
out=$T/job.out
submitted=$("$DMTCP_BIN/dmtcp_sbatch" --interval 2 --ckptdir "$T/ckpt" --lead 30 -J dmtcp-e2e \
  -o "$out" -D "$T" -- "$DMTCP_EXAMPLES/counter" 150 100 2>&1) || fail "dmtcp_sbatch: $submitted"
job=$(submitted_job "$submitted")
on_exit 'scancel "$job" 2>/dev/null'
log "job $job"
wait_line "$out" '^count 20 ' 60
# Interval checkpoints: at least one complete generation.
deadline=$((SECONDS + 30))
until [[ -L $T/ckpt/$job/latest && -f $T/ckpt/$job/latest/dmtcp_restart_script.sh ]]; do
  ((SECONDS < deadline)) || fail "no complete checkpoint in $T/ckpt/$job after 30s: $(ls -R "$T/ckpt")"
  sleep 0.2
done
log "generation $(cat "$T/ckpt/$job/generation") is complete"

scancel --signal=USR1 --batch "$job" || fail "scancel --signal=USR1 --batch $job failed"
wait_line "$out" "requeueing job $job" 60
# Requeued: pending while its credential expires (AuthInfo=cred_expire=10; starting it earlier
# gets it killed as "non-startable"), then running again, to its end.
wait_job_completed "$job" "$out" 120
[[ $(job_field "$job" Restarts) == 1 ]] || fail "restarts: $(job_field "$job" Restarts), not 1"
grep -q "(slurm, restart 1): restarting from gen-" "$out" ||
  fail "dmtcp_job did not restart with SLURM_RESTART_COUNT=1: $(grep dmtcp_job "$out")"
assert_continuous_count "$T/expected.txt" "$out"
# Only the newest generations stay (--keep, 2 by default); "latest" names the newest.
gens=("$T/ckpt/$job"/gen-*)
((${#gens[@]} == 2)) || fail "expected 2 kept generations, found: ${gens[*]}"
[[ $(readlink "$T/ckpt/$job/latest") == "gen-$(cat "$T/ckpt/$job/generation")" ]] ||
  fail "latest does not name the newest generation"
