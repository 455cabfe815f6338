#!/usr/bin/env bash
# lazy_restart.sh
#
# dmtcp_restart --lazy: the images' uncompressed memory is mapped, not read. A program holding
# 32 MiB that checks every byte of it at each step (changing_memory) is checkpointed twice (the
# second image incremental), killed and restarted by its restart script with --lazy: it must run on
# with its memory mapped from the images (its maps name them) and its own check passing. Then a
# checkpoint of the lazily restarted program must hold every page itself (the images it was
# mapped from are removed before its restart), and the normal restart of that image runs the
# program to its end with exactly the output of a run without checkpoints.
. "$(dirname "$0")/lib.sh"
e2e_init lazy-restart

MIB=32
STEPS=150
DELAY=40
export DMTCP_GZIP=0
out=$T/run/out.txt
"$DMTCP_EXAMPLES/changing_memory" "$MIB" "$STEPS" 0 >"$T/expected.txt" ||
  fail "changing_memory without dmtcp failed"
start_coordinator
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$DMTCP_EXAMPLES/changing_memory" "$MIB" "$STEPS" "$DELAY"
wait_line "$out" '^step 5 ' "" "$PID"
checkpoint_blocking
wait_line "$out" '^step 10 ' "" "$PID"
checkpoint_blocking
single_image 'ckpt_changing_memory_*.dmtcp'
ls "$IMG".gen* >/dev/null 2>&1 || fail "the second image refers to no earlier one: $(ls "$CKPT")"
kill_program "$PID"
wait_peers 0

restart_script
start_bg PID "$T/restart1.out" "$T/restart1.err" "$RS" -h "$COORD_HOST" -p "$PORT" --lazy
wait_status RUNNING yes
at=$(last_num "$out" step)
wait_line "$out" "^step $((at + 5)) " "" "$PID"
prog=$(pgrep -f "changing_memory $MIB $STEPS" | head -n 1)
[[ -n $prog ]] || fail "no restarted program"
mapped=$(grep -c "${IMG##*/}" "/proc/$prog/maps")
((mapped > 0)) || fail "the program's memory is not mapped from the image: $(head -n 40 "/proc/$prog/maps")"
log "restarted lazily: $mapped mappings of the images"
grep -q MISMATCH "$out" && fail "$(grep MISMATCH "$out")"

# Its checkpoint holds every page: restarted alone, from another folder.
checkpoint_blocking
single_image 'ckpt_changing_memory_*.dmtcp'
kill_program "$PID"
wait_peers 0
alone=$T/alone
mkdir "$alone" && mv "$IMG" "$alone/" && rm -rf "$CKPT" || fail "cannot move the image"
start_bg PID "$T/restart2.out" "$T/restart2.err" "$DMTCP_BIN/dmtcp_restart" -h "$COORD_HOST" \
  -p "$PORT" --join "$alone/${IMG##*/}"
wait_exit "$PID" 120
assert_rc "$WAIT_RC" 0 "the program restarted from the lazily restarted one's image"
assert_same "$T/expected.txt" "$out" "the program's output across both restarts"
log "PASS"
