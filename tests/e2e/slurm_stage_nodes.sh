#!/usr/bin/env bash
# slurm_stage_nodes.sh
#
# Node-local staging in a two-node Slurm job (dmtcp_sbatch --stage-dir) on the test hosts
# (ci/test-hosts.sh: each with its own host name; partition "hosts"). The batch script runs
# `srun -N2 -n2 -l counter` on h1 and h2, checkpointing every 2 seconds: each node keeps its own
# images in the stage folder (gen-<n>/<host>/), and the copy to shared storage runs on each node
# (h2's as a step of the job, through dmtcp_srun_ssh). A generation copied that way must hold
# both hosts' images. Then the job is killed outright (no checkpoint at the end), and a new job
# of the same name restarts both tasks from the newest generation on shared storage: both
# counts continuous, srun's exit code 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/batch_lib.sh"
e2e_init slurm-stage-nodes
require_test_hosts
require_slurm hosts
unset DMTCP_SSH

"$DMTCP_EXAMPLES/counter" 150 0 >"$T/expected.txt"
out=$T/job.out
dir=$T/ckpt/mn
submit() {
  local s
  s=$("$DMTCP_BIN/dmtcp_sbatch" --name mn --interval 2 --keep 50 --ckptdir "$T/ckpt" \
    --stage-dir "$T/stage" -p hosts -N 2 -J dmtcp-stage-nodes -o "$out" -D "$T" -- bash -c \
    "srun -N2 -n2 --ntasks-per-node=1 -l $DMTCP_EXAMPLES/counter 150 100; echo srun exit \$?" 2>&1) ||
    fail "dmtcp_sbatch: $s"
  submitted_job "$s"
}

job=$(submit)
on_exit 'scancel "$job" "${job2:-}" 2>/dev/null'
wait_line "$out" '^1: count 20 ' 90
wait_line "$out" 'checkpoint [0-9]+ complete: .*\(copied from node-local storage\)' 60
n=$(grep -oE 'checkpoint [0-9]+ complete: ' "$out" | tail -n 1 | cut -d' ' -f2)
hosts=$(bash "$dir/gen-$n/dmtcp_restart_script.sh" --list-hosts | sort | paste -sd,)
[[ $hosts == h1,h2 ]] || fail "gen-$n was written on $hosts, not h1 and h2"
imgs=()
while IFS=$'\t' read -r h img; do
  imgs+=("$dir/gen-$n/$h/${img##*/}")
  [[ -f ${imgs[-1]} ]] || fail "gen-$n lacks $h's image ${img##*/}: $(ls -R "$dir/gen-$n")"
done < <(bash "$dir/gen-$n/dmtcp_restart_script.sh" --list-images)
# Every checksum, and the earlier images they refer to, copied or linked beside them.
v=$("$DMTCP_BIN/dmtcp_restart" --verify "${imgs[@]}" 2>&1) ||
  fail "the copy of gen-$n on shared storage does not verify: $v"

kill_job_outright "$job"
# Its coordinator, a daemon on h1, is out of the job's process tree.
h1=$(awk '$1 == "h1" { print $2 }' "${DMTCP_TEST_HOSTS_DIR:-/tmp/dmtcp-test-hosts}/hosts")
"$DMTCP_BIN/dmtcp_command" -h "${h1:-h1}" -p "$(cat "$dir/coordinator.port")" -q >/dev/null 2>&1
newest=$(newest_generation "$dir")
log "job $job killed at $(last_num "$out" "1: count") steps; newest on shared storage: gen-$newest"

job2=$(submit)
wait_job_completed "$job2" "$out" 150
grep -q "job $job2 (slurm, restart 1): restarting from gen-$newest on" "$out" &&
  grep -q "the program runs again from gen-$newest\$" "$out" ||
  fail "the new job did not restart from gen-$newest: $(grep dmtcp_job "$out")"
grep -qx "srun exit 0" "$out" || fail "srun did not report exit code 0: $(grep 'srun exit' "$out")"
assert_continuous_count "$T/expected.txt" "$out" "0: " 80
assert_continuous_count "$T/expected.txt" "$out" "1: " 80
