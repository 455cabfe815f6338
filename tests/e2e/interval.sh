#!/usr/bin/env bash
# interval.sh
#
# Interval checkpoints: a coordinator started with -i 1 checkpoints `counter` every second without
# being asked (-s shows CKPT_INTERVAL=1, the image and the restart script appear within 20 s). The
# process is killed at an arbitrary moment (possibly during a checkpoint), and the restart from the
# restart script must still produce exactly the uninterrupted output: an image is replaced
# atomically, never left half-written under its final name.
. "$(dirname "$0")/lib.sh"
e2e_init interval

N=300
DELAY=25
out=$T/run/out.txt
expected=$T/expected.txt
"$DMTCP_EXAMPLES/counter" "$N" 0 >"$expected" || fail "counter without dmtcp failed"

start_coordinator -i 1
start_bg LPID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$DMTCP_EXAMPLES/counter" "$N" "$DELAY"
wait_peers 1
[[ $(status_field CKPT_INTERVAL) == 1 ]] || fail "CKPT_INTERVAL is not 1 with -i 1"
deadline=$((SECONDS + 20))
until [[ -e $CKPT/dmtcp_restart_script.sh ]]; do
  ((SECONDS < deadline)) || fail "no interval checkpoint within 20 s"
  is_alive "$LPID" || fail "counter exited before the first interval checkpoint"
  sleep 0.1
done
single_image 'ckpt_counter_*.dmtcp'
first=$(sha256sum <"$IMG")
# Wait for a second interval checkpoint (the image is replaced by one with new content).
deadline=$((SECONDS + 20))
while [[ $(sha256sum <"$IMG" 2>/dev/null) == "$first" ]]; do
  ((SECONDS < deadline)) || fail "no second interval checkpoint within 20 s"
  sleep 0.1
done
at=$(last_num "$out" count)
wait_line "$out" "^count $((at + 7)) " "" "$LPID"
kill_program "$LPID"
killed_at=$(last_num "$out" count)
((killed_at < N)) || fail "counter finished before it was killed"
log "killed after line $killed_at"
wait_peers 0
single_image 'ckpt_counter_*.dmtcp'

restart_script
start_bg RPID "$T/restart.out" "$T/restart.err" "$RS" -h "$COORD_HOST" -p "$PORT"
wait_exit "$RPID" 90
assert_rc "$WAIT_RC" 0 "restarted counter"
assert_same "$expected" "$out" "stdout file after restart"
