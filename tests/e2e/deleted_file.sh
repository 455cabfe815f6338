#!/usr/bin/env bash
# deleted_file.sh
#
# examples/scratch_file keeps its records in a file it unlinked at once (as tmpfile() does and as
# Open MPI does in /dev/shm): the image carries the file's contents. Checkpointed, then it writes
# more records, is killed and restarted: the file is made again, unlinked, with the contents and
# offset of the checkpoint, and every later line (size and checksum of the whole file, read back)
# is the uninterrupted run's. Twice: the restarted process is checkpointed and restarted again.
# Then the same with a 9 MiB unlinked file, larger than a descriptor's record holds: checkpointed,
# killed and restarted, its output is the uninterrupted run's.
. "$(dirname "$0")/lib.sh"
e2e_init deleted-file

N=60
mkdir -p "$T/scratch"
"$DMTCP_EXAMPLES/scratch_file" "$N" 0 "$T/scratch" >"$T/expected.txt" ||
  fail "scratch_file without dmtcp failed"
start_coordinator
out=$T/out.txt
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  "$DMTCP_EXAMPLES/scratch_file" "$N" 50 "$T/scratch"
for round in 1 2; do
  at=$(last_num "$out" step)
  wait_line "$out" "^step $((at + 5)) " 30 "$PID"
  checkpoint_blocking
  at=$(last_num "$out" step)
  wait_line "$out" "^step $((at + 5)) " 30 "$PID"
  kill_program "$PID"
  wait_peers 0
  [[ -z $(ls -A "$T/scratch") ]] || fail "the scratch file has a name: $(ls -A "$T/scratch")"
  restart_script
  start_bg PID "$T/restart$round.out" "$T/restart$round.err" "$RS" -h "$COORD_HOST" -p "$PORT"
  log "restart $round"
done
wait_exit "$PID" 90
assert_rc "$WAIT_RC" 0 "the restarted scratch_file"
assert_same "$T/expected.txt" "$out" "scratch_file's output"

# Larger than a descriptor's record holds (9 MiB): its contents go into the image as pages of
# their own, and it restarts the same way.
"$DMTCP_EXAMPLES/scratch_file" 80 0 "$T/scratch" 9 >"$T/expected_big.txt" ||
  fail "scratch_file with 9 MiB without dmtcp failed"
dc -q >/dev/null 2>&1
rm -rf "$CKPT"
mkdir -p "$CKPT"
start_coordinator
out=$T/big.txt
start_bg PID "$out" "$T/big.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  "$DMTCP_EXAMPLES/scratch_file" 80 50 "$T/scratch" 9
wait_line "$out" '^step 3 ' 30 "$PID"
checkpoint_blocking
at=$(last_num "$out" step)
wait_line "$out" "^step $((at + 5)) " 30 "$PID"
kill_program "$PID"
wait_peers 0
[[ -z $(ls -A "$T/scratch") ]] || fail "the scratch file has a name: $(ls -A "$T/scratch")"
restart_script
start_bg PID "$T/restart_big.out" "$T/restart_big.err" "$RS" -h "$COORD_HOST" -p "$PORT"
wait_exit "$PID" 90
assert_rc "$WAIT_RC" 0 "the restarted scratch_file with 9 MiB"
assert_same "$T/expected_big.txt" "$out" "scratch_file's output with 9 MiB"
