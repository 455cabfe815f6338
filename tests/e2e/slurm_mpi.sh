#!/usr/bin/env bash
# slurm_mpi.sh [mpirun|srun]
#
# An Open MPI job in a two-node Slurm job on the test hosts (partition "hosts"), under dmtcp_job
# (dmtcp_sbatch). With mpirun (the default), the batch script runs `mpirun -np 4 mpi_ring`;
# mpirun starts its orted daemons on the allocation's nodes with srun, which runs them under
# checkpoint control (dmtcp_srun). With srun, it runs `srun --mpi=pmix -n 4 mpi_ring`: srun
# starts the ranks themselves, and dmtcp_srun gives them PMIx servers of ours
# (dmtcp_pmix_server, one per node) in place of slurmstepd's.
# Sent the warning signal while h1 is drained, the job checkpoints, requeues itself and starts
# again on h2 and h3: dmtcp_job restarts the batch host's processes on the new batch host and
# the other node's daemons and ranks on the other new node. Every rank must come back on h2 or
# h3, the output must be one continuous sequence of the uninterrupted run's lines, and the job
# must complete.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/batch_lib.sh"
launcher=${1:-mpirun}
e2e_init "slurm-mpi-$launcher"
require_test_hosts
require_slurm hosts
exe=$DMTCP_EXAMPLES/mpi_ring
require_open_mpi "$exe"
unset DMTCP_SSH
cleanup() {
  scancel "${job:-0}" 2>/dev/null
  scontrol update NodeName=h1,h3 State=RESUME >/dev/null 2>&1
}
on_exit cleanup

STEPS=120
export OMPI_MCA_rmaps_base_oversubscribe=1
mpirun -np 4 --host localhost:4 "$exe" "$STEPS" 0 >"$T/expected.txt" 2>"$T/native.err" ||
  fail "mpirun without dmtcp failed: $(cat "$T/native.err")"
out=$T/job.out
scontrol update NodeName=h3 State=DRAIN Reason=dmtcp-e2e || fail "cannot drain h3"
case $launcher in
  mpirun) run=(mpirun -np 4) ;;
  srun) run=(srun --mpi=pmix -n 4) ;;
  *) fail "usage: slurm_mpi.sh [mpirun|srun]" ;;
esac
submitted=$("$DMTCP_BIN/dmtcp_sbatch" --ckptdir "$T/ckpt" --lead 30 -p hosts -N 2 -n 4 \
  -J dmtcp-mpi -o "$out" -D "$T" -- "${run[@]}" "$exe" "$STEPS" 100 2>&1) ||
  fail "dmtcp_sbatch: $submitted"
job=$(submitted_job "$submitted")
wait_line "$out" '^step 20 ' 90
log_file=$T/ckpt/$job/coordinator.log
for h in h1 h2; do
  grep -qE "mpi_ring\[[0-9]+\]@$h joined" "$log_file" ||
    fail "no rank on $h: $(grep joined "$log_file")"
done
if [[ $launcher == srun ]]; then
  # One PMIx server of ours on each node, and none of slurmstepd's in the ranks' environment.
  (($(grep -cE 'dmtcp_pmix_server\[[0-9]+\]@h[12] joined' "$log_file") == 2)) ||
    fail "expected a dmtcp_pmix_server on h1 and h2: $(grep joined "$log_file")"
fi
scontrol update NodeName=h3 State=RESUME || fail "cannot resume h3"
scontrol update NodeName=h1 State=DRAIN Reason=dmtcp-e2e || fail "cannot drain h1"
scancel --signal=USR1 --batch "$job" || fail "scancel --signal=USR1 failed"
wait_line "$out" "requeueing job $job" 60
wait_job_completed "$job" "$out" 180
grep -q "restarting from gen-1 on h2 h3" "$out" ||
  fail "the job did not restart on h2 and h3: $(grep restarting "$out")"
grep -E 'mpi_ring\[[0-9]+\]@h[0-9]+ rejoined' "$log_file" >"$T/rejoined.txt"
(($(wc -l <"$T/rejoined.txt") == 4)) || fail "expected 4 ranks to rejoin: $(cat "$T/rejoined.txt")"
grep -q '@h1 rejoined' "$log_file" && fail "a process came back on the drained node h1"
# One continuous sequence: every line is the uninterrupted run's, each step follows the one
# before, except where the restart went back to its checkpoint (a few steps again).
grep '^step ' "$out" >"$T/steps.txt"
"$PYTHON" - "$T/expected.txt" "$T/steps.txt" "$STEPS" <<'PY' || fail "the job's output is not one continuous sequence"
import sys
expected = {int(l.split()[1]): l for l in open(sys.argv[1])}
prev = 0
for l in open(sys.argv[2]):
    k = int(l.split()[1])
    if l != expected.get(k):
        sys.exit(f"wrong line: {l!r}")
    if k != prev + 1 and not (prev - 20 <= k <= prev):
        sys.exit(f"step {k} after step {prev}")
    prev = k
if prev != int(sys.argv[3]):
    sys.exit(f"the last step is {prev}")
PY
