#!/usr/bin/env bash
# job_signals.sh
#
# The job's signals at any moment, many of them: bash 5.2 aborted a trap that fired while it
# parsed a command substitution ("trap: unexpected EOF while looking for matching `)'", then
# "reader_loop: bad jump"), which ended dmtcp_job on its warning. dmtcp_job (the program) now
# takes them and the script reads their numbers.
#  1. A counter under dmtcp_job --interval 0 (no scheduler: the job's process gets the signals).
#     The program's SIGTERM, SIGUSR1 and SIGUSR2 are not ignored (the script ignores them).
#  2. 3,000 USR2 (dmtcp_job checkpoint's ask), one every 2 ms, while the script checkpoints for
#     the first ones: the job lives on, takes checkpoints, and says nothing of a trap.
#  3. The warning (USR1): a checkpoint, then the program stops; the job exits 0 (no scheduler to
#     requeue it).
#  4. Job y of the same name resumes from it and counts to the end, one continuous sequence.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/batch_lib.sh"
e2e_init job-signals

"$DMTCP_EXAMPLES/counter" 150 0 >"$T/expected.txt"
out=$T/job.out
dir=$T/ckpt/sig
E2E_CWD=$T start_bg PID ">>$out" "$T/x.err" env DMTCP_JOB_ID=x "$DMTCP_BIN/dmtcp_job" \
  --name sig --interval 0 --ckptdir "$T/ckpt" -- "$DMTCP_EXAMPLES/counter" 150 99
x=$PID
wait_line "$out" '^count 5 ' 60 "$x"
prog=$(pgrep -f "^$DMTCP_EXAMPLES/counter 150 99") || fail "no counter running"
ignored=$(awk '$1 == "SigIgn:" { print $2 }' "/proc/$prog/status")
# TERM (15), USR1 (10), USR2 (12): bits 14, 9 and 11.
(((0x$ignored & (1 << 14 | 1 << 9 | 1 << 11)) == 0)) ||
  fail "the program ignores a job signal (SigIgn $ignored)"

# One every 2 ms (a read that times out on a FIFO no one writes paces them).
mkfifo "$T/pace"
exec {pace}<>"$T/pace"
for ((i = 0; i < 3000; i++)); do
  kill -USR2 "$x" || fail "job x is gone after $i signals: $(cat "$T/x.err")"
  read -r -t 0.002 -u "$pace"
done
log "3000 USR2 sent"
# The last one's ask: a checkpoint after it.
before=$(cat "$dir/generation" 2>/dev/null || echo 0)
((before > 0)) || fail "no checkpoint for 3000 asks: $(cat "$T/x.err")"
kill -USR2 "$x"
for ((t = 0; t < 300; t++)); do
  now=$(cat "$dir/generation")
  ((now > before)) && break
  is_alive "$x" || fail "job x ended: $(cat "$T/x.err")"
  sleep 0.1
done
((now > before)) || fail "no checkpoint for the last ask within 30 s"
log "$(grep -c 'a checkpoint was asked for' "$T/x.err") asks heard, generation $now"
grep -E 'trap: |bad jump|unexpected EOF' "$T/x.err" && fail "the script reports its traps failing"

at=$(last_num "$out" count)
wait_line "$out" "^count $((at + 3)) " 20 "$x"
kill -USR1 "$x"
wait_exit "$x" 60
assert_rc "$WAIT_RC" 0 "job x after its warning"
grep -q "warning signal: checkpointing" "$T/x.err" || fail "job x: $(cat "$T/x.err")"
[[ ! -e $dir/finished ]] || fail "job x was marked finished"
grep -E 'trap: |bad jump|unexpected EOF' "$T/x.err" && fail "the script reports its traps failing"

E2E_CWD=$T start_bg PID ">>$out" "$T/y.err" env DMTCP_JOB_ID=y "$DMTCP_BIN/dmtcp_job" \
  --name sig --interval 0 --ckptdir "$T/ckpt" -- "$DMTCP_EXAMPLES/counter" 150 99
wait_exit "$PID" 60
assert_rc "$WAIT_RC" 0 "job y"
grep -q "restarting from gen-" "$T/y.err" || fail "job y did not resume: $(cat "$T/y.err")"
assert_continuous_count "$T/expected.txt" "$out"
[[ -f $dir/finished ]] || fail "job y was not marked finished"
