#!/usr/bin/env bash
# slurm_preempt.sh
#
# Preemption on a real Slurm (ci/slurm.sh): a counter job under dmtcp_job in the low-priority
# partition "batch" (PreemptMode=REQUEUE, GraceTime=20, the user's signal sent at grace start)
# holds both nodes; a job in the high-priority partition "urgent" needs them. The low job must
# checkpoint within the grace time (it has no checkpoint interval: the only checkpoint is the
# one the preemption causes), be requeued, start again once the urgent job is done, and finish
# its count from the checkpoint: one continuous sequence, exit code 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/batch_lib.sh"
e2e_init slurm-preempt
require_slurm batch

"$DMTCP_EXAMPLES/counter" 150 0 >"$T/expected.txt"
out=$T/job.out
submitted=$("$DMTCP_BIN/dmtcp_sbatch" --ckptdir "$T/ckpt" --lead 5 -p batch -N 2 --exclusive \
  -J dmtcp-low -o "$out" -D "$T" -- "$DMTCP_EXAMPLES/counter" 150 100 2>&1) ||
  fail "dmtcp_sbatch: $submitted"
low=$(submitted_job "$submitted")
on_exit 'scancel "$low" "${urgent:-}" 2>/dev/null'
wait_line "$out" '^count 20 ' 60
urgent=$(sbatch --parsable -p urgent -N 2 --exclusive -J dmtcp-urgent -o "$T/urgent.out" \
  --wrap 'sleep 2') || fail "cannot submit the urgent job"
log "low job $low, urgent job $urgent"
wait_line "$out" 'checkpoint 1 complete' 30
wait_job_completed "$urgent" "$T/urgent.out" 120
wait_job_completed "$low" "$out" 120
(($(job_field "$low" Restarts) >= 1)) || fail "the low job was not requeued"
grep -q "restarting from gen-1" "$out" || fail "the low job did not restart from its checkpoint"
assert_continuous_count "$T/expected.txt" "$out"
