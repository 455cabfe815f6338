#!/usr/bin/env bash
# job_named.sh
#
# dmtcp_job --name without a scheduler (DMTCP_JOB_ID names each job): checkpoints kept under a
# name outlive the job that wrote them, and a restart that fails is not the end of the work.
#  1. Job a (--name sim, a checkpoint a second, --keep 3) runs a counter; job b of the same name,
#     started while a runs, is refused and a goes on. Then a is killed outright (as scancel or a
#     node failure kills it: no checkpoint at the end).
#  2. The newest generation's image is corrupted (dmtcp_restart --verify refuses it) and the one
#     before it has used up its restart attempts (its restart passes --verify, then refuses
#     before the program runs). Job c, a new job of the same name, tries both, restarts from the
#     third, sets the two aside (failed-gen-<n>) and counts to the end: one continuous count
#     (going back to the third generation's step), exit code 0, finished by job c.
#  3. Job d of that name is refused: it already ran to its end.
#  4. A job whose every generation is corrupt stops with exit code 99, naming each generation and
#     why it failed, leaves no coordinator behind and is not marked finished.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/batch_lib.sh"
e2e_init job-named

"$DMTCP_EXAMPLES/counter" 120 0 >"$T/expected.txt"
out=$T/job.out
# job ID NAME: a job of that id and --name in the background (PID), its stderr in $T/ID.err.
job() {
  E2E_CWD=$T start_bg PID ">>$out" "$T/$1.err" env DMTCP_JOB_ID="$1" "$DMTCP_BIN/dmtcp_job" \
    --name "$2" --interval 1 --keep 3 --ckptdir "$T/ckpt" -- "$DMTCP_EXAMPLES/counter" 120 100
}
# kill_job PID DIR: kills the job's process group and its coordinator, without a checkpoint.
kill_job() {
  kill -KILL -- "-$1" 2>/dev/null
  wait_exit "$1" 30
  "$DMTCP_BIN/dmtcp_command" -p "$(cat "$2/coordinator.port")" -q >/dev/null 2>&1
}
# image_of GEN_DIR: the image in a generation (one process).
image_of() {
  local imgs=("$1"/*/*.dmtcp)
  ((${#imgs[@]} == 1)) && [[ -f ${imgs[0]} ]] || fail "not one image in $1: ${imgs[*]}"
  printf '%s\n' "${imgs[0]}"
}
# corrupt FILE: flips bytes in the middle of FILE (a hard link: its other names see it too).
corrupt() {
  local size
  size=$(stat -c %s "$1")
  printf '\xde\xad\xbe\xef' | dd of="$1" bs=1 seek=$((size / 2)) conv=notrunc status=none ||
    fail "cannot corrupt $1"
}

sim=$T/ckpt/sim
job a sim
a=$PID
wait_line "$out" '^count 5 ' 60 "$a"
wait_generations "$sim" 4
E2E_CWD=$T start_bg B /dev/null "$T/b.err" env DMTCP_JOB_ID=b "$DMTCP_BIN/dmtcp_job" \
  --name sim --ckptdir "$T/ckpt" -- "$DMTCP_EXAMPLES/counter" 120 100
wait_exit "$B" 30
assert_rc "$WAIT_RC" 99 "a second job of the name sim"
grep -q "another job runs with the checkpoints in $sim (job a on" "$T/b.err" ||
  fail "job b was not refused for job a: $(cat "$T/b.err")"
is_alive "$a" || fail "job a did not survive job b's refusal"
kill_job "$a" "$sim"
log "job a killed at $(last_num "$out" count) steps; generations: $(ls "$sim" | paste -sd' ')"

n=$(newest_generation "$sim")
corrupt "$(image_of "$sim/gen-$n")"
# The restart from gen-(n-1) has been tried DMTCP_RESTART_MAX_ATTEMPTS (3) times already.
older=$sim/gen-$((n - 1))
comp=$(sed -n 's/^computation_id=//p' "$older/dmtcp_restart_script.sh")
cgen=$(sed -n 's/^ckpt_generation=//p' "$older/dmtcp_restart_script.sh")
printf '%s %s 3\n' "$comp" "$cgen" >"$(dirname "$(image_of "$older")")/.dmtcp_restart_attempts"

job c sim
c=$PID
wait_exit "$c" 120
assert_rc "$WAIT_RC" 0 "job c (the same name, a new job)"
grep -q "gen-$n cannot be restarted: .*$(basename "$(image_of "$sim/failed-gen-$n")")" "$T/c.err" ||
  fail "job c did not say why gen-$n cannot be restarted: $(cat "$T/c.err")"
grep -q "the restart from gen-$((n - 1)) failed before the program ran again (exit code 99)" \
  "$T/c.err" || fail "job c did not say the restart from gen-$((n - 1)) failed: $(cat "$T/c.err")"
grep -q "the program runs again from gen-$((n - 2))" "$T/c.err" ||
  fail "job c did not restart from gen-$((n - 2)): $(cat "$T/c.err")"
[[ -d $sim/failed-gen-$n && -d $sim/failed-gen-$((n - 1)) && ! -e $sim/gen-$n ]] ||
  fail "the generations that failed were not set aside: $(ls "$sim")"
assert_continuous_count "$T/expected.txt" "$out" "" 100
[[ $(cat "$sim/finished") == c ]] || fail "finished does not name job c: $(cat "$sim/finished")"

job d sim
wait_exit "$PID" 30
assert_rc "$WAIT_RC" 99 "job d of a name that ran to its end"
grep -q "sim already ran to its end (job c)" "$T/d.err" || fail "job d: $(cat "$T/d.err")"

# Every generation corrupt: the job stops, says why, and is not finished.
broken=$T/ckpt/broken
out=$T/broken.out
job e broken
wait_line "$out" '^count 5 ' 60 "$PID"
wait_generations "$broken" 2
kill_job "$PID" "$broken"
for g in "$broken"/gen-*; do corrupt "$(image_of "$g")"; done
out=$T/f.out
job f broken
wait_exit "$PID" 60
assert_rc "$WAIT_RC" 99 "job f, whose every generation is corrupt"
for g in "$broken"/gen-*; do
  grep -q "^dmtcp_job: .*  ${g##*/}: .*$(basename "$(image_of "$g")")" "$T/f.err" ||
    fail "job f did not say why ${g##*/} failed: $(cat "$T/f.err")"
done
grep -q "is not marked finished" "$T/f.err" || fail "job f: $(cat "$T/f.err")"
[[ ! -e $broken/finished ]] || fail "job f marked the job finished"
! grep -q '^count' "$out" || fail "job f ran the program: $(head -n 3 "$out")"
! "$DMTCP_BIN/dmtcp_command" -p "$(cat "$broken/coordinator.port")" -s >/dev/null 2>&1 ||
  fail "job f left its coordinator running"
log "ok: named jobs resume, fall back past two failed generations, and stop when none restarts"
