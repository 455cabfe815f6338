#!/usr/bin/env bash
# incremental.sh
#
# Incremental checkpoints as a batch job takes them: dmtcp_job (no scheduler) runs a program that
# holds 32 MiB and changes a little of it at each step (changing_memory: it checks every byte of
# its memory at each step), checkpointing every second and keeping the newest 2 generations. After
# 6 generations the warning signal takes a last one and stops the job; the second start of the
# job restarts from it. Checked:
#  - every generation after the first holds less than a seventh of the first one's bytes (the
#    program changes its first sixteenth, 2 MiB, which spans at most three blocks of 1 MiB:
#    about a ninth, the whole of it changed within a second) and refers
#    to earlier images kept beside it (dmtcp_inspect), the first one's among them;
#  - the runtime keeps only the images the newest refers to; the job's pruning (--keep 2)
#    removed generation folders the newest one's referred images came from;
#  - the restart from that chain continues the program exactly (its own check, and its output
#    against a run without checkpoints); the restarted program's first image is whole and the
#    next ones refer to it; a restart of that restart runs the program to its end, exactly;
#  - a damaged block in an image the newest refers to, and a missing one, refuse the restart,
#    naming the file, and start no process.
. "$(dirname "$0")/lib.sh"
e2e_init incremental

MIB=32
STEPS=260
DELAY=40
export DMTCP_GZIP=0 DMTCP_JOB_ID=inc
out=$T/run/out.txt
"$DMTCP_EXAMPLES/changing_memory" "$MIB" "$STEPS" 0 >"$T/expected.txt" ||
  fail "changing_memory without dmtcp failed"
jobs_dir=$T/jobs
job=("$DMTCP_BIN/dmtcp_job" --interval 1 --ckptdir "$jobs_dir" --keep 2 --
  "$DMTCP_EXAMPLES/changing_memory" "$MIB" "$STEPS" "$DELAY")
