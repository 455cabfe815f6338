#!/usr/bin/env bash
# slurm_site.sh
#
# The site side under a real Slurm: ci/slurm.sh runs slurm/dmtcp_slurm_site as Prolog,
# TaskProlog and Epilog for partition "site".
#  - A plain job script that uses DMTCP's own commands (dmtcp_launch, dmtcp_command) without
#    starting a coordinator: the prolog's coordinator serves it (the TaskProlog gave the job its
#    address and secret file), the restart script lands in the job's working directory, and the
#    counter restarts from it after the job (with a coordinator of this test) to one continuous
#    count.
#  - A dmtcp_sbatch job joins the prolog's coordinator on each of its two starts and tells it
#    the job's checkpoint directory; sent the warning signal it checkpoints, is requeued and
#    continues from its checkpoint to one continuous count.
#  - After each job, the epilog has stopped its coordinator and removed its directory.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/batch_lib.sh"
e2e_init slurm-site
require_slurm site
rundir=${DMTCP_SLURM_DIR:-/tmp/dmtcp-slurm}/site-run
scontrol show config | grep -q '^Prolog .*site-script' ||
  fail "Slurm runs no site prolog (ci/slurm.sh up with DMTCP_SLURM_SITE_BIN set)"

# wait_epilog JOB  The epilog removed the job's directory and its coordinator is gone.
wait_epilog() {
  local deadline=$((SECONDS + 30))
  while [[ -e $rundir/$1 ]] || pgrep -f "dmtcp_coordinator .*--port-file $rundir/$1/port" >/dev/null; do
    ((SECONDS < deadline)) || fail "job $1: the epilog left $rundir/$1 or its coordinator behind"
    sleep 0.2
  done
}

# 1. A plain job: dmtcp_launch and dmtcp_command find the site's coordinator.
"$DMTCP_EXAMPLES/counter" 120 0 >"$T/expected.txt"
mkdir -p "$T/plain"
cat >"$T/plain/job.sh" <<EOF
#!/bin/bash
unset DMTCP_CHECKPOINT_DIR # as for a user who never set it (this test's own leaks through sbatch)
echo "coordinator \$DMTCP_COORD_HOST:\$DMTCP_COORD_PORT"
"$DMTCP_BIN/dmtcp_launch" "$DMTCP_EXAMPLES/counter" 120 100 >counter.out &
until grep -q '^count 10 ' counter.out 2>/dev/null; do sleep 0.1; done
"$DMTCP_BIN/dmtcp_command" --bcheckpoint && echo "checkpointed"
"$DMTCP_BIN/dmtcp_command" -k
wait
exit 0
EOF
submitted=$(sbatch -p site -D "$T/plain" -o "$T/plain/job.out" "$T/plain/job.sh" 2>&1) ||
  fail "sbatch: $submitted"
job=$(submitted_job "$submitted")
on_exit 'scancel "$job" 2>/dev/null'
log "plain job $job"
wait_job_completed "$job" "$T/plain/job.out" 90
grep -Eq '^coordinator [^:]+:[0-9]+$' "$T/plain/job.out" ||
  fail "the TaskProlog exported no coordinator: $(cat "$T/plain/job.out")"
grep -q '^checkpointed$' "$T/plain/job.out" || fail "no checkpoint in the job: $(cat "$T/plain/job.out")"
wait_epilog "$job"
# shellcheck disable=SC2034  # restart_script (lib.sh) reads it
CKPT=$T/plain
restart_script
[[ $(bash "$RS" --list-images | cut -f2) == "$T/plain/"*.dmtcp ]] ||
  fail "the image is not in the job's working directory: $(bash "$RS" --list-images)"
start_coordinator
start_bg PID "$T/restart.out" "$T/restart.err" bash -c \
  "cd '$T/plain' && exec '$RS' -h '$COORD_HOST' -p '$PORT'"
wait_exit "$PID" 90
assert_rc "$WAIT_RC" 0 "the restarted counter"
assert_same "$T/expected.txt" "$T/plain/counter.out" "the plain job's counter"
dc -q >/dev/null 2>&1

# 2. dmtcp_sbatch: dmtcp_job joins the site's coordinator on every start.
"$DMTCP_EXAMPLES/counter" 150 0 >"$T/expected2.txt"
out=$T/job.out
submitted=$("$DMTCP_BIN/dmtcp_sbatch" -p site --interval 2 --ckptdir "$T/ckpt" --lead 30 \
  -J dmtcp-e2e-site -o "$out" -D "$T" -- "$DMTCP_EXAMPLES/counter" 150 100 2>&1) ||
  fail "dmtcp_sbatch: $submitted"
job=$(submitted_job "$submitted")
on_exit 'scancel "$job" 2>/dev/null'
log "job $job"
wait_line "$out" '^count 20 ' 60
grep -q "joining the coordinator at " "$out" || fail "dmtcp_job started its own coordinator: $(grep dmtcp_job "$out")"
grep -q "checkpoint directory set to $T/ckpt/$job/live" "$rundir/$job/coordinator.log" ||
  fail "the site's coordinator was not told the job's directory: $(cat "$rundir/$job/coordinator.log")"
deadline=$((SECONDS + 30))
until [[ -L $T/ckpt/$job/latest ]]; do
  ((SECONDS < deadline)) || fail "no complete checkpoint in $T/ckpt/$job after 30s"
  sleep 0.2
done
scancel --signal=USR1 --batch "$job" || fail "scancel --signal=USR1 --batch $job failed"
wait_line "$out" "requeueing job $job" 60
wait_job_completed "$job" "$out" 120
n=$(grep -c "joining the coordinator at " "$out")
((n == 2)) || fail "dmtcp_job joined the site's coordinator $n times, not on both starts"
grep -q "(slurm, restart 1): restarting from gen-" "$out" ||
  fail "the second start did not restart: $(grep dmtcp_job "$out")"
assert_continuous_count "$T/expected2.txt" "$out"
wait_epilog "$job"
