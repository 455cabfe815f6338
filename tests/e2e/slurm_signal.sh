#!/usr/bin/env bash
# slurm_signal.sh
#
# dmtcp_sbatch --signal USR2@30 --no-requeue: the job's warning signal is USR2, and dmtcp_job
# must be waiting for that one (not its default USR1, which would leave USR2 to kill the batch
# shell without a checkpoint). Sent USR2, the job checkpoints, stops the program and, told not
# to requeue, ends: COMPLETED, never restarted, with a complete generation.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/batch_lib.sh"
e2e_init slurm-signal
require_slurm

out=$T/job.out
submitted=$("$DMTCP_BIN/dmtcp_sbatch" --ckptdir "$T/ckpt" --signal USR2@30 --no-requeue \
  -J dmtcp-signal -o "$out" -D "$T" -- "$DMTCP_EXAMPLES/counter" 600 100 2>&1) ||
  fail "dmtcp_sbatch: $submitted"
job=$(submitted_job "$submitted")
on_exit 'scancel "$job" 2>/dev/null'
wait_line "$out" '^count 20 ' 60
scancel --signal=USR2 --batch "$job" || fail "scancel --signal=USR2 failed"
wait_line "$out" 'warning signal: checkpointing' 30
wait_job_completed "$job" "$out" 60
[[ $(job_field "$job" Restarts) == 0 ]] || fail "the job was requeued: $(cat "$out")"
grep -q "requeueing" "$out" && fail "dmtcp_job requeued the job: $(cat "$out")"
[[ -f $T/ckpt/$job/latest/dmtcp_restart_script.sh ]] ||
  fail "no complete generation: $(ls -R "$T/ckpt/$job")"
last=$(last_num "$out" count)
((last >= 20 && last < 600)) || fail "the counter was not stopped by the checkpoint (last $last)"
log "PASS: USR2 was the warning; checkpointed at count $last and not requeued"
