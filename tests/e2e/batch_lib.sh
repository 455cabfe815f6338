# shellcheck shell=bash
# shellcheck disable=SC2034  # SSH_CFG, TEST_HOSTS_FILE are read by the tests
# Helpers for the tests of batch jobs and several hosts (sourced after lib.sh): the test hosts of
# ci/test-hosts.sh, the Slurm of ci/slurm.sh, jobs' states, and the check that a job's output
# is one continuous count.

TEST_SUBNET=10.77.0.0/24 # the test hosts' network (ci/test-hosts.sh)

# require_test_hosts  Skips (77) when the test hosts are not up and cannot be (not root); fails
# when they should be but do not answer. Sets SSH_CFG and exports DMTCP_SSH to use them.
require_test_hosts() {
  local dir=${DMTCP_TEST_HOSTS_DIR:-/tmp/dmtcp-test-hosts}
  if ! "$E2E_ROOT/ci/test-hosts.sh" status >/dev/null 2>&1; then
    if ((EUID != 0)); then
      log "SKIP: the test hosts are not up and creating them needs root (ci/test-hosts.sh up)"
      exit 77
    fi
    fail "the test hosts do not answer: $("$E2E_ROOT/ci/test-hosts.sh" status 2>&1)"
  fi
  SSH_CFG=$dir/ssh_config
  TEST_HOSTS_FILE=$dir/hosts
  export DMTCP_SSH="ssh -F $SSH_CFG"
}

# require_slurm [PARTITION]  The same for Slurm (and a partition that must exist).
require_slurm() {
  export SLURM_CONF=${DMTCP_SLURM_DIR:-/tmp/dmtcp-slurm}/slurm.conf
  if ! sinfo -h >/dev/null 2>&1 || [[ -n ${1:-} && -z $(sinfo -h -p "$1" 2>/dev/null) ]]; then
    if ((EUID != 0)); then
      log "SKIP: Slurm is not up and starting it needs root (ci/test-hosts.sh up; ci/slurm.sh up)"
      exit 77
    fi
    fail "Slurm does not answer${1:+ with a partition $1} (SLURM_CONF=$SLURM_CONF): $(sinfo 2>&1)"
  fi
}

# require_open_mpi EXE  Skips (77) without Open MPI or the MPI example EXE. Else lets Open MPI
# run as root (as the tests do), keeps it on the test hosts' subnet (the machine has another
# network the hosts cannot reach) and puts its session folders under $T/sessions.
require_open_mpi() {
  if ! command -v mpirun >/dev/null || [[ ! -x $1 ]]; then
    log "SKIP: Open MPI is not installed (ci/install-deps.sh installs openmpi-bin and libopenmpi-dev)"
    exit 77
  fi
  ((EUID == 0)) && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  export OMPI_MCA_btl_tcp_if_include=$TEST_SUBNET OMPI_MCA_oob_tcp_if_include=$TEST_SUBNET \
    TMPDIR=$T/sessions
  mkdir -p "$TMPDIR"
}

job_state() { scontrol show job "$1" 2>/dev/null | grep -oE 'JobState=[A-Z_]+' | cut -d= -f2; }
job_field() { scontrol show job "$1" 2>/dev/null | grep -oE "$2=[^ ]+" | cut -d= -f2; }

# submitted_job OUTPUT  The job id at the end of sbatch's "Submitted batch job N".
submitted_job() {
  local id
  id=$(grep -oE '[0-9]+$' <<<"$1")
  [[ -n $id ]] || fail "no job id in: $1"
  printf '%s\n' "$id"
}

# wait_job_completed JOB OUT [TIMEOUT]  Waits until the job has completed with exit code 0; fails
# at once if it ends otherwise (showing the end of its output file OUT).
wait_job_completed() {
  local job=$1 out=$2 deadline=$((SECONDS + ${3:-120})) state
  until [[ $(job_state "$job") == COMPLETED ]]; do
    state=$(job_state "$job")
    [[ $state =~ ^(FAILED|CANCELLED|TIMEOUT|NODE_FAIL|PREEMPTED)$ ]] &&
      fail "job $job ended $state: $(tail -n 20 "$out")"
    ((SECONDS < deadline)) || fail "job $job did not complete: $(scontrol show job "$job")"
    sleep 0.5
  done
  [[ $(job_field "$job" ExitCode) == 0:0 ]] || fail "job $job exit code $(job_field "$job" ExitCode)"
}

