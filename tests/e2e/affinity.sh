#!/usr/bin/env bash
# affinity.sh pthread|openmp
#
# Threads bound to CPUs, printing their sums and each thread's CPUs every step:
#   pthread  examples/pinned: one thread bound to the first CPU the program may use
#            (pthread_setaffinity_np), one to the last, one unbound;
#   openmp   examples/omp_pinned: two OpenMP threads bound by OMP_PROC_BIND=spread
#            OMP_PLACES=cores, the first to the first CPU and the second to the last.
# Checkpointed, killed, and:
#  - restarted on the same CPUs: every thread keeps its binding;
#  - restarted under `taskset -c <last CPU>` (a node with fewer cores): the bound threads are
#    remapped onto that CPU (dmtcp_restart says so on stderr for the one that moved), an
#    unbound one runs where the restart may, and the sums go on as in an uninterrupted run;
#  - restarted the same way with --no-remap: every thread gets its old CPU numbers back.
# Needs two CPUs (exits 77 on one).
. "$(dirname "$0")/lib.sh"

mode=${1:-pthread}
case $mode in
  pthread) program=pinned ;;
  openmp) program=omp_pinned ;;
  *) echo "usage: $0 pthread|openmp" >&2; exit 2 ;;
esac
e2e_init "affinity-$mode"

read -r first last < <("$PYTHON" -c 'import os; s = sorted(os.sched_getaffinity(0)); print(s[0], s[-1])')
if ((first == last)); then
  log "SKIP: one CPU only: no binding to remap"
  exit 77
fi
all=$("$PYTHON" -c 'import os; print(",".join(map(str, sorted(os.sched_getaffinity(0)))))')
# What each thread may use: at launch (and after a restart on the same CPUs or with --no-remap),
# and after the restart on the last CPU alone.
if [[ $mode == pthread ]]; then
  before="$first|$last|$all" remapped="$last|$last|$last"
else
  export OMP_PROC_BIND=spread OMP_PLACES=cores
  before="$first|$last" remapped="$last|$last"
fi
STEPS=40
"$DMTCP_EXAMPLES/$program" "$STEPS" 0 | sed 's/ cpus .*//' >"$T/expected.txt"
[[ $(wc -l <"$T/expected.txt") -eq $STEPS ]] ||
  fail "$program without dmtcp printed $(wc -l <"$T/expected.txt") lines"

start_coordinator
out=$T/out.txt
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  "$DMTCP_EXAMPLES/$program" "$STEPS" 100
wait_line "$out" '^step 5 ' 30 "$PID"
[[ $(grep '^step 5 ' "$out" | sed 's/.* cpus //') == "$before" ]] ||
  fail "bindings before the checkpoint: $(grep '^step 5 ' "$out")"
checkpoint_blocking
kill_program "$PID"
wait_peers 0
cp "$out" "$T/out.at_kill"

# restart_on CPUS NAME [--no-remap]  Restarts the checkpoint under taskset -c CPUS (from the same
# images, and the output file as it was at the kill, each time) and waits for the end.
restart_on() {
  local cpus=$1 name=$2
  shift 2
  cp "$T/out.at_kill" "$out"
  start_bg PID "$T/$name.out" "$T/$name.err" taskset -c "$cpus" "$DMTCP_BIN/dmtcp_restart" \
    -h "$COORD_HOST" -p "$PORT" "$@" "$CKPT"/ckpt_"$program"_*.dmtcp
  wait_exit "$PID" 90
  assert_rc "$WAIT_RC" 0 "$program restarted under taskset -c $cpus $*"
  sed 's/ cpus .*//' "$out" >"$T/$name.sums"
  assert_same "$T/expected.txt" "$T/$name.sums" "the sums after the restart ($name)"
}

# On the same processors: every thread keeps its binding (without the runtime binding them
# again, the two bound threads would inherit the restart's whole CPU set).
restart_on "$all" same
got=$(tail -n 1 "$out" | sed 's/.* cpus //')
[[ $got == "$before" ]] || fail "after a restart on the same CPUs the threads run on $got"
! grep -q 'remapped' "$T/same.err" || fail "nothing moved, yet: $(cat "$T/same.err")"

restart_on "$last" remap
got=$(tail -n 1 "$out" | sed 's/.* cpus //')
[[ $got == "$remapped" ]] || fail "after the restart on CPU $last the threads run on $got"
grep -q "thread [0-9]* of $program .* was bound to CPUs $first of .*; remapped to CPUs $last of the 1 here" \
  "$T/remap.err" || fail "dmtcp_restart did not say what it remapped: $(cat "$T/remap.err")"
[[ $(grep -c 'remapped to' "$T/remap.err") -eq 1 ]] ||
  fail "only the thread that moved is reported: $(cat "$T/remap.err")"

restart_on "$last" exact --no-remap
got=$(tail -n 1 "$out" | sed 's/.* cpus //')
[[ $got == "$before" ]] || fail "with --no-remap the threads run on $got"
! grep -q 'remapped' "$T/exact.err" || fail "--no-remap remapped: $(cat "$T/exact.err")"
