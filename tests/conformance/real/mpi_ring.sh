# An MPI program (examples/mpi/ring.c) under mpirun -np 2: its output, step by step, must be
# the same as an uninterrupted run's.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
((EUID == 0)) && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 TMPDIR=$T
export E2E_FORKED_IN_PLACE=1  # the ranks share memory (vader): see README (forked checkpoints)
CMD="exec mpirun -np 2 ${DMTCP_EXAMPLES:?}/mpi_ring 150 100"
READY='^step 5 '
check() {
  mpirun -np 2 "$DMTCP_EXAMPLES/mpi_ring" 150 0 > expected.txt 2> native.err ||
    fail "mpi_ring without dmtcp failed: $(cat native.err)"
  diff <(grep '^step' expected.txt) <(grep '^step' "$out") > /dev/null ||
    fail "mpi_ring: its steps differ from an uninterrupted run's"
}
