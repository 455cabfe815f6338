#!/usr/bin/env bash
# tcp_stream.sh
#
# Two processes on this host exchange a numbered, checksummed message stream over TCP
# (127.0.0.1): the sender writes three times faster than the receiver reads, so messages are
# always queued in the connection (and some held back by Nagle's algorithm) when the checkpoint
# comes. Checkpointed under load, killed and restarted: no message may be lost, duplicated or
# corrupted (the receiver checks each one), the output must equal an uninterrupted run's, and the
# receiver exits 0. With -6: the same over IPv6 (::1). With "bulk": 60 messages of 200 kB each,
# the receiver slow, so the receiver's window is full and the sender's buffer holds data nobody
# has received yet when the checkpoint comes: that data must not be lost either.
. "$(dirname "$0")/lib.sh"
args=(150 0)
run=(150 45)
case ${1:-} in
  -6)
    args=(-6 150 0) run=(-6 150 45)
    e2e_init tcp-stream-ipv6
    ;;
  bulk)
    args=(60 0 200000) run=(60 60 200000)
    e2e_init tcp-stream-bulk
    ;;
  *) e2e_init tcp-stream ;;
esac

out=$T/run/out.txt
"$DMTCP_EXAMPLES/tcp_stream" "${args[@]}" >"$T/expected.txt" || fail "tcp_stream without dmtcp failed"

start_coordinator
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$DMTCP_EXAMPLES/tcp_stream" "${run[@]}"
wait_line "$out" '^message 15 ' "" "$PID"
wait_peers 2
checkpoint_blocking
kill_and_restart "restarted tcp_stream"
assert_same "$T/expected.txt" "$out" "tcp_stream's output"
wait_peers 0
