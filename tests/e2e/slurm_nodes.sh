#!/usr/bin/env bash
# slurm_nodes.sh
#
# A two-node Slurm job restarted on a different node set. The nodes are the test hosts
# (ci/test-hosts.sh: network namespaces, each with its own host name and address), each running
# a real slurmd (ci/slurm.sh, partition "hosts"). The batch script, under dmtcp_job on h1, runs
# `srun -N2 -n2 -l counter` on h1 and h2. The job is sent its warning signal, so it checkpoints
# and requeues itself, while h1 is drained: it starts again on h2 and h3, and dmtcp_job restarts
# the batch script's processes on the new batch host and the tasks on the other node of the new
# allocation, as a step of the job (srun, through dmtcp_srun_ssh; no ssh). The coordinator must
# see every counter rejoin on h2 or h3 (none on h1), both counts must be continuous and srun
# must report exit code 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/batch_lib.sh"
e2e_init slurm-nodes
require_test_hosts
require_slurm hosts
# Restarts on the other nodes go through srun (dmtcp_srun_ssh), not ssh.
unset DMTCP_SSH
cleanup() {
  scancel "${job:-0}" 2>/dev/null
  scontrol update NodeName=h1,h3 State=RESUME >/dev/null 2>&1
}
on_exit cleanup

"$DMTCP_EXAMPLES/counter" 80 0 >"$T/expected.txt"
out=$T/job.out
# h3 is out of service while the job starts (so it gets h1 and h2; -w would bind the requeued
# job to them too).
scontrol update NodeName=h3 State=DRAIN Reason=dmtcp-e2e || fail "cannot drain h3"
submitted=$("$DMTCP_BIN/dmtcp_sbatch" --ckptdir "$T/ckpt" --lead 30 -p hosts -N 2 \
  -J dmtcp-nodes -o "$out" -D "$T" -- bash -c \
  "srun -N2 -n2 --ntasks-per-node=1 -l $DMTCP_EXAMPLES/counter 80 100; echo srun exit \$?" 2>&1) ||
  fail "dmtcp_sbatch: $submitted"
job=$(submitted_job "$submitted")
wait_line "$out" '^1: count 20 ' 60
wait_line "$out" '^0: count 20 ' 10
log_file=$T/ckpt/$job/coordinator.log
for h in h1 h2; do
  grep -qE "counter\[[0-9]+\]@$h joined" "$log_file" ||
    fail "no task on $h: $(grep joined "$log_file")"
done
scontrol update NodeName=h3 State=RESUME || fail "cannot resume h3"
scontrol update NodeName=h1 State=DRAIN Reason=dmtcp-e2e || fail "cannot drain h1"
scancel --signal=USR1 --batch "$job" || fail "scancel --signal=USR1 failed"
wait_line "$out" "requeueing job $job" 60
wait_job_completed "$job" "$out" 150
grep -q "restarting from gen-1 on h2 h3" "$out" ||
  fail "the job did not restart on h2 and h3: $(grep restarting "$out")"
# Every counter came back, on the new nodes only.
grep -E 'counter\[[0-9]+\]@h[0-9]+ rejoined' "$log_file" >"$T/rejoined.txt"
(($(wc -l <"$T/rejoined.txt") == 2)) || fail "expected 2 counters to rejoin: $(cat "$T/rejoined.txt")"
grep -q '@h1 rejoined' "$log_file" && fail "a process came back on the drained node h1"
grep -qE 'counter\[[0-9]+\]@h3 rejoined' "$log_file" ||
  fail "no counter was restarted on h3: $(cat "$T/rejoined.txt")"
grep -qx "srun exit 0" "$out" || fail "srun did not report exit code 0: $(grep 'srun exit' "$out")"
assert_continuous_count "$T/expected.txt" "$out" "0: "
assert_continuous_count "$T/expected.txt" "$out" "1: "
