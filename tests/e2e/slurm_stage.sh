#!/usr/bin/env bash
# slurm_stage.sh
#
# Node-local staging (dmtcp_job --stage-dir) on a real Slurm (ci/slurm.sh). The test cluster's
# nodes n1 and n2 share one machine, so each job's script stages to $T/stage-<its Slurm node>:
# what a job on n2 cannot see there is what another node's local disk would not have.
#  1. Jobs a and b (two names) run a counter on n1, checkpointing every second to node-local
#     storage, each copy to shared storage slowed to 12 KB/s: a checkpoint is never written while
#     the copy of the one before it runs, and each copy makes a generation on shared storage.
#  2. Each job is killed outright (no checkpoint at the end) while the copy of its newest
#     checkpoint K is in progress: shared storage has gen-(K-1), n1's local storage gen-K.
#  3. A new job of name a, on n1, restarts from its local copy of gen-K, copies it to shared
#     storage, and counts to the end; a new job of name b, on n2, restarts from the shared
#     gen-(K-1). Both counts are continuous, both jobs exit 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/batch_lib.sh"
e2e_init slurm-stage
require_slurm

steps=300
"$DMTCP_EXAMPLES/counter" $steps 0 >"$T/expected.txt"
cat >"$T/job.sh" <<EOF
#!/bin/bash
#SBATCH --signal=B:USR1@60 --requeue --open-mode=append
exec "$DMTCP_BIN/dmtcp_job" --name "\$1" --interval 1 --keep 3 --ckptdir "$T/ckpt" \\
  --stage-dir "$T/stage-\$SLURMD_NODENAME" --stage-rate 12K -- "$DMTCP_EXAMPLES/counter" $steps 100
EOF
# submit NAME NODE: a job of that name on that node, its output in $T/NAME.out.
submit() {
  local s
  s=$(sbatch -J "dmtcp-stage-$1" -w "$2" -o "$T/$1.out" -D "$T" "$T/job.sh" "$1" 2>&1) ||
    fail "sbatch: $s"
  submitted_job "$s"
}
# drain_of NAME: the number of the checkpoint being copied to shared storage (none: empty).
drain_of() {
  local d=("$T/ckpt/$1"/.gen-*.drain) n
  [[ -d ${d[0]} ]] || return 0
  n=${d[0]##*/.gen-}
  echo "${n%.drain}"
}
# kill_in_drain NAME JOB: kills the job once a copy runs with an older generation complete on
# shared storage; sets K to the number of the checkpoint whose copy it interrupted.
kill_in_drain() {
  local deadline=$((SECONDS + 90))
  while :; do
    K=$(drain_of "$1")
    [[ -n $K && -d $T/ckpt/$1/gen-$((K - 1)) && -d $T/stage-n1/$1/gen-$K ]] && break
    ((SECONDS < deadline)) || fail "no copy of $1 in progress after a complete one: $(ls -a "$T/ckpt/$1")"
    sleep 0.1
  done
  kill_job_outright "$2"
  # Its coordinator was started as a daemon, out of the job's process tree.
  "$DMTCP_BIN/dmtcp_command" -p "$(cat "$T/ckpt/$1/coordinator.port")" -q >/dev/null 2>&1
}

a=$(submit a n1)
b=$(submit b n1)
on_exit 'scancel "$a" "$b" "${a2:-}" "${b2:-}" 2>/dev/null'
wait_line "$T/a.out" '^count 20 ' 90
wait_line "$T/b.out" '^count 20 ' 90
kill_in_drain a "$a"
ka=$K
kill_in_drain b "$b"
kb=$K
for x in "a $ka" "b $kb"; do
  read -r n k <<<"$x"
  set -- "$n" "$k"
  [[ -f $T/stage-n1/$1/gen-$2/dmtcp_restart_script.sh && -d $T/ckpt/$1/.gen-$2.drain ]] ||
    fail "$1: after the kill, n1 lacks gen-$2 or its copy is no longer in progress: $(ls -a "$T/ckpt/$1" "$T/stage-n1/$1")"
  [[ ! -e $T/ckpt/$1/gen-$2 && $(newest_generation "$T/ckpt/$1") == $(($2 - 1)) ]] ||
    fail "$1: gen-$2 reached shared storage though its copy was killed: $(ls -a "$T/ckpt/$1")"
  # One checkpoint at a time: each written only once the copy of the one before it is complete.
  grep -oE 'checkpoint [0-9]+ (written to node-local|complete: )' "$T/$1.out" |
    awk '{ k = ($3 == "written") ? "w" : "c" }
      k == "w" && $2 != last_c + 1 && last_w != "" { bad = 1 }
      k == "w" { last_w = $2 } k == "c" { if ($2 != last_w) bad = 1; last_c = $2 }
      END { exit bad }' ||
    fail "$1: a checkpoint was written while the copy of the one before it ran: $(grep dmtcp_job "$T/$1.out")"
  grep -q "the interval checkpoint is due: it waits for the copy of the last one to $T/ckpt/$1\$" "$T/$1.out" ||
    fail "$1: the log never said that an interval checkpoint waited for a copy: $(grep dmtcp_job "$T/$1.out")"
  log "job $1 killed at $(last_num "$T/$1.out" count) steps, in the copy of gen-$2"
done

a2=$(submit a n1)
b2=$(submit b n2)
wait_job_completed "$a2" "$T/a.out" 120
wait_job_completed "$b2" "$T/b.out" 120
grep -q "job $a2 (slurm, restart 1): restarting from gen-$ka (node-local copy in $T/stage-n1/a/gen-$ka)" "$T/a.out" &&
  grep -q "the program runs again from gen-$ka (node-local copy)" "$T/a.out" ||
  fail "job a on n1 did not restart from its local gen-$ka: $(grep dmtcp_job "$T/a.out")"
grep -q "checkpoint $ka complete: $T/ckpt/a/gen-$ka (copied from node-local storage)" "$T/a.out" ||
  fail "gen-$ka was not copied to shared storage after the restart: $(grep dmtcp_job "$T/a.out")"
grep -q "job $b2 (slurm, restart 1): restarting from gen-$((kb - 1)) on" "$T/b.out" &&
  grep -q "the program runs again from gen-$((kb - 1))\$" "$T/b.out" ||
  fail "job b on n2 did not restart from the shared gen-$((kb - 1)): $(grep dmtcp_job "$T/b.out")"
assert_continuous_count "$T/expected.txt" "$T/a.out" "" 40
# (gen-(K-1) was written one copy earlier: up to a few seconds of steps before the kill.)
assert_continuous_count "$T/expected.txt" "$T/b.out" "" 150
# Finished, and their node-local checkpoints removed where they ended.
[[ -e $T/ckpt/a/finished && ! -e $T/stage-n1/a ]] ||
  fail "a: not finished, or its checkpoints were left on n1: $(ls "$T/ckpt/a" "$T/stage-n1" 2>&1)"
[[ -e $T/ckpt/b/finished && ! -e $T/stage-n2/b ]] ||
  fail "b: not finished, or its checkpoints were left on n2: $(ls "$T/ckpt/b" "$T/stage-n2" 2>&1)"
