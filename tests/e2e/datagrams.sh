#!/usr/bin/env bash
# datagrams.sh
#
# Datagram sockets (examples/datagrams.c): a child sends numbered, checksummed datagrams over a
# Unix datagram socket pair faster than the parent reads them, and another child has each
# number acknowledged over UDP on a port the parent bound (asking again until it is). Checkpointed
# with datagrams queued, killed and restarted: the queued Unix datagrams must all arrive, in
# order and intact, the UDP socket must be bound to its port again (else the asker is never
# answered and the run does not finish), and the output must equal an uninterrupted run's.
. "$(dirname "$0")/lib.sh"
e2e_init datagrams

out=$T/run/out.txt
"$DMTCP_EXAMPLES/datagrams" 120 0 >"$T/expected.txt" || fail "datagrams without dmtcp failed"

start_coordinator
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$DMTCP_EXAMPLES/datagrams" 120 45
wait_line "$out" '^message 15 ' "" "$PID"
wait_peers 3
checkpoint_blocking
kill_and_restart "restarted datagrams"
assert_same "$T/expected.txt" "$out" "datagrams' output"
wait_peers 0
