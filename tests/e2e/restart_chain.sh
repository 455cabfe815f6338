#!/usr/bin/env bash
# restart_chain.sh gzip1|gzip0|otherdir
#
# Restart of restart: launch `counter` (stdout to a file), then three times: blocking checkpoint,
# a few more lines, kill -9, restart. The third restart runs to the end. The output file must be
# exactly an uninterrupted run's, the restarted counter must exit 0, and every checkpoint of the
# process (also those taken after a restart) must replace the same image file with new content.
#   gzip1     DMTCP_GZIP=1 for launch and restarts
#   gzip0     DMTCP_GZIP=0 for launch and restarts
#   otherdir  every restart runs from another working directory, with absolute image paths
# Restarts alternate between the generated restart script and `dmtcp_restart --join <image>`.
. "$(dirname "$0")/lib.sh"

mode=${1:-gzip1}
case $mode in
  gzip1) export DMTCP_GZIP=1 ;;
  gzip0) export DMTCP_GZIP=0 ;;
  otherdir) ;;
  *)
    echo "usage: $0 gzip1|gzip0|otherdir" >&2
    exit 2
    ;;
esac
e2e_init "restart-chain-$mode"

N=400
DELAY=25
out=$T/run/out.txt
expected=$T/expected.txt
restart_dir=$T/run
if [[ $mode == otherdir ]]; then
  restart_dir=$T/elsewhere
  mkdir -p "$restart_dir"
fi

"$DMTCP_EXAMPLES/counter" "$N" 0 >"$expected" || fail "counter without dmtcp failed"

start_coordinator
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$DMTCP_EXAMPLES/counter" "$N" "$DELAY"

target=30
first_image=""
prev_sum=""
for round in 1 2 3; do
  wait_line "$out" "^count $target " "" "$PID"
  wait_peers 1
  wait_status RUNNING yes
  checkpoint_blocking
  single_image 'ckpt_counter_*.dmtcp'
  sum=$(sha256sum <"$IMG")
  if ((round == 1)); then
    first_image=$IMG
  else
    [[ $IMG == "$first_image" ]] ||
      fail "round $round: checkpoint wrote $IMG, not the same file $first_image"
    [[ $sum != "$prev_sum" ]] || fail "round $round: image $IMG was not rewritten"
  fi
  prev_sum=$sum
  [[ $IMG == /* ]] || fail "image path $IMG is not absolute"

  at=$(last_num "$out" count)
  wait_line "$out" "^count $((at + 4)) " "" "$PID"
  kill_program "$PID"
  killed_at=$(last_num "$out" count)
  ((killed_at < N)) || fail "counter finished before it was killed in round $round"
  log "round $round: checkpoint near line $at, killed after line $killed_at"
  wait_peers 0

  if ((round % 2 == 1)); then
    restart_script
    E2E_CWD=$restart_dir start_bg PID "$T/restart$round.out" "$T/restart$round.err" \
      "$RS" -h "$COORD_HOST" -p "$PORT"
  else
    E2E_CWD=$restart_dir start_bg PID "$T/restart$round.out" "$T/restart$round.err" \
      "$DMTCP_BIN/dmtcp_restart" -h "$COORD_HOST" -p "$PORT" --join "$IMG"
  fi
  # The restarted process rewrites lines up to killed_at; a later line proves it is running on.
  target=$((killed_at + 10))
done

wait_exit "$PID" 90
assert_rc "$WAIT_RC" 0 "counter after three restarts"
assert_same "$expected" "$out" "stdout file after three restarts"
assert_group_gone "$PID" "after the restarted counter exited"
