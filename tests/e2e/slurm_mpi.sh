#!/usr/bin/env bash
# slurm_mpi.sh
#
# An Open MPI job in a two-node Slurm job on the test hosts (partition "hosts"): the batch script,
# under dmtcp_job (dmtcp_sbatch), runs `mpirun -np 4 mpi_ring`; mpirun starts its orted daemons
# on the allocation's nodes with srun, which runs them under checkpoint control (dmtcp_srun).
# Sent the warning signal while h1 is drained, the job checkpoints, requeues itself and starts
# again on h2 and h3: dmtcp_job restarts mpirun on the new batch host and the other node's
# daemons and ranks on the other new node. Every rank must come back on h2 or h3, the output
# must be one continuous sequence of the uninterrupted run's lines, and the job must complete.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/batch_lib.sh"
e2e_init slurm-mpi
require_test_hosts
require_slurm hosts
exe=$DMTCP_EXAMPLES/mpi_ring
if ! command -v mpirun >/dev/null || [[ ! -x $exe ]]; then
  log "SKIP: Open MPI is not installed (ci/install-deps.sh installs openmpi-bin and libopenmpi-dev)"
  exit 77
fi
unset DMTCP_SSH
cleanup() {
  scancel "${job:-0}" 2>/dev/null
  scontrol update NodeName=h1,h3 State=RESUME >/dev/null 2>&1
}
trap cleanup EXIT

STEPS=120
subnet=10.77.0.0/24
((EUID == 0)) && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_tcp_if_include=$subnet OMPI_MCA_oob_tcp_if_include=$subnet \
  OMPI_MCA_rmaps_base_oversubscribe=1 TMPDIR=$T/sessions
mkdir -p "$TMPDIR"
mpirun -np 4 --host localhost:4 "$exe" "$STEPS" 0 >"$T/expected.txt" 2>"$T/native.err" ||
  fail "mpirun without dmtcp failed: $(cat "$T/native.err")"
out=$T/job.out
scontrol update NodeName=h3 State=DRAIN Reason=dmtcp-e2e || fail "cannot drain h3"
submitted=$("$DMTCP_BIN/dmtcp_sbatch" --ckptdir "$T/ckpt" --lead 30 -p hosts -N 2 \
  -J dmtcp-mpi -o "$out" -D "$T" -- mpirun -np 4 "$exe" "$STEPS" 100 2>&1) ||
  fail "dmtcp_sbatch: $submitted"
job=$(submitted_job "$submitted")
wait_line "$out" '^step 20 ' 90
log_file=$T/ckpt/$job/coordinator.log
for h in h1 h2; do
  grep -qE "mpi_ring\[[0-9]+\]@$h joined" "$log_file" ||
    fail "no rank on $h: $(grep joined "$log_file")"
done
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
