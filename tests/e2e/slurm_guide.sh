#!/usr/bin/env bash
# slurm_guide.sh
#
# The job scripts of the user guide (docs/jobs/), run the way a user runs them: one source for
# the guide and the tests.
#  0. The guide quotes every job script whole: each quoted block must equal its file.
#  1. docs/jobs/pbs_job.pbs under PBS's environment (no PBS server is packaged in Debian: its
#     PBS_JOBID, PBS_O_WORKDIR and PBS_NODEFILE, as in pbs_job.sh): a counter checkpointed on the
#     interval; PBS's warning (SIGTERM) makes the job checkpoint and exit 99 for a rerun; the rerun
#     restarts the counter, which completes with one continuous count.
#  2. docs/jobs/slurm_*.sbatch submitted with plain sbatch to the cluster of ci/slurm.sh, with
#     what differs in a test (program, interval, checkpoint folder, the dmtcp commands) passed
#     by --export: slurm_interval (one node) and slurm_multinode (two nodes, srun tasks) in
#     partition "batch"; slurm_mpi (mpirun across two nodes) in partition "hosts" when the test
#     hosts and Open MPI are there. Each job must take interval checkpoints (complete
#     generations); sent the warning signal (scancel --signal=USR1 --batch: what
#     --signal=B:USR1@120 delivers before the time limit or a preemption) it must checkpoint,
#     requeue itself, start again (SLURM_RESTART_COUNT=1), restart from its checkpoint and
#     complete with exit code 0; its output must be one continuous sequence of an uninterrupted
#     run's lines.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/batch_lib.sh"
e2e_init slurm-guide
docs=$E2E_ROOT/docs
jobs_dir=$docs/jobs

# 0. The quoted blocks are the files.
"$PYTHON" - "$E2E_ROOT" <<'PY' || fail "a job script quoted in docs/ differs from its file"
import glob, os, re, sys
root = sys.argv[1]
marker = re.compile(r"<!-- (docs/jobs/[^ :]+): quoted whole")
quoted = {}
for md in sorted(glob.glob(os.path.join(root, "docs", "**", "*.md"), recursive=True)):
    lines = open(md).read().split("\n")
    for i, line in enumerate(lines):
        m = marker.match(line)
        if not m:
            continue
        if i + 1 >= len(lines) or not lines[i + 1].startswith("```"):
            sys.exit(f"{md}:{i + 1}: no code block after the marker of {m.group(1)}")
        end = lines.index("```", i + 2)
        block = "\n".join(lines[i + 2:end]) + "\n"
        name = m.group(1)
        if block != open(os.path.join(root, name)).read():
            sys.exit(f"{md}:{i + 1}: the block quoted as {name} is not the file")
        quoted[name] = md
for path in sorted(glob.glob(os.path.join(root, "docs", "jobs", "*"))):
    name = os.path.relpath(path, root)
    if name not in quoted:
        sys.exit(f"{name} is not quoted in docs/")
print(f"{len(quoted)} job scripts quoted, each equal to its file")
PY

# 1. PBS: the script under PBS's environment, on this host.
pbs=$T/pbs
mkdir -p "$pbs"
hostname >"$pbs/nodes"
"$DMTCP_EXAMPLES/counter" 120 0 >"$T/expected_pbs.txt"
pbs_out=$pbs/job-guide-pbs.out
pbs_run() {
  E2E_CWD=$T start_bg PID "$T/pbs$1.stdout" "$T/pbs$1.err" env PBS_JOBID=guide-pbs.server \
    PBS_O_WORKDIR="$pbs" PBS_NODEFILE="$pbs/nodes" DMTCP_BIN="$DMTCP_BIN" \
    JOB_PROGRAM="$DMTCP_EXAMPLES/counter" JOB_INTERVAL=2 DMTCP_CHECKPOINT_DIR="$T/ckpt" \
    bash "$jobs_dir/pbs_job.pbs" 120 100
}
pbs_run 1
wait_line "$pbs_out" '^count 20 ' 60 "$PID"
deadline=$((SECONDS + 30))
until [[ -L $T/ckpt/guide-pbs/latest ]]; do
  ((SECONDS < deadline)) || fail "pbs_job.pbs: no complete checkpoint after 30s"
  sleep 0.2
