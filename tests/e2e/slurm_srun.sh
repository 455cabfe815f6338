#!/usr/bin/env bash
# slurm_srun.sh
#
# srun under checkpoint control, on a real Slurm (ci/slurm.sh): a two-node job whose batch
# script runs `srun -N2 -n2 -l counter` under dmtcp_job. srun's tasks must run under the job's
# coordinator (dmtcp_srun takes srun's place; each task joins through dmtcp_sshd). Sent the
# warning signal, the job checkpoints (tasks included), requeues, starts again and restarts
# every task from the checkpoint; both tasks' counts are continuous (srun's --label prefixes
# kept), srun reports exit code 0 and the job completes.
#
# Nodes n1 and n2 share this machine's host name, so the restart places both tasks on it;
# slurm_nodes restarts tasks on other nodes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/batch_lib.sh"
e2e_init slurm-srun
require_slurm batch

"$DMTCP_EXAMPLES/counter" 80 0 >"$T/expected.txt"
out=$T/job.out
submitted=$("$DMTCP_BIN/dmtcp_sbatch" --ckptdir "$T/ckpt" --lead 30 -p batch -N 2 -J dmtcp-srun \
  -o "$out" -D "$T" -- bash -c \
  "srun -N2 -n2 --ntasks-per-node=1 -l $DMTCP_EXAMPLES/counter 80 100; echo srun exit \$?" 2>&1) ||
  fail "dmtcp_sbatch: $submitted"
job=$(submitted_job "$submitted")
on_exit 'scancel "$job" 2>/dev/null'
wait_line "$out" '^1: count 20 ' 60
wait_line "$out" '^0: count 20 ' 10
# Both tasks are processes of the computation.
(($(grep -cE 'counter\[[0-9]+\]@.* joined' "$T/ckpt/$job/coordinator.log") == 2)) ||
  fail "expected 2 tasks in the computation: $(grep joined "$T/ckpt/$job/coordinator.log")"
scancel --signal=USR1 --batch "$job" || fail "scancel --signal=USR1 failed"
wait_line "$out" "requeueing job $job" 60
wait_job_completed "$job" "$out" 120
[[ $(job_field "$job" Restarts) == 1 ]] || fail "the job was not requeued once"
grep -q "restarting from gen-" "$out" || fail "the job did not restart from its checkpoint"
grep -qx "srun exit 0" "$out" || fail "srun did not report exit code 0: $(grep 'srun exit' "$out")"
assert_continuous_count "$T/expected.txt" "$out" "0: "
assert_continuous_count "$T/expected.txt" "$out" "1: "
