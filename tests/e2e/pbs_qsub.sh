#!/usr/bin/env bash
# pbs_qsub.sh
#
# dmtcp_qsub without a PBS server (none is packaged in Debian): a qsub on PATH keeps the script
# and options it is given, and the test runs that script as PBS would, under PBS's environment.
#  - A bad option value fails dmtcp_qsub before qsub is called.
#  - qsub gets -r y and -j oe; the script appends everything to job-<id>.out in the submission
#    folder, as docs/jobs/pbs_job.pbs does (PBS would copy its own output only at the end).
#  - Run: a checkpoint every 2 s; PBS's SIGTERM makes it checkpoint and exit with the rerun
#    code 99. The rerun restarts from the checkpoint; job-<id>.out holds one continuous count and
#    the job exits 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/batch_lib.sh"
e2e_init pbs-qsub

mkdir -p "$T/fakebin" "$T/submit"
cat >"$T/fakebin/qsub" <<EOF2
#!/bin/bash
printf '%s\n' "\$@" >"$T/qsub.args"
cat >"$T/submitted.pbs"
echo 4243.pbs-server
EOF2
chmod +x "$T/fakebin/qsub"
export PATH=$T/fakebin:$PATH

if msg=$(cd "$T/submit" && "$DMTCP_BIN/dmtcp_qsub" --interval 1h -- true 2>&1); then
  fail "dmtcp_qsub --interval 1h was accepted: $msg"
fi
[[ $msg == *"--interval must be a whole number of seconds"* && ! -e $T/qsub.args ]] ||
  fail "dmtcp_qsub --interval 1h: $msg"

msg=$(cd "$T/submit" && "$DMTCP_BIN/dmtcp_qsub" --interval 2 --ckptdir "$T/ckpt" -N counter -- \
  "$DMTCP_EXAMPLES/counter" 120 100 2>&1) || fail "dmtcp_qsub: $msg"
[[ $msg == 4243.pbs-server ]] || fail "dmtcp_qsub printed: $msg"
[[ $(paste -sd' ' "$T/qsub.args") == "-r y -j oe -N counter" ]] ||
  fail "qsub got: $(paste -sd' ' "$T/qsub.args")"
log "the script submitted:"$'\n'"$(cat "$T/submitted.pbs")"

"$DMTCP_EXAMPLES/counter" 120 0 >"$T/expected.txt"
out=$T/submit/job-4243.out
run_job() {
  E2E_CWD=/ start_bg PID "$T/spool$1.out" "$T/spool$1.err" env PBS_JOBID=4243.pbs-server \
    PBS_O_WORKDIR="$T/submit" PBS_NODEFILE="$T/nodes" bash "$T/submitted.pbs"
}
hostname >"$T/nodes"
run_job 1
wait_line "$out" '^count 20 ' 60 "$PID"
wait_generations "$T/ckpt/4243" 1
kill -TERM "$PID"
wait_exit "$PID" 60
assert_rc "$WAIT_RC" 99 "the job after PBS's SIGTERM (the rerun code)"
grep -q "exiting with 99 for a rerun" "$out" || fail "no rerun message in $out: $(cat "$out")"
run_job 2
wait_exit "$PID" 90
assert_rc "$WAIT_RC" 0 "the rerun"
grep -q "restarting from gen-" "$out" || fail "the rerun did not restart: $(cat "$out")"
[[ ! -s $T/spool1.out && ! -s $T/spool2.out && ! -s $T/spool2.err ]] ||
  fail "output went to PBS's spool, not to job-4243.out: $(cat "$T"/spool*)"
assert_continuous_count "$T/expected.txt" "$out"
