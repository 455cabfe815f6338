#!/usr/bin/env bash
# many_processes.sh [N]
#
# A computation of many small processes: a shell and N (2,000) idle children, launched under a
# coordinator started with --exit-on-last as a job script starts it. Checkpoint, kill, restart
# under a new coordinator: every process must come back within 120 s (a restart whose processes
# polled for each other starved the ones still being made, gave up, and its clean-up killed its
# own process group: this failed at 2,000 before). Then every child is ended with SIGTERM and the
# restored shell, waiting for each by its pid, must reap each one with the status of SIGTERM
# ("ended 143" N times) and end with exit code 0.
. "$(dirname "$0")/lib.sh"
e2e_init many-processes
N=${1:-2000}
E2E_WAIT=120 # every bounded wait of lib.sh (the restart waits for 2,001 processes)
export E2E_WAIT
NAP=100017 # the children's sleep, to find them by

start_coordinator --exit-on-last
start_bg PID "$T/prog.out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" \
  -p "$PORT" --join bash -c "pids=(); for ((i = 0; i < $N; i++)); do sleep $NAP & pids+=(\$!); done
    echo started; for p in \"\${pids[@]}\"; do wait \$p; echo \"ended \$?\"; done; echo done"
wait_line "$T/prog.out" '^started$' 120 "$PID"
wait_peers $((N + 1)) 120
restart_on_new_coordinator 1
wait_peers $((N + 1)) 120
log "restarted: $(status_field NUM_PEERS) processes"
pkill -TERM -f "^sleep $NAP\$" || fail "no child to end"
wait_line "$T/prog.out" '^done$' 120 "$PID"
reaped=$(grep -c '^ended 143$' "$T/prog.out")
((reaped == N)) || fail "the restored shell reaped $reaped children ended by SIGTERM, not $N"
wait_exit "$PID" 60
log "PASS"
