#!/usr/bin/env bash
# mpi.sh PROGRAM CYCLES [bind]
#
# An Open MPI job of 4 ranks on this host (Debian's Open MPI, unmodified: the shared-memory
# transport between the ranks, mpirun's PMIx server and session directory, TCP), started as
# `dmtcp_launch mpirun -np 4 examples/mpi_PROGRAM`: PROGRAM is ring, allreduce or stencil, each
# printing a checksum of every rank's state per step. CYCLES times: a blocking checkpoint
# mid-run, a few more steps, kill -9 of mpirun and every rank, restart with the generated
# script. The output must equal an uninterrupted run's, line for line.
# With "bind": mpirun binds each rank to a core (--bind-to core), and the restarts run under
# `taskset -c <last CPU>`: the ranks bound to other cores are remapped onto that one, and
# dmtcp_restart says so.
. "$(dirname "$0")/lib.sh"

program=${1:?usage: $0 ring|allreduce|stencil CYCLES [bind]}
cycles=${2:-1}
bind=${3:-}
e2e_init "mpi-$program${bind:+-$bind}"
exe=$DMTCP_EXAMPLES/mpi_$program
if ! command -v mpirun >/dev/null || [[ ! -x $exe ]]; then
  log "SKIP: Open MPI is not installed (ci/install-deps.sh installs openmpi-bin and libopenmpi-dev)"
  exit 77
fi
((EUID == 0)) && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# 4 ranks on however many cores; the test's own session directory.
export OMPI_MCA_rmaps_base_oversubscribe=1 TMPDIR=$T
RANKS=4
STEPS=$((40 + 15 * cycles))
mpi_args=() restart_prefix=()
if [[ $bind == bind ]]; then
  last=$("$PYTHON" -c 'import os; print(sorted(os.sched_getaffinity(0))[-1])')
  if (($("$PYTHON" -c 'import os; print(len(os.sched_getaffinity(0)))') < 2)); then
    log "SKIP: one CPU only: no binding to remap"
    exit 77
  fi
  mpi_args=(--bind-to core:overload-allowed)
  restart_prefix=(taskset -c "$last")
fi
mpirun -np "$RANKS" "$exe" "$STEPS" 0 >"$T/expected.txt" 2>"$T/native.err" ||
  fail "mpirun without dmtcp failed: $(cat "$T/native.err")"
[[ $(wc -l <"$T/expected.txt") -eq $STEPS ]] || fail "the uninterrupted run printed $(wc -l <"$T/expected.txt") lines"

start_coordinator
out=$T/out.txt
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  mpirun -np "$RANKS" "${mpi_args[@]}" "$exe" "$STEPS" 100
for ((c = 1; c <= cycles; c++)); do
  at=$(last_num "$out" step)
  wait_line "$out" "^step $((at + 5)) " 60 "$PID"
  wait_peers $((RANKS + 1)) 60
  checkpoint_blocking
  images=("$CKPT"/ckpt_*.dmtcp)
  ((${#images[@]} == RANKS + 1)) || fail "${#images[@]} images, expected mpirun's and $RANKS ranks'"
  at=$(last_num "$out" step)
  wait_line "$out" "^step $((at + 3)) " 60 "$PID"
  kill_program "$PID"
  wait_peers 0
  restart_script
  start_bg PID "$T/restart$c.out" "$T/restart$c.err" "${restart_prefix[@]}" "$RS" \
    -h "$COORD_HOST" -p "$PORT"
  log "cycle $c: restarted from the checkpoint near step $at"
done
wait_exit "$PID" 120
assert_rc "$WAIT_RC" 0 "the restarted MPI job"
assert_same "$T/expected.txt" "$out" "the MPI job's output"
if [[ $bind == bind ]]; then
  grep -q "of mpi_$program .* was bound to CPUs .*; remapped to CPUs $last of the 1 here" \
    "$T/restart1.err" || fail "no rank was remapped onto CPU $last: $(cat "$T/restart1.err")"
fi
