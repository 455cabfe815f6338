#!/usr/bin/env bash
# pbs_job.sh
#
# A PBS/Torque job as dmtcp_job sees one (no PBS server is packaged in Debian, so the job is
# driven by PBS's environment: PBS_JOBID, PBS_O_WORKDIR and a PBS_NODEFILE). The batch script
# runs on this host and starts a counter on test host h1 through ssh (ci/test-hosts.sh).
#  1. First run, node file "this host, h1": the counter runs on h1 and is checkpointed on the
#     interval. PBS's warning (SIGTERM, before it kills a job) makes dmtcp_job checkpoint,
#     stop the program and exit with the rerun code (99).
#  2. The rerun gets a node file "this host, h2": dmtcp_job restarts from the newest checkpoint,
#     the batch script's processes here and the counter on h2 (the coordinator's log says where
#     it rejoined), and the one output shows one continuous count; the job exits 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/batch_lib.sh"
e2e_init pbs-job
require_test_hosts
ssh_cfg=$SSH_CFG
here=$(hostname)
export PBS_JOBID=4242.pbs-server PBS_O_WORKDIR=$T
job_dir=$T/ckpt/4242
"$DMTCP_EXAMPLES/counter" 120 0 >"$T/expected.txt"
out=$T/job.out
job() {
  E2E_CWD=$T start_bg PID ">>$out" "$T/job$1.err" env PBS_NODEFILE="$T/nodes$1" \
    "$DMTCP_BIN/dmtcp_job" --signal TERM --interval 2 --ckptdir "$T/ckpt" -- \
    bash -c "ssh -F '$ssh_cfg' h1 'cd $T && exec $DMTCP_EXAMPLES/counter 120 100'"
}

printf '%s\n' "$here" "$here" h1 h1 >"$T/nodes1"
job 1
wait_line "$out" '^count 20 ' 60 "$PID"
deadline=$((SECONDS + 30))
until [[ -L $job_dir/latest ]]; do
  ((SECONDS < deadline)) || fail "no complete checkpoint in $job_dir after 30s"
  sleep 0.2
done
grep -qE 'counter\[[0-9]+\]@h1 joined' "$job_dir/coordinator.log" ||
  fail "the counter did not run on h1: $(cat "$job_dir/coordinator.log")"
kill -TERM "$PID"
wait_exit "$PID" 60
assert_rc "$WAIT_RC" 99 "dmtcp_job after PBS's SIGTERM (the rerun code)"
grep -q "exiting with 99 for a rerun" "$T/job1.err" || fail "no rerun message: $(cat "$T/job1.err")"

printf '%s\n' "$here" h2 h2 >"$T/nodes2"
job 2
wait_exit "$PID" 90
assert_rc "$WAIT_RC" 0 "the rerun of the job"
grep -q "restarting from gen-" "$T/job2.err" || fail "the rerun did not restart: $(cat "$T/job2.err")"
grep -qE 'counter\[[0-9]+\]@h2 rejoined' "$job_dir/coordinator.log" ||
  fail "the counter was not restarted on h2: $(grep -E 'joined' "$job_dir/coordinator.log")"
assert_continuous_count "$T/expected.txt" "$out"
