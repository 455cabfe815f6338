#!/usr/bin/env bash
# slurm_deadline.sh
#
# A checkpoint that hangs does not eat the job's last minutes, on a real Slurm (ci/slurm.sh): a
# counter under dmtcp_sbatch (a checkpoint every 2 s, --lead 12, a 3-minute time limit) is
# stopped with SIGSTOP once two generations are complete, so every checkpoint from then on
# hangs (the interval one that is in progress too). Slurm's warning (sent here with scancel
# --signal=USR1 --batch, as --signal=B:USR1@12 would 12 s before the end) must give the
# checkpoint a deadline within the lead time: it is abandoned, the program is stopped and the
# job is requeued, all before the 12 s are over; the requeued job restarts from the newest
# complete generation and counts to the end (one continuous count, exit code 0).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/batch_lib.sh"
e2e_init slurm-deadline
require_slurm

"$DMTCP_EXAMPLES/counter" 150 0 >"$T/expected.txt"
out=$T/job.out
submitted=$("$DMTCP_BIN/dmtcp_sbatch" --interval 2 --lead 12 --ckptdir "$T/ckpt" -t 3 \
  -J dmtcp-deadline -o "$out" -D "$T" -- "$DMTCP_EXAMPLES/counter" 150 100 2>&1) ||
  fail "dmtcp_sbatch: $submitted"
job=$(submitted_job "$submitted")
on_exit 'scancel "$job" 2>/dev/null; pkill -CONT -f "$DMTCP_EXAMPLES/counter 150 100"'
job_dir=$T/ckpt/$job
wait_line "$out" '^count 10 ' 60
wait_generations "$job_dir" 2
pid=$(pgrep -f "^$DMTCP_EXAMPLES/counter 150 100") || fail "no counter process"
kill -STOP "$pid"
gen=$(cat "$job_dir/generation")
log "counter $pid stopped at generation $gen"
sleep 3 # an interval checkpoint is now stuck on the stopped counter

t0=$SECONDS
scancel --signal=USR1 --batch "$job" || fail "scancel --signal=USR1 --batch $job failed"
wait_line "$out" "requeueing job $job" 30
took=$((SECONDS - t0))
log "requeued ${took}s after the warning"
((took < 12)) || fail "the job was requeued ${took}s after the warning: past its 12 s lead"
grep -q "warning signal: checkpointing (within 9 s)" "$out" ||
  fail "the warning's checkpoint had no deadline of 9 s: $(grep dmtcp_job "$out")"
grep -q "did not finish it within its deadline" "$out" ||
  fail "no word of the deadline: $(grep dmtcp_job "$out")"
gen=$(cat "$job_dir/generation")
grep -q "the previous checkpoint stays the newest (gen-$gen); stopping the program" "$out" ||
  fail "no word of gen-$gen staying the newest: $(grep dmtcp_job "$out")"
wait_job_completed "$job" "$out" 120
[[ $(job_field "$job" Restarts) == 1 ]] || fail "restarts: $(job_field "$job" Restarts), not 1"
grep -q "restarting from gen-$gen on" "$out" || fail "did not restart from gen-$gen: $(grep dmtcp_job "$out")"
assert_continuous_count "$T/expected.txt" "$out"
