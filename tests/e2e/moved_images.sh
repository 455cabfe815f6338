#!/usr/bin/env bash
# moved_images.sh
#
# Images copied to another folder (another node's disk, an archive) and the folder they were
# written to removed: the restart from the copies must work, and the restored program must hold
# no descriptor of the runtime's (the image folder it held while writing). Then a checkpoint of
# the restarted program into a new folder, the same again, and a restart of that restart. The
# counter's output must be whole: every line from 1 to N, in order.
. "$(dirname "$0")/lib.sh"
e2e_init moved-images

N=400
DELAY=20
out=$T/run/out.txt
"$DMTCP_EXAMPLES/counter" "$N" 0 >"$T/expected.txt" || fail "counter without dmtcp failed"
start_coordinator
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$DMTCP_EXAMPLES/counter" "$N" "$DELAY"
wait_line "$out" '^count 30 ' "" "$PID"
for round in 1 2; do
  wait_peers 1
  checkpoint_blocking
  single_image 'ckpt_counter_*.dmtcp'
  kill_program "$PID"
  wait_peers 0
  moved=$T/moved$round
  mkdir "$moved" && cp "$IMG" "$moved/" && rm -rf "$CKPT" || fail "cannot move the image"
  # The next checkpoint goes to a new folder.
  CKPT=$T/ckpt$round
  mkdir "$CKPT" && dc --ckptdir "$CKPT" >/dev/null || fail "cannot set a new checkpoint folder"
  start_bg PID "$T/restart$round.out" "$T/restart$round.err" "$DMTCP_BIN/dmtcp_restart" \
    -h "$COORD_HOST" -p "$PORT" --join "$moved/${IMG##*/}"
  wait_status RUNNING yes
  held=$(find "/proc/$PID/fd" -mindepth 1 -printf '%l\n' 2>/dev/null | grep -E "^$T/(ckpt|moved)" || true)
  [[ -z $held ]] || fail "the restored program holds a descriptor of the runtime's: $held"
  at=$(last_num "$out" count)
  wait_line "$out" "^count $((at + 10)) " "" "$PID"
  log "round $round: restarted from $moved, the old folder gone"
done
wait_exit "$PID" 60
assert_rc "$WAIT_RC" 0 "the restarted counter"
assert_same "$T/expected.txt" "$out" "the counter's output"
log "PASS"
