#!/usr/bin/env bash
# slurm_auto_interval.sh
#
# On a real Slurm (ci/slurm.sh), a job submitted with dmtcp_sbatch --name ai --interval auto
# --mtbi 30. A counter runs with the test plugin slow_checkpoint, whose checkpoints take the
# time the test writes in a file: 2 s, then 0.5 s.
#  - Before any checkpoint the log gives the interval for a guessed cost of 1 s.
#  - After each checkpoint it gives the interval for the measured cost: every logged interval
#    must be round(sqrt(2 C M) (1 + sqrt(C/2M)/3 + C/18M) - C) for the logged cost C and M = 30,
#    each cost at least the injected one, and the interval for 2 s about sqrt(4) = 2 times the
#    one for 0.5 s (Young's square-root law).
#  - The checkpoints come at those intervals: the time from one complete checkpoint to the next
#    is the interval chosen after the first plus the second's cost.
#  - Then the job is killed outright, and its newest generation's image is rewritten as a node
#    whose processor has an instruction-set extension this one lacks would have written it. A new
#    job of the name refuses that generation with a message naming the extension (before anything
#    of it starts), restarts from the one before, and counts to the end.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/batch_lib.sh"
e2e_init slurm-auto-interval
require_slurm
read -r have lack < <(cpu_flag_pair)
[[ -n ${lack:-} ]] || fail "no pair of x86 instruction-set flags to swap on this processor"

"$DMTCP_EXAMPLES/counter" 400 0 >"$T/expected.txt"
echo 2000 >"$T/cost_ms"
out=$T/job.out
job_dir=$T/ckpt/ai
submit() {
  local s
  s=$(DMTCP_PLUGIN="$DMTCP_TEST_PLUGINS/slow_checkpoint.so" DMTCP_SLOW_CKPT_FILE="$T/cost_ms" \
    "$DMTCP_BIN/dmtcp_sbatch" --name ai --interval auto --mtbi 30 --keep 5 --ckptdir "$T/ckpt" \
    -J dmtcp-auto -o "$out" -D "$T" -- "$DMTCP_EXAMPLES/counter" 400 100 2>&1) ||
    fail "dmtcp_sbatch: $s"
  submitted_job "$s"
}
job=$(submit)
on_exit 'scancel "$job" "${job2:-}" 2>/dev/null'
re_interval='interval ([0-9]+) s \(Young/Daly: checkpoint cost'
wait_line "$out" "$re_interval guessed 1 s until one is measured, MTBI 30 s\)" 30

wait_generations "$job_dir" 1
t1=$SECONDS
echo 500 >"$T/cost_ms"
wait_generations "$job_dir" 2
t2=$SECONDS
wait_generations "$job_dir" 3
t3=$SECONDS
[[ $(job_state "$job") == RUNNING ]] || fail "the job is $(job_state "$job"): $(grep dmtcp_job "$out")"

mapfile -t lines < <(grep -E "$re_interval ([0-9.]+) s, MTBI 30 s\)" "$out")
((${#lines[@]} >= 2)) || fail "fewer than two intervals for measured costs: $(cat "$out")"
"$PYTHON" - "${lines[@]}" <<'PY' || fail "the intervals do not follow Young/Daly: $(grep interval "$out")"
import math, re, sys
m = 30
got = []
for line in sys.argv[1:]:
    n, c = re.search(r"interval (\d+) s \(Young/Daly: checkpoint cost ([\d.]+) s", line).groups()
    n, c = int(n), float(c)
    r = c / (2 * m)
    daly = math.sqrt(2 * c * m) * (1 + math.sqrt(r) / 3 + r / 9) - c
    young = math.sqrt(2 * c * m)
    print(f"cost {c:.2f} s: interval {n} s, Daly {daly:.2f} s, Young {young:.2f} s")
    if abs(n - daly) > 0.6:
        sys.exit(f"interval {n} s for a cost of {c} s: Daly gives {daly:.2f}")
    got.append((c, n))
slow, fast = got[0], got[1]
if not (2.0 <= slow[0] < 3.0 and 0.5 <= fast[0] < 1.5):
    sys.exit(f"measured costs {slow[0]} s and {fast[0]} s, injected 2 s and 0.5 s")
if not 1.6 <= slow[1] / fast[1] <= 2.4:
    sys.exit(f"intervals {slow[1]} s and {fast[1]} s: not about sqrt(2/0.5) = 2 apart")
PY
first=$(grep -oE "$re_interval [0-9.]+ s, MTBI" "$out" | head -n 1 | grep -oE '[0-9]+' | head -n 1)
log "generations at +$((t2 - t1)) s and +$((t3 - t2)) s; interval after the first: $first s"
((t2 - t1 >= first - 1 && t2 - t1 <= first + 3)) ||
  fail "checkpoint 2 came $((t2 - t1)) s after checkpoint 1, not the chosen $first s (+ its cost)"

# Killed outright; the newest generation comes from a processor with $lack.
kill_job_outright "$job"
"$DMTCP_BIN/dmtcp_command" -p "$(cat "$job_dir/coordinator.port")" -q >/dev/null 2>&1
n=$(newest_generation "$job_dir")
imgs=("$job_dir/gen-$n"/*/ckpt_counter_*.dmtcp)
[[ -f ${imgs[0]} ]] || fail "no image in $job_dir/gen-$n"
swap_cpu_flag "${imgs[0]}" "$have" "$lack"
log "job $job killed at $(last_num "$out" count) steps; gen-$n now from a processor with $lack"

job2=$(submit)
wait_job_completed "$job2" "$out" 120
grep -q "gen-$n cannot be restarted: .*$lack.*lacks" "$out" ||
  fail "the new job did not refuse gen-$n for $lack: $(grep dmtcp_job "$out")"
grep -q "the program runs again from gen-$((n - 1))\$" "$out" ||
  fail "the new job did not restart from gen-$((n - 1)): $(grep dmtcp_job "$out")"
assert_continuous_count "$T/expected.txt" "$out" "" 150
