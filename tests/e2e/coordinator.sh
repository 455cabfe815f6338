#!/usr/bin/env bash
# coordinator.sh
#
# Coordinator life cycle:
#   - --daemon with --port 0 --port-file: the command returns 0 within 20 s, the port file names
#     a port that answers -s (NUM_PEERS=0, RUNNING=no); -q stops it (-s then exits 99);
#   - a fixed port (--port P): it serves on P and writes P to its port file;
#   - --exit-on-last: after the last (only) process, `sh -c 'exit 3'`, ends (its code 3 passing
#     through dmtcp_launch), the coordinator exits by itself within 20 s.
. "$(dirname "$0")/lib.sh"
e2e_init coordinator

# 1. --daemon
pf=$T/daemon.port
rc=0
timeout 20 "$DMTCP_BIN/dmtcp_coordinator" --daemon --port 0 --port-file "$pf" --ckptdir "$CKPT" \
  --coord-logfile "$T/daemon.log" >"$T/daemon.out" 2>"$T/daemon.err" </dev/null || rc=$?
assert_rc "$rc" 0 "dmtcp_coordinator --daemon"
[[ -s $pf ]] || fail "dmtcp_coordinator --daemon returned before writing $pf"
PORT=$(tr -d ' \n' <"$pf")
[[ $PORT =~ ^[1-9][0-9]*$ ]] || fail "port file $pf holds '$PORT'"
log "daemon coordinator on port $PORT"
wait_status NUM_PEERS 0 10
wait_status RUNNING no 10
dc -q >/dev/null || fail "dmtcp_command -q to the daemon failed"
deadline=$((SECONDS + 20))
while :; do
  rc=0
  dc -s >/dev/null 2>&1 || rc=$?
  ((rc == 99)) && break
  ((SECONDS < deadline)) || fail "the daemon coordinator still answers 20 s after -q (-s exit $rc)"
  sleep 0.1
done

# 2. A fixed port.
fixed=$(dead_port)
start_bg COORD_PID "$T/fixed.out" "$T/fixed.err" "$DMTCP_BIN/dmtcp_coordinator" \
  --port "$fixed" --port-file "$T/fixed.port" --ckptdir "$CKPT"
PORT=$fixed
wait_status NUM_PEERS 0 20
[[ $(tr -d ' \n' <"$T/fixed.port") == "$fixed" ]] || fail "port file does not name port $fixed"
dc -q >/dev/null || fail "dmtcp_command -q failed"
wait_exit "$COORD_PID" 20
assert_rc "$WAIT_RC" 0 "coordinator on a fixed port after -q"
COORD_PID=""

# 3. --exit-on-last
start_coordinator --exit-on-last
rc=0
timeout 30 "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" --join sh -c 'exit 3' \
  >"$T/l.out" 2>"$T/l.err" </dev/null || rc=$?
assert_rc "$rc" 3 "dmtcp_launch sh -c 'exit 3'"
wait_exit "$COORD_PID" 20
assert_rc "$WAIT_RC" 0 "coordinator --exit-on-last after its last process"
COORD_PID=""
