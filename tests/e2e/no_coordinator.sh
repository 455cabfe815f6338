#!/usr/bin/env bash
# no_coordinator.sh  dmtcp_launch --no-coordinator: each process checkpoints on its own.
#
# A counter launched with --no-coordinator gets the checkpoint signal from outside (kill -USR2,
# as a site's script or a user sends it): an image must appear in its checkpoint folder and the
# counter must count on. Killed, it is restarted from that image (dmtcp_restart under a new
# coordinator) and its output must equal an uninterrupted run's. A second counter launched with
# --no-coordinator -i 1 must write an image on its own within seconds (the interval reaches the
# process: there is no coordinator to keep it).
. "$(dirname "$0")/lib.sh"
e2e_init no_coordinator

N=300
DELAY=20
"$DMTCP_EXAMPLES/counter" "$N" 0 >"$T/native.txt" || fail "counter without dmtcp failed"
out=$T/run/out.txt

# wait_image DIR  Sets IMG to the image that appears in DIR (at most 20 s).
wait_image() {
  local deadline=$((SECONDS + 20)) f
  while :; do
    for f in "$1"/ckpt_counter_*.dmtcp; do
      [[ -e $f ]] && IMG=$f && return 0
    done
    ((SECONDS < deadline)) || fail "no image in $1 after 20 s: $(ls -la "$1")"
    sleep 0.1
  done
}

start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" --no-coordinator --ckptdir "$CKPT" \
  "$DMTCP_EXAMPLES/counter" "$N" "$DELAY"
wait_line "$out" '^count 20 ' "" "$PID"
kill -USR2 "$PID"
wait_image "$CKPT"
at=$(last_num "$out" count)
wait_line "$out" "^count $((at + 10)) " 20 "$PID"
[[ ! -e $CKPT/dmtcp_restart_script.sh ]] || fail "a restart script without a coordinator"
kill_program "$PID"
start_coordinator
start_bg PID "$T/restart.out" "$T/restart.err" "$DMTCP_BIN/dmtcp_restart" -h "$COORD_HOST" \
  -p "$PORT" --join "$IMG"
wait_exit "$PID" 60
assert_rc "$WAIT_RC" 0 "the restarted counter"
assert_same "$T/native.txt" "$out" "the counter's output"

mkdir -p "$T/ckpt2"
start_bg PID "$T/run/out2.txt" "$T/launch2.err" "$DMTCP_BIN/dmtcp_launch" --no-coordinator -i 1 \
  --ckptdir "$T/ckpt2" "$DMTCP_EXAMPLES/counter" "$N" "$DELAY"
wait_image "$T/ckpt2"
kill_program "$PID"
log "a checkpoint on the signal, a restart from it, and one on the interval"