# kill_job_outright JOB  Kills every process of the Slurm job with SIGKILL at once, as a node
# failure would (no checkpoint at the end), and waits until Slurm has ended it. scancel's SIGKILL
# alone is not that: Slurm's process tracking on the test cluster (proctrack/linuxproc) walks the
# process tree, and a process forked during the walk outlives its parent, reparented out of the
# tree. So every process whose environment names the job is stopped first, again until no new
# one appears, and then all are killed.
kill_job_outright() {
  local deadline=$((SECONDS + 60)) stopped=" " pid fresh round
  for ((round = 0; round < 100; round++)); do
    fresh=0
    for pid in $(job_processes "$1"); do
      [[ $stopped == *" $pid "* ]] && continue
      kill -STOP "$pid" 2>/dev/null && stopped+="$pid " && fresh=1
    done
    ((fresh)) || break
  done
  [[ $stopped != " " ]] || fail "job $1 has no process to kill"
  # shellcheck disable=SC2086 # one pid a word
  kill -KILL $stopped 2>/dev/null
  scancel --signal=KILL --full "$1" 2>/dev/null
  until [[ $(job_state "$1") =~ ^(FAILED|CANCELLED|COMPLETED)$ ]]; do
    ((SECONDS < deadline)) || fail "job $1 did not end after SIGKILL: $(job_state "$1")"
    sleep 0.2
  done
}

# job_processes JOB  The pids of the processes whose environment has SLURM_JOB_ID=JOB (not
# Slurm's own slurmstepd).
job_processes() {
  local f pid
  for f in $(grep -lzxF "SLURM_JOB_ID=$1" /proc/[0-9]*/environ 2>/dev/null); do
    pid=${f#/proc/}
    pid=${pid%/environ}
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == slurmstepd ]] || echo "$pid"
  done
}

# assert_continuous_count EXPECTED OUT [PREFIX]  The "count" lines of OUT (those starting with
# PREFIX, which is removed) must be one continuous count: each line as in EXPECTED (an
# uninterrupted run: the running sum proves the state), none missing, and where a restart took
# over, the count goes on from a checkpointed step (a few steps printed after the checkpoint may
# appear twice; MAX_BACK steps at most, default 5: more where a restart fell back to an older
# checkpoint).
assert_continuous_count() {
  local expected=$1 out=$2 prefix=${3:-} max_back=${4:-5} counts
  counts=$(mktemp "$T/counts.XXXXXX")
  grep "^${prefix}count " "$out" | sed "s/^${prefix}//" >"$counts"
  "$PYTHON" - "$expected" "$counts" "$max_back" <<'PY' || fail "${prefix:+task ${prefix%: } }count in $out is not one continuous sequence"
import sys
expected = {int(l.split()[1]): l for l in open(sys.argv[1])}
prev, repeats = 0, 0
for l in open(sys.argv[2]):
    k = int(l.split()[1])
    if l != expected.get(k):
        sys.exit(f"wrong line: {l!r}, expected {expected.get(k)!r}")
    if k != prev + 1:
        if k > prev or k < prev - int(sys.argv[3]):
            sys.exit(f"step {k} after step {prev}")
        repeats += 1
    prev = k
if prev != len(expected):
    sys.exit(f"the count stopped at {prev}")
print(f"{prev} steps, {repeats} restart(s) repeating steps")
PY
}

# newest_generation JOB_DIR  The number of the newest complete generation folder (gen-<n> with
# its restart script; 0 if none). Read it, not the "generation" file, after a job was killed:
# killed between a generation's rename (its commit) and that file, the file lags behind.
newest_generation() {
  local g n=0
  for g in "$1"/gen-*; do
    [[ -f $g/dmtcp_restart_script.sh ]] || continue
    ((${g##*/gen-} > n)) && n=${g##*/gen-}
  done
  echo "$n"
}

# wait_generations JOB_DIR N  Waits until dmtcp_job has kept N complete generations in JOB_DIR.
wait_generations() {
  local deadline=$((SECONDS + 60))
  until (($(cat "$1/generation" 2>/dev/null || echo 0) >= $2)); do
    ((SECONDS < deadline)) || fail "fewer than $2 generations in $1 after 60 s: $(ls "$1")"
    sleep 0.2
  done
}
