#!/usr/bin/env bash
# soak.sh [CYCLES]  Many checkpoint / kill -9 / restart cycles of one computation in a row.
#
# examples/soak is a parent and a child joined by a pipe and a TCP connection, with a second
# thread in the parent; each step crosses all of them and the program checks every value itself
# (it prints MISMATCH and exits 1 on a wrong one). CYCLES times (default $DMTCP_SOAK_CYCLES, else
# 20; 100 for a long soak): wait until the computation has made progress past every line written
# so far, checkpoint it, kill the whole process tree with SIGKILL, and restart it from the restart
# script. After every cycle the output must be a prefix of an uninterrupted run's, line for line;
# at the end the computation must run to its end, exit 0, and its output equal the uninterrupted
# run's.
. "$(dirname "$0")/lib.sh"
cycles=${1:-${DMTCP_SOAK_CYCLES:-20}}
[[ $cycles =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [CYCLES]" >&2; exit 2; }
e2e_init soak

DELAY=20
steps=$((cycles * 25 + 100))
out=$T/run/out.txt
"$DMTCP_EXAMPLES/soak" "$steps" 0 >"$T/native.txt" || fail "soak without dmtcp failed"
[[ $(tail -n 1 "$T/native.txt") == done* ]] || fail "soak without dmtcp did not finish"

# The output so far must be the uninterrupted run's first lines.
check_prefix() {
  local n
  n=$(grep -c '' "$out")
  if grep -q MISMATCH "$out"; then fail "cycle $1: the program found a wrong value: $(grep MISMATCH "$out")"; fi
  head -n "$n" "$T/native.txt" | cmp -s - "$out" ||
    fail "cycle $1: the output is not a prefix of an uninterrupted run's ($n lines)"
}

start_coordinator
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$DMTCP_EXAMPLES/soak" "$steps" "$DELAY"
wait_peers 2
restart_script_path=$CKPT/dmtcp_restart_script.sh
t0=$SECONDS
for ((c = 1; c <= cycles; c++)); do
  # Progress past every line written before the last kill (those may be stale copies).
  seen=$(last_num "$out" step)
  wait_line "$out" "^step $((seen + 3)) " "" "$PID"
  checkpoint_blocking
  kill_program "$PID"
  wait_peers 0
  check_prefix "$c"
  RS=$restart_script_path
  start_bg PID "$T/restart.out" "$T/restart.err" "$RS" -h "$COORD_HOST" -p "$PORT"
  wait_peers 2
done
log "$cycles cycles in $((SECONDS - t0))s"
wait_exit "$PID" 120
assert_rc "$WAIT_RC" 0 "the computation after $cycles restarts"
assert_same "$T/native.txt" "$out" "soak output"