# wait_generation N ERR: until the job ($JOB, its stderr in ERR) has N complete generations.
wait_generation() {
  local deadline=$((SECONDS + 90))
  until [[ $(cat "$jobs_dir/inc/generation" 2>/dev/null) -ge $1 ]]; do
    ((SECONDS < deadline)) || fail "no generation $1 after 90 s: $(tail -n 5 "$2")"
    is_alive "$JOB" || fail "the job ended early: $(tail -n 5 "$2")"
    sleep 0.2
  done
}
start_bg JOB "$out" "$T/job1.err" "${job[@]}"
wait_generation 6 "$T/job1.err"
kill -USR1 "$JOB"
wait_exit "$JOB" 60
assert_rc "$WAIT_RC" 0 "the job stopped on its warning signal"
grep -q MISMATCH "$out" && fail "$(grep MISMATCH "$out")"
gen=$(cat "$jobs_dir/inc/generation")
latest=$jobs_dir/inc/gen-$gen/$(hostname)
[[ -d $latest ]] || fail "no $latest: $(ls -R "$jobs_dir/inc" | head -n 30)"
# --keep 2: the two newest generation folders only.
folders=$(cd "$jobs_dir/inc" && echo gen-*)
[[ $folders == "gen-$((gen - 1)) gen-$gen" ]] || fail "generation folders: $folders"
img=$(echo "$latest"/ckpt_changing_memory_*.dmtcp)
[[ -f $img ]] || fail "no image in $latest"
"$DMTCP_BIN/dmtcp_inspect" "$img" >"$T/inspect.txt" || fail "dmtcp_inspect failed"
# Each generation's image beside it: the newest holds a small part, the first the bulk.
first=$latest/${img##*/}.gen1
[[ -f $first ]] || fail "the first generation's image is not kept with the newest: $(ls "$latest")"
size=$(stat -c %s "$img") first_size=$(stat -c %s "$first")
((first_size > MIB << 20)) || fail "generation 1 holds $first_size bytes, not all $MIB MiB"
((size * 7 < first_size)) || fail "the newest image holds $size bytes: not a seventh of $first_size"
grep -q "generation 1: $first " "$T/inspect.txt" ||
  fail "dmtcp_inspect does not list generation 1 as referred to: $(grep -A4 incremental "$T/inspect.txt")"
# Only what the newest refers to is kept, in the live folder and in its generation folder.
referred=$(grep -oE '^    generation [0-9]+:' "$T/inspect.txt" | awk '{print $2}' | tr -d : | sort -n)
kept=$(cd "$latest" && for f in *.dmtcp.gen*; do echo "${f##*.gen}"; done | sort -n)
[[ $(echo "$kept" | grep -vx "$gen") == "$referred" ]] ||
  fail "kept generations ($(echo $kept)) are not those referred to ($(echo $referred))"
log "generation $gen: $size bytes, referring to generations $(echo $referred) ($first_size bytes in 1)"

# A damaged block, then a missing image: refused, naming the file; no process runs.
bad=$T/bad
cp -a "$latest" "$bad"
printf '\x5a' | dd of="$bad/${first##*/}" bs=1 seek=$((first_size / 2)) conv=notrunc status=none
start_coordinator
if "$DMTCP_BIN/dmtcp_restart" -h "$COORD_HOST" -p "$PORT" "$bad/${img##*/}" >"$T/bad.out" \
  2>"$T/bad.err"; then
  fail "a restart with a damaged referred image succeeded"
fi
grep -q "${first##*/}.*corrupt" "$T/bad.err" || fail "the refusal does not name the damaged file: $(cat "$T/bad.err")"
rm "$bad/${first##*/}"
if "$DMTCP_BIN/dmtcp_restart" -h "$COORD_HOST" -p "$PORT" "$bad/${img##*/}" >"$T/bad2.out" \
  2>"$T/bad2.err"; then
  fail "a restart without a referred image succeeded"
fi
grep -q "cannot be opened: .*${first##*/}" "$T/bad2.err" ||
  fail "the refusal does not name the missing file: $(cat "$T/bad2.err")"
[[ $(status_field NUM_PEERS) == 0 ]] || fail "a refused restart left processes"
dc --quit >/dev/null 2>&1

# The second start of the job restarts from the chain and checkpoints on: the first image after
# the restart is whole, the next ones refer to it (never to the images before the restart).
start_bg JOB ">>$out" "$T/job2.err" "${job[@]}"
wait_generation $((gen + 3)) "$T/job2.err"
kill -USR1 "$JOB"
wait_exit "$JOB" 60
assert_rc "$WAIT_RC" 0 "the restarted job stopped on its warning signal"
grep -q "restarting from gen-$gen" "$T/job2.err" || fail "the job did not restart: $(head -n 3 "$T/job2.err")"
gen2=$(cat "$jobs_dir/inc/generation")
img2=$(echo "$jobs_dir/inc/gen-$gen2/$(hostname)"/ckpt_changing_memory_*.dmtcp)
"$DMTCP_BIN/dmtcp_inspect" "$img2" >"$T/inspect2.txt" || fail "dmtcp_inspect of $img2 failed"
referred=$(grep -oE '^    generation [0-9]+:' "$T/inspect2.txt" | awk '{print $2}' | tr -d : | sort -n)
[[ $(echo "$referred" | head -n 1) == $((gen + 1)) ]] ||
  fail "generation $gen2 refers to generations $(echo $referred), not first to $((gen + 1))"

# The third start restarts from the restarted program's chain and runs to the end.
start_bg JOB ">>$out" "$T/job3.err" "${job[@]}"
wait_exit "$JOB" 120
assert_rc "$WAIT_RC" 0 "the job restarted twice"
grep -q "restarting from gen-$gen2" "$T/job3.err" || fail "the job did not restart again: $(head -n 3 "$T/job3.err")"
assert_same "$T/expected.txt" "$out" "the program's output across two restarts"
log "PASS"
