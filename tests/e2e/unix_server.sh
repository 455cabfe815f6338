#!/usr/bin/env bash
# unix_server.sh
#
# A Unix-domain socket server with three clients (forked), each sending numbered requests and
# checking every answer; the server checks every request. Checkpointed mid-run, killed and
# restarted: the listening socket listens again under its name (the stale socket file is
# replaced), every connection is made again with the data queued in it, and the server's output
# must equal an uninterrupted run's: no request lost, duplicated or wrong, no client failed.
. "$(dirname "$0")/lib.sh"
e2e_init unix-server

out=$T/run/out.txt
sock=$T/run/server.sock
"$DMTCP_EXAMPLES/unix_server" "$T/native.sock" 3 60 0 >"$T/expected.txt" ||
  fail "unix_server without dmtcp failed"

start_coordinator
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$DMTCP_EXAMPLES/unix_server" "$sock" 3 60 40
wait_line "$out" '^client 2 request 10 ' "" "$PID"
wait_peers 4
checkpoint_blocking
kill_program "$PID"
wait_peers 0
[[ -S $sock ]] || fail "the killed server left no socket file to replace"
restart_script
start_bg PID "$T/restart.out" "$T/restart.err" "$RS" -h "$COORD_HOST" -p "$PORT"
wait_exit "$PID" 90
assert_rc "$WAIT_RC" 0 "restarted unix_server"
assert_same "$T/expected.txt" "$out" "the server's output"
wait_peers 0
