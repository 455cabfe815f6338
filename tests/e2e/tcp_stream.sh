#!/usr/bin/env bash
# tcp_stream.sh
#
# Two processes on this host exchange a numbered, checksummed message stream over TCP
# (127.0.0.1): the sender writes three times faster than the receiver reads, so messages are
# always queued in the connection (and some held back by Nagle's algorithm) when the checkpoint
# comes. Checkpointed under load, killed and restarted: no message may be lost, duplicated or
# corrupted (the receiver checks each one), the output must equal an uninterrupted run's, and the
# receiver exits 0.
. "$(dirname "$0")/lib.sh"
e2e_init tcp-stream

out=$T/run/out.txt
"$DMTCP_EXAMPLES/tcp_stream" 150 0 >"$T/expected.txt" || fail "tcp_stream without dmtcp failed"

start_coordinator
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$DMTCP_EXAMPLES/tcp_stream" 150 45
wait_line "$out" '^message 15 ' "" "$PID"
wait_peers 2
checkpoint_blocking
kill_and_restart "restarted tcp_stream"
assert_same "$T/expected.txt" "$out" "tcp_stream's output"
wait_peers 0
