#!/usr/bin/env bash
# slurm_deadline.sh
#
# A checkpoint that hangs does not eat the job's last minutes, on a real Slurm (ci/slurm.sh): a
# counter under dmtcp_sbatch (a checkpoint every 2 s, --lead 12, a 3-minute time limit) with the
# test plugin stall_plugin, armed once two generations are complete: the next checkpoint's
# image writing blocks for good (as on a hung file system; a process stopped by SIGSTOP would be
# named and the checkpoint abandoned at once), and every checkpoint from then on waits for it.
# Slurm's warning (sent here with scancel
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
stall=$T/stall
mkdir -p "$stall"
submitted=$(DMTCP_PLUGIN=$DMTCP_TEST_PLUGINS/stall_plugin.so DMTCP_STALL_DIR=$stall \
  "$DMTCP_BIN/dmtcp_sbatch" --interval 2 --lead 12 --ckptdir "$T/ckpt" -t 3 \
  -J dmtcp-deadline -o "$out" -D "$T" -- "$DMTCP_EXAMPLES/counter" 150 100 2>&1) ||
  fail "dmtcp_sbatch: $submitted"
job=$(submitted_job "$submitted")
on_exit 'scancel "$job" 2>/dev/null; touch "$stall/go"'
job_dir=$T/ckpt/$job
wait_line "$out" '^count 10 ' 60
wait_generations "$job_dir" 2
touch "$stall/forever" "$stall/arm"
for ((i = 0; i < 100; i++)); do
  [[ -e $stall/stalled ]] && break
  sleep 0.1
done
[[ -e $stall/stalled ]] || fail "no checkpoint stalled within 10 s of arming the plugin"
# (Once: the restarted job's checkpoints find $stall/stalled taken.)
gen=$(cat "$job_dir/generation")
log "an interval checkpoint is stuck writing its image after generation $gen"

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
# It counted on until the stuck checkpoint (one interval, 2 s: 20 steps), which the restart from
# the generation before it repeats.
assert_continuous_count "$T/expected.txt" "$out" "" 40
