#!/usr/bin/env bash
# tcp_duplex.sh [-6]  Two processes stream to each other over TCP, both ways at once and at full
# speed, each checking every 8-byte word it receives (examples/tcp_duplex). The computation is
# checkpointed 5 times while it streams, without a kill: both sides must go on and get every
# byte, in order; the output must equal an uninterrupted run's, and the listener must exit 0.
# With -6: over ::1. (No restart here: a restart cannot yet put back the megabytes such a stream
# has in flight, more than new sockets' buffers take, and says so; tcp_stream.sh restarts
# connections with data in flight.)
. "$(dirname "$0")/lib.sh"
v6=()
if [[ ${1:-} == -6 ]]; then
  v6=(-6)
  e2e_init tcp_duplex_ipv6
else
  e2e_init tcp_duplex
fi

MB=16384 # per direction: about 6 s uninterrupted here
"$DMTCP_EXAMPLES/tcp_duplex" "${v6[@]}" 16 >"$T/expected16.txt" || fail "tcp_duplex without dmtcp"
sed 's/16777216/'$((MB << 20))'/g' "$T/expected16.txt" >"$T/expected.txt"

out=$T/run/out.txt
start_coordinator
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$DMTCP_EXAMPLES/tcp_duplex" "${v6[@]}" "$MB"
wait_peers 2
for round in 1 2 3 4 5; do
  sleep 0.3
  checkpoint_blocking
  wait_status RUNNING yes
  log "checkpoint $round while streaming, no kill"
done
if ! is_alive "$PID" || [[ -s $out ]]; then
  fail "tcp_duplex finished before the last checkpoint: the test no longer checkpoints it mid-stream"
fi
wait_exit "$PID" 120
assert_rc "$WAIT_RC" 0 "tcp_duplex"
assert_same "$T/expected.txt" "$out" "tcp_duplex's output"
wait_peers 0
