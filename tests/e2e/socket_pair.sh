#!/usr/bin/env bash
# socket_pair.sh
#
# A parent and its child talk over a Unix socketpair; each answer waits in the socket while the
# parent sleeps, so a checkpoint almost always finds data queued in it. Checkpointed, killed and
# restarted: the restart makes the pair again with the queued data, and the whole output must
# equal an uninterrupted run's, with exit code 0.
. "$(dirname "$0")/lib.sh"
e2e_init socket-pair

out=$T/run/out.txt
"$DMTCP_EXAMPLES/socket_pair" 80 0 >"$T/expected.txt" || fail "socket_pair without dmtcp failed"

start_coordinator
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$DMTCP_EXAMPLES/socket_pair" 80 40
wait_line "$out" '^got pong 15 ' "" "$PID"
wait_peers 2
checkpoint_blocking
kill_and_restart "restarted socket_pair"
assert_same "$T/expected.txt" "$out" "socket_pair's output"
wait_peers 0
