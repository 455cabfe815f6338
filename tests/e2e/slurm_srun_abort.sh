#!/usr/bin/env bash
# slurm_srun_abort.sh
#
# MPI_Abort in ranks that srun started under checkpoint control (srun --mpi=pmix under
# dmtcp_job, with dmtcp_srun's PMIx servers): a two-node job of 4 ranks, where rank 3 aborts
# while the others wait in barriers that never end. The abort must end every rank on both
# nodes (else the job runs on until the test's deadline), name the rank and its code, and fail
# the job; nothing of the job may be left running on the nodes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/batch_lib.sh"
e2e_init slurm-srun-abort
require_test_hosts
require_slurm hosts
exe=$DMTCP_EXAMPLES/mpi_abort
require_open_mpi "$exe"
unset DMTCP_SSH
out=$T/job.out
submitted=$("$DMTCP_BIN/dmtcp_sbatch" --ckptdir "$T/ckpt" -p hosts -N 2 -n 4 -J dmtcp-abort \
  -o "$out" -D "$T" -- srun --mpi=pmix -n 4 "$exe" 3 7 2>&1) || fail "dmtcp_sbatch: $submitted"
job=$(submitted_job "$submitted")
on_exit 'scancel "$job" 2>/dev/null'
deadline=$((SECONDS + 120))
until [[ $(job_state "$job") =~ ^(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL)$ ]]; do
  ((SECONDS < deadline)) || fail "the job still runs 120 s after it started: $(tail -n 20 "$out")"
  sleep 0.5
done
for r in 0 1 2 3; do grep -qx "rank $r up" "$out" || fail "rank $r never started: $(cat "$out")"; done
grep -q "dmtcp_srun: rank 3 aborted the job (status 7)" "$out" ||
  fail "no message naming the aborting rank and its code: $(cat "$out")"
[[ $(job_state "$job") == FAILED ]] || fail "the job ended $(job_state "$job"), not FAILED"
grep -q "the program ended with exit code 0" "$out" && fail "the program reported success"
# Every process of the job is gone (the servers and tasks of both nodes included).
log_file=$T/ckpt/$job/coordinator.log
joined=$(grep -c ' joined ' "$log_file")
left=$(grep -c ' disconnected ' "$log_file")
((joined > 8 && joined == left)) ||
  fail "$joined processes joined, $left left: $(grep -E 'joined|disconnected' "$log_file")"
pgrep -f "$exe" >/dev/null && fail "a rank is still running: $(pgrep -af "$exe")"
log "PASS: MPI_Abort ended all 4 ranks on both nodes"
