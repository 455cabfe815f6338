#!/usr/bin/env bash
# program_barrier.sh  dmtcp_global_barrier() called by a program's thread makes every process of
# the computation meet, also across a checkpoint, a kill and a restart.
#
# Two barrier_steps processes (tests/plugins/barrier_steps.c), a fast one (5 ms between steps) and
# a slow one (40 ms), each log "arrive P k" before the k-th barrier and "pass P k" after it. In
# the log, no process may pass barrier k before every process arrived at it. After a checkpoint
# both are killed, later lines go to a second log, and they are restarted: there the same must
# hold (a process restarted while it waited in barrier k passes it first, its arrival being in
# the first log; the other one arrives at k after the restart, or had passed k before the
# checkpoint). Each one's output must be every step once, as an uninterrupted run prints.
. "$(dirname "$0")/lib.sh"
e2e_init program_barrier

STEPS=150
seq -f 'step %g' 1 "$STEPS" >"$T/native.txt"
dir=$T/steps
mkdir -p "$dir"
echo log1 >"$dir/logname"
start_coordinator
start_bg PID_a "$T/run/a.out" "$T/a.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$DMTCP_TEST_PLUGINS/barrier_steps" "$dir" a "$STEPS" 5
start_bg PID_b "$T/run/b.out" "$T/b.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$DMTCP_TEST_PLUGINS/barrier_steps" "$dir" b "$STEPS" 40
# shellcheck disable=SC2154  # set by start_bg
pa=$PID_a pb=$PID_b
wait_peers 2
touch "$dir/start"
wait_line "$T/run/a.out" '^step 40$' 60 "$pa"
checkpoint_blocking
at=$(last_num "$T/run/b.out" step)
wait_line "$T/run/b.out" "^step $((at + 10))$" 30 "$pb"
# Both stopped first: one killed alone would leave the other the whole computation, and its
# barriers would pass without waiting.
kill -STOP -- "-$pa" "-$pb"
kill_program "$pa"
kill_program "$pb"
wait_peers 0
echo log2 >"$dir/logname"
restart_script
start_bg PID "$T/restart.out" "$T/restart.err" "$RS" -h "$COORD_HOST" -p "$PORT"
wait_exit "$PID" 120
assert_rc "$WAIT_RC" 0 "the restart"
wait_peers 0 60
assert_same "$T/native.txt" "$T/run/a.out" "process a's output"
assert_same "$T/native.txt" "$T/run/b.out" "process b's output"
python3 - "$dir/log1" "$dir/log2" "$STEPS" <<'PYEOF' || fail "a barrier let a process through early"
import sys
def check(path, restarted):
    lines = [l.split() for l in open(path)]
    first = {}
    for what, p, k in lines:
        first.setdefault(p, (what, int(k)))
    arrivals = {(p, int(k)) for what, p, k in lines if what == "arrive"}
    arrived = set()
    for i, (what, p, k) in enumerate(lines):
        k = int(k)
        if what == "arrive":
            arrived.add((p, k))
            continue
        # Restored inside barrier k (its arrival is in the first log) while the other one had
        # passed it before the checkpoint: the other one does not arrive at k again here.
        if (restarted and first.get(p) == ("pass", k) and lines.index([what, p, str(k)]) == i
                and all((q, k) not in arrivals for q in ("a", "b") if q != p)):
            continue
        for q in ("a", "b"):
            if (q, k) in arrived or (restarted and first.get(q) == ("pass", k)):
                continue
            sys.exit(f"{path}:{i + 1}: {p} passed barrier {k} before {q} arrived at it")
    return lines
check(sys.argv[1], False)
last = check(sys.argv[2], True)
for p in ("a", "b"):
    if ["pass", p, sys.argv[3]] not in last:
        sys.exit(f"{p} never passed the last barrier after the restart")
print("barriers held before and after the restart")
PYEOF
log "every barrier held, before the checkpoint and after the restart"
