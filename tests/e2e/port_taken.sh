#!/usr/bin/env bash
# port_taken.sh  A restart whose listening port another program holds stops before it starts.
#
# A receiver listening on a port it chose (outside the kernel's ephemeral range) and a sender
# connected to it (examples/tcp_stream recv/send) are checkpointed and killed. Another program
# then listens on that port. The restart script must fail (exit 99) before anything starts, with a
# message naming the port and the receiver's image; no process may join the coordinator or be
# left running. Once the port is free again, the same restart script continues the stream to an
# uninterrupted run's output.
. "$(dirname "$0")/lib.sh"
e2e_init port_taken

# A free port below the ephemeral range, as a server's configured port would be.
port=$("$PYTHON" - <<'PYEOF'
import random, socket
lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for p in random.sample(range(max(1024, lo - 12000), lo - 1), 200):
    s = socket.socket()
    try:
        s.bind(("0.0.0.0", p)); print(p); break
    except OSError:
        pass
    finally:
        s.close()
PYEOF
)
[[ $port =~ ^[0-9]+$ ]] || fail "no free port below the ephemeral range"
"$DMTCP_EXAMPLES/tcp_stream" 150 0 | grep -v '^received' >"$T/expected.txt"
printf 'received 150 messages, 0 errors\n' >>"$T/expected.txt"
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
restart_script

# Someone else's server on the port.
start_bg OCC "$T/occ.out" "$T/occ.err" "$PYTHON" -c "
import socket, time
s = socket.socket(); s.bind(('0.0.0.0', $port)); s.listen(1); print('listening', flush=True)
time.sleep(300)"
wait_line "$T/occ.out" '^listening' "" "$OCC"
rc=0
timeout "$E2E_WAIT" "$RS" -h "$COORD_HOST" -p "$PORT" >"$T/taken.out" 2>"$T/taken.err" || rc=$?
assert_rc "$rc" 99 "the restart with the port taken"
grep -q "port $port, where .*ckpt_tcp_stream_.*\.dmtcp listened, is taken" "$T/taken.err" ||
  fail "the message does not name the port and the image: $(cat "$T/taken.err")"
[[ $(status_field NUM_PEERS) == 0 ]] || fail "a process joined although the restart failed"
e2e_our_pids "$COORD_PID"
for p in "${E2E_OUR[@]}"; do
  [[ $p == "$OCC" ]] && continue
  [[ $(cat "/proc/$p/comm" 2>/dev/null) == tcp_stream ]] && fail "a tcp_stream process runs: $p"
done
log "refused: $(cat "$T/taken.err")"
kill_program "$OCC"

start_bg PID "$T/restart.out" "$T/restart.err" "$RS" -h "$COORD_HOST" -p "$PORT"
wait_exit "$PID" 90
assert_rc "$WAIT_RC" 0 "the restart once the port is free"
# The script ends with its first process (the sender); the receiver reads what is left.
wait_line "$T/run/recv.out" '^received ' 60
wait_peers 0
assert_same "$T/expected.txt" "$T/run/recv.out" "receiver output"
