#!/usr/bin/env bash
# slurm_named.sh
#
# Named checkpoints on a real Slurm (ci/slurm.sh), submitted with dmtcp_sbatch --name:
#  - a bad option value fails dmtcp_sbatch before anything is submitted;
#  - dmtcp_job checkpoint and status, from outside the job, reach it;
#  - a second job of the name, submitted while the first runs, fails at its start with a message
#    naming the first, which goes on;
#  - the first job is cancelled (scancel: no requeue, and not finished, though its program got
#    SIGTERM too and ended); the newest generation it left is then
#    corrupted; a new submission of the same name restarts from the generation before it (the
#    corrupt one set aside) and counts to the end: one continuous count, exit code 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/batch_lib.sh"
e2e_init slurm-named
require_slurm

"$DMTCP_EXAMPLES/counter" 150 0 >"$T/expected.txt"
out=$T/job.out
sim=$T/ckpt/sim
submit() {
  "$DMTCP_BIN/dmtcp_sbatch" --name sim --interval 2 --ckptdir "$T/ckpt" -J dmtcp-named \
    -o "$out" -D "$T" "$@" -- "$DMTCP_EXAMPLES/counter" 150 100 2>&1
}

if bad=$("$DMTCP_BIN/dmtcp_sbatch" --name sim --interval 1h -o "$out" -D "$T" -- true 2>&1); then
  fail "dmtcp_sbatch --interval 1h was accepted: $bad"
fi
[[ $bad == *"--interval must be a whole number of seconds"* && $bad != *Submitted* ]] ||
  fail "dmtcp_sbatch --interval 1h: $bad"

submitted=$(submit) || fail "dmtcp_sbatch: $submitted"
first=$(submitted_job "$submitted")
on_exit 'scancel "$first" "${second:-}" "${third:-}" 2>/dev/null'
wait_line "$out" '^count 20 ' 60
wait_generations "$sim" 2
# dmtcp_job checkpoint from outside the job: through scancel --signal=USR2 --batch.
before=$(cat "$sim/generation")
msg=$("$DMTCP_BIN/dmtcp_job" checkpoint sim --ckptdir "$T/ckpt" --wait 30 2>&1) ||
  fail "dmtcp_job checkpoint sim: $msg"
[[ $msg == *"asked job $first for a checkpoint"* && $(cat "$sim/generation") -gt $before ]] ||
  fail "dmtcp_job checkpoint sim: $msg"
st=$("$DMTCP_BIN/dmtcp_job" status sim --ckptdir "$T/ckpt" 2>&1)
[[ $st == *"running: job $first on "*"(slurm, pid "* ]] || fail "dmtcp_job status sim: $st"

submitted=$("$DMTCP_BIN/dmtcp_sbatch" --name sim --ckptdir "$T/ckpt" -J dmtcp-named2 \
  -o "$T/second.out" -D "$T" -- "$DMTCP_EXAMPLES/counter" 150 100 2>&1) ||
  fail "dmtcp_sbatch: $submitted"
second=$(submitted_job "$submitted")
deadline=$((SECONDS + 60))
until [[ $(job_state "$second") == FAILED ]]; do
  [[ $(job_state "$second") =~ ^(COMPLETED|CANCELLED|TIMEOUT)$ ]] &&
    fail "the second job ended $(job_state "$second"): $(cat "$T/second.out")"
  ((SECONDS < deadline)) || fail "the second job of the name did not fail: $(cat "$T/second.out")"
  sleep 0.5
done
grep -q "another job runs with the checkpoints in $sim (job $first on" "$T/second.out" ||
  fail "the second job did not name the first: $(cat "$T/second.out")"
[[ $(job_state "$first") == RUNNING ]] || fail "the first job is $(job_state "$first")"

scancel "$first" || fail "scancel $first"
deadline=$((SECONDS + 60))
until [[ $(job_state "$first") =~ ^(CANCELLED|COMPLETED|FAILED)$ ]]; do
  ((SECONDS < deadline)) || fail "job $first did not end after scancel: $(job_state "$first")"
  sleep 0.5
done
[[ $(job_field "$first" Restarts) == 0 ]] || fail "the cancelled job was requeued"
# scancel's SIGTERM reaches the program too: stopped from outside, it did not run to its end.
[[ ! -e $sim/finished ]] || fail "the cancelled job was marked finished: $(grep dmtcp_job "$out")"
n=$(cat "$sim/generation")
imgs=("$sim/gen-$n"/*/*.dmtcp)
[[ -f ${imgs[0]} ]] || fail "no image in $sim/gen-$n"
size=$(stat -c %s "${imgs[0]}")
printf '\xde\xad\xbe\xef' | dd of="${imgs[0]}" bs=1 seek=$((size / 2)) conv=notrunc status=none
log "job $first cancelled at $(last_num "$out" count) steps; gen-$n corrupted"

submitted=$(submit) || fail "dmtcp_sbatch: $submitted"
third=$(submitted_job "$submitted")
wait_job_completed "$third" "$out" 120
grep -q "gen-$n cannot be restarted: " "$out" || fail "no word on gen-$n: $(grep dmtcp_job "$out")"
grep -q "job $third (slurm, restart 1): restarting from gen-$((n - 1))" "$out" &&
  grep -q "the program runs again from gen-$((n - 1))" "$out" ||
  fail "the new job did not restart from gen-$((n - 1)): $(grep dmtcp_job "$out")"
[[ -d $sim/failed-gen-$n ]] || fail "gen-$n was not set aside: $(ls "$sim")"
assert_continuous_count "$T/expected.txt" "$out" "" 60
[[ $(cat "$sim/finished") == "$third" ]] || fail "finished: $(cat "$sim/finished")"