done
kill -TERM "$PID"
wait_exit "$PID" 60
assert_rc "$WAIT_RC" 99 "pbs_job.pbs after PBS's SIGTERM (the rerun code)"
grep -q "exiting with 99 for a rerun" "$pbs_out" || fail "pbs_job.pbs: no rerun message"
pbs_run 2
wait_exit "$PID" 90
assert_rc "$WAIT_RC" 0 "the rerun of pbs_job.pbs"
grep -q "restarting from gen-" "$pbs_out" || fail "the rerun of pbs_job.pbs did not restart"
assert_continuous_count "$T/expected_pbs.txt" "$pbs_out"
log "pbs_job.pbs: checkpointed, rerun, restarted, completed"

# 2. Slurm: the scripts with plain sbatch.
require_slurm batch
job_ids=()
cleanup() { ((${#job_ids[@]} == 0)) || scancel "${job_ids[@]}"; }
on_exit cleanup

# submit NAME PARTITION PROGRAM ARGS...  Submits docs/jobs/slurm_NAME.sbatch; its output goes to
# $T/NAME.out. Sets JOB.
submit() {
  local name=$1 partition=$2 program=$3 out
  shift 3
  out=$(sbatch -p "$partition" -J "guide-$name" -D "$T" -o "$T/$name.out" \
    --export="ALL,DMTCP_BIN=$DMTCP_BIN,JOB_INTERVAL=2,DMTCP_CHECKPOINT_DIR=$T/ckpt,JOB_PROGRAM=$program" \
    "$jobs_dir/slurm_$name.sbatch" "$@" 2>&1) || fail "sbatch slurm_$name.sbatch: $out"
  JOB=$(submitted_job "$out")
  job_ids+=("$JOB")
  log "slurm_$name.sbatch: job $JOB"
}

# warn NAME JOB  After its first complete interval checkpoint, sends the job the warning signal;
# it must checkpoint and requeue itself.
warn() {
  local name=$1 job=$2 deadline=$((SECONDS + 30))
  until [[ -L $T/ckpt/$job/latest && -f $T/ckpt/$job/latest/dmtcp_restart_script.sh ]]; do
    ((SECONDS < deadline)) || fail "slurm_$name.sbatch: no complete checkpoint in $T/ckpt/$job after 30s"
    sleep 0.2
  done
  scancel --signal=USR1 --batch "$job" || fail "scancel --signal=USR1 --batch $job failed"
  wait_line "$T/$name.out" "requeueing job $job" 60
}

# restarted NAME JOB  The job ran twice and its second start restarted from a checkpoint.
restarted() {
  [[ $(job_field "$2" Restarts) == 1 ]] || fail "slurm_$1.sbatch: restarts $(job_field "$2" Restarts), not 1"
  grep -q "(slurm, restart 1): restarting from gen-" "$T/$1.out" ||
    fail "slurm_$1.sbatch: the second start did not restart: $(grep dmtcp_job "$T/$1.out")"
  local gens=("$T/ckpt/$2"/gen-*)
  ((${#gens[@]} <= 2)) || fail "slurm_$1.sbatch: more than 2 generations kept: ${gens[*]}"
}

"$DMTCP_EXAMPLES/counter" 150 0 >"$T/expected_interval.txt"
"$DMTCP_EXAMPLES/counter" 80 0 >"$T/expected_multinode.txt"
submit interval batch "$DMTCP_EXAMPLES/counter" 150 100
interval_job=$JOB
submit multinode batch "$DMTCP_EXAMPLES/counter" 80 100
multinode_job=$JOB

mpi_job=""
mpi_exe=$DMTCP_EXAMPLES/mpi_ring
MPI_STEPS=120
if [[ -n $(sinfo -h -p hosts 2>/dev/null) ]] && command -v mpirun >/dev/null && [[ -x $mpi_exe ]]; then
  # The test hosts' subnet (the machine has another network the namespaces cannot reach).
  subnet=10.77.0.0/24
  ((EUID == 0)) && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  export OMPI_MCA_btl_tcp_if_include=$subnet OMPI_MCA_oob_tcp_if_include=$subnet \
    OMPI_MCA_rmaps_base_oversubscribe=1 TMPDIR=$T/sessions
  mkdir -p "$TMPDIR"
  OMPI_MCA_pml=ob1 OMPI_MCA_btl=tcp,self,vader mpirun -np 4 --host localhost:4 "$mpi_exe" \
    "$MPI_STEPS" 0 >"$T/expected_mpi.txt" 2>"$T/mpi_native.err" ||
    fail "mpirun without dmtcp failed: $(cat "$T/mpi_native.err")"
  submit mpi hosts "$mpi_exe" "$MPI_STEPS" 100
  mpi_job=$JOB
else
  log "slurm_mpi.sbatch not run: needs partition hosts (ci/test-hosts.sh up, then ci/slurm.sh up) and Open MPI"
fi

wait_line "$T/interval.out" '^count 20 ' 60
warn interval "$interval_job"
wait_line "$T/multinode.out" '^0: count 20 ' 60
wait_line "$T/multinode.out" '^1: count 20 ' 10
warn multinode "$multinode_job"
if [[ -n $mpi_job ]]; then
  wait_line "$T/mpi.out" '^step 20 ' 90
  warn mpi "$mpi_job"
fi

wait_job_completed "$interval_job" "$T/interval.out" 150
restarted interval "$interval_job"
assert_continuous_count "$T/expected_interval.txt" "$T/interval.out"
log "slurm_interval.sbatch: checkpointed, warned, requeued, restarted, completed"

wait_job_completed "$multinode_job" "$T/multinode.out" 150
restarted multinode "$multinode_job"
(($(grep -cE 'counter\[[0-9]+\]@.* joined' "$T/ckpt/$multinode_job/coordinator.log") == 2)) ||
  fail "slurm_multinode.sbatch: expected 2 srun tasks in the computation: $(grep joined "$T/ckpt/$multinode_job/coordinator.log")"
assert_continuous_count "$T/expected_multinode.txt" "$T/multinode.out" "0: "
assert_continuous_count "$T/expected_multinode.txt" "$T/multinode.out" "1: "
log "slurm_multinode.sbatch: checkpointed, warned, requeued, restarted, completed"

if [[ -n $mpi_job ]]; then
  wait_job_completed "$mpi_job" "$T/mpi.out" 180
  restarted mpi "$mpi_job"
  grep -E 'mpi_ring\[[0-9]+\]@h[0-9]+ rejoined' "$T/ckpt/$mpi_job/coordinator.log" >"$T/rejoined.txt"
  (($(wc -l <"$T/rejoined.txt") == 4)) ||
    fail "slurm_mpi.sbatch: expected 4 ranks to rejoin: $(cat "$T/rejoined.txt")"
  # One continuous sequence: every line is the uninterrupted run's, each step follows the one
  # before, except where the restart went back to its checkpoint (a few steps again).
  grep '^step ' "$T/mpi.out" >"$T/mpi_steps.txt"
  "$PYTHON" - "$T/expected_mpi.txt" "$T/mpi_steps.txt" "$MPI_STEPS" <<'PY' ||
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
    fail "slurm_mpi.sbatch: the output is not one continuous sequence"
  log "slurm_mpi.sbatch: checkpointed, warned, requeued, restarted on $(cut -d@ -f2 "$T/rejoined.txt" | cut -d' ' -f1 | sort -u | paste -sd,), completed"
fi
