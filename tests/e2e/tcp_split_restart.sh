#!/usr/bin/env bash
# tcp_split_restart.sh
#
# The two ends of a TCP message stream are two separately launched programs (a receiver that
# listens, a sender that connects), checkpointed under load and killed. Each is then restarted
# by its own dmtcp_restart, as happens when they run on different hosts: the two restarters must
# find each other through the coordinator and make the connection again, with the data that was
# in flight. The receiver checks every message (sequence and checksum); its output must equal an
# uninterrupted run's and both must exit 0.
. "$(dirname "$0")/lib.sh"
e2e_init tcp-split-restart

"$DMTCP_EXAMPLES/tcp_stream" 150 0 | grep -v '^received' >"$T/expected.txt"
printf 'received 150 messages, 0 errors\n' >>"$T/expected.txt"
port=$(dead_port)
start_coordinator
start_bg RECV "$T/run/recv.out" "$T/recv.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" \
  -p "$PORT" --join "$DMTCP_EXAMPLES/tcp_stream" recv "$port" 150 40
start_bg SEND "$T/run/send.out" "$T/send.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" \
  -p "$PORT" --join "$DMTCP_EXAMPLES/tcp_stream" send 127.0.0.1 "$port" 150 40
wait_line "$T/run/recv.out" '^message 15 ' "" "$RECV"
wait_peers 2
checkpoint_blocking
kill_program "$RECV"
kill_program "$SEND"
wait_peers 0

recv_img=("$CKPT"/ckpt_tcp_stream_*-"$RECV"-*.dmtcp)
send_img=("$CKPT"/ckpt_tcp_stream_*-"$SEND"-*.dmtcp)
[[ -f ${recv_img[0]} && -f ${send_img[0]} ]] ||
  fail "images of $RECV and $SEND not found: $(ls "$CKPT")"
start_bg RECV "$T/restart_recv.out" "$T/restart_recv.err" "$DMTCP_BIN/dmtcp_restart" \
  -h "$COORD_HOST" -p "$PORT" --join "${recv_img[0]}"
start_bg SEND "$T/restart_send.out" "$T/restart_send.err" "$DMTCP_BIN/dmtcp_restart" \
  -h "$COORD_HOST" -p "$PORT" --join "${send_img[0]}"
wait_exit "$SEND" 90
assert_rc "$WAIT_RC" 0 "the restarted sender"
wait_exit "$RECV" 90
assert_rc "$WAIT_RC" 0 "the restarted receiver"
assert_same "$T/expected.txt" "$T/run/recv.out" "the receiver's output"
wait_peers 0
