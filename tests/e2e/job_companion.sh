#!/usr/bin/env bash
# job_companion.sh
#
# dmtcp_job status|checkpoint|clean, as a user runs them beside a job (no scheduler here: the
# job's process gets the signal directly), and --cleanup-on-success.
#  1. A counter under dmtcp_job --name comp --interval 60: status says it runs (job x, this
#     host), with no generation yet and the next interval checkpoint due; clean is refused.
#  2. dmtcp_job checkpoint: a new generation within seconds (the interval is a minute away), and
#     the counter counts on; status lists it as the latest, with its time and size.
#  3. The program is stopped from outside (SIGTERM): the job exits 143 and is not finished;
#     status says it does not run and what a new job resumes from;
#     clean without --keep is refused (the program has not ended), clean --keep 1 leaves the
#     newest generation only.
#  4. Job y of the same name with --cleanup-on-success resumes, ends with exit code 0 and removes
#     its checkpoints; status says finished; the count is one continuous sequence; clean then
#     removes the folder.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/batch_lib.sh"
e2e_init job-companion

"$DMTCP_EXAMPLES/counter" 150 0 >"$T/expected.txt"
out=$T/job.out
dir=$T/ckpt/comp
companion() { "$DMTCP_BIN/dmtcp_job" "$@" --ckptdir "$T/ckpt" 2>&1; }
E2E_CWD=$T start_bg PID ">>$out" "$T/x.err" env DMTCP_JOB_ID=x "$DMTCP_BIN/dmtcp_job" \
  --name comp --interval 60 --ckptdir "$T/ckpt" -- "$DMTCP_EXAMPLES/counter" 150 100
x=$PID
wait_line "$out" '^count 10 ' 60 "$x"

st=$(companion status comp) || fail "status: $st"
log "status:"$'\n'"$st"
[[ $st == *"running: job x on $(hostname) (none, pid $x), since "* ]] || fail "status of the running job: $st"
[[ $st == *"generations: none yet"* && $st == *"interval: 60 s; next interval checkpoint: "* ]] ||
  fail "status before any checkpoint: $st"
[[ $st == *"last error: none"* ]] || fail "status reports an error: $st"
msg=$(companion clean comp) && fail "clean of a running job succeeded: $msg"
[[ $msg == *"a job runs with the checkpoints in $dir: stop it first"* ]] || fail "clean: $msg"

t0=$SECONDS
msg=$(companion checkpoint comp --wait 30) || fail "dmtcp_job checkpoint: $msg"
log "$msg (after $((SECONDS - t0)) s)"
[[ $msg == *"checkpoint complete: $dir/gen-1" ]] || fail "dmtcp_job checkpoint: $msg"
at=$(last_num "$out" count)
wait_line "$out" "^count $((at + 5)) " 10 "$x"
msg=$(companion checkpoint comp --wait 30) || fail "dmtcp_job checkpoint: $msg"
[[ $msg == *"checkpoint complete: $dir/gen-2" ]] || fail "the second dmtcp_job checkpoint: $msg"
st=$(companion status comp)
[[ $st == *"generation gen-1: "* && $st == *"generation gen-2: "*"(latest)"* ]] ||
  fail "status after two checkpoints: $st"

# The program is stopped from outside (SIGTERM to it alone, as a scheduler's scancel sends to
# every process of the job): the job ends with its exit code, and it is not finished.
# (dmtcp_job runs its script, which runs the program.)
prog=$(pgrep -P "$(pgrep -P "$x")" -f "$DMTCP_EXAMPLES/counter") || fail "no counter under job x"
kill -TERM "$prog"
wait_exit "$x" 30
assert_rc "$WAIT_RC" 143 "job x, whose program got SIGTERM"
grep -q "the program was stopped from outside (exit code 143): the job is not finished" "$T/x.err" ||
  fail "job x: $(cat "$T/x.err")"
[[ ! -e $dir/finished ]] || fail "job x was marked finished"
st=$(companion status comp)
[[ $st == *"not running: a new job of this name (or a requeue) resumes from gen-2"* ]] ||
  fail "status of the killed job: $st"
msg=$(companion clean comp) && fail "clean of an unfinished job succeeded: $msg"
[[ $msg == *"has not run to its end"* ]] || fail "clean of an unfinished job: $msg"
msg=$(companion clean comp --keep 1) || fail "clean --keep 1: $msg"
[[ -d $dir/gen-2 && ! -e $dir/gen-1 && $(readlink "$dir/latest") == gen-2 ]] ||
  fail "clean --keep 1 left: $(ls "$dir")"

E2E_CWD=$T start_bg PID ">>$out" "$T/y.err" env DMTCP_JOB_ID=y "$DMTCP_BIN/dmtcp_job" \
  --name comp --cleanup-on-success --ckptdir "$T/ckpt" -- "$DMTCP_EXAMPLES/counter" 150 100
wait_exit "$PID" 60
assert_rc "$WAIT_RC" 0 "job y"
grep -q "restarting from gen-2" "$T/y.err" || fail "job y did not resume: $(cat "$T/y.err")"
assert_continuous_count "$T/expected.txt" "$out"
[[ ! -e $dir/gen-2 && ! -e $dir/live && -f $dir/finished && -f $dir/job.log ]] ||
  fail "--cleanup-on-success left: $(ls "$dir")"
st=$(companion status comp)
[[ $st == *"finished: the program ran to its end (job y)"* ]] || fail "status of the finished job: $st"
msg=$(companion clean comp) || fail "clean of the finished job: $msg"
[[ ! -e $dir ]] || fail "clean left $dir"
