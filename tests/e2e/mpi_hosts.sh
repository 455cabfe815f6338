#!/usr/bin/env bash
# mpi_hosts.sh
#
# An Open MPI job across two test hosts (network namespaces with sshd, ci/test-hosts.sh):
# `dmtcp_launch mpirun -np 4 --hostfile` with 2 ranks of examples/mpi_ring on h1 and 2 on h2;
# mpirun starts its orted daemons there through ssh. Checkpointed mid-run and killed; the
# session directories of Open MPI and PMIx are removed (as on nodes the job has never run on);
# restarted by the restart script with h1's processes on h2 and h2's on h3. Every rank must come
# back on its new host and the output must equal an uninterrupted run's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/batch_lib.sh"
e2e_init mpi-hosts
require_test_hosts
exe=$DMTCP_EXAMPLES/mpi_ring
require_open_mpi "$exe"
# Through the test hosts' sshd.
export OMPI_MCA_plm_rsh_agent="ssh -F $SSH_CFG" DMTCP_TMPDIR=$T
printf 'h1 slots=2\nh2 slots=2\n' >"$T/hostfile"
STEPS=150
mpirun -np 4 --hostfile "$T/hostfile" "$exe" "$STEPS" 0 >"$T/expected.txt" 2>"$T/native.err" ||
  fail "mpirun without dmtcp failed: $(cat "$T/native.err")"
[[ $(wc -l <"$T/expected.txt") -eq $STEPS ]] || fail "the uninterrupted run printed $(wc -l <"$T/expected.txt") lines"

start_coordinator
# The coordinator, for processes on the test hosts: this host's address on their subnet.
COORD_HOST=10.77.0.1
out=$T/out.txt
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  mpirun -np 4 --hostfile "$T/hostfile" "$exe" "$STEPS" 100
wait_line "$out" '^step 10 ' 60 "$PID"
# mpirun and 2 dmtcp_ssh here; on each host dmtcp_sshd, sh, orted and 2 ranks.
wait_peers 13 60
checkpoint_blocking
at=$(last_num "$out" step)
wait_line "$out" "^step $((at + 3)) " 60 "$PID"
kill_program "$PID"
wait_peers 0
rm -rf "${TMPDIR:?}"/*

restart_script
mapfile -t old_hosts < <("$RS" --list-hosts)
new_hosts=()
for h in "${old_hosts[@]}"; do
  case $h in
    h1) new_hosts+=(h2) ;;
    h2) new_hosts+=(h3) ;;
    *) new_hosts+=("$h") ;;
  esac
done
log "hosts ${old_hosts[*]} -> ${new_hosts[*]}"
start_bg PID "$T/restart.out" "$T/restart.err" "$RS" -h "$COORD_HOST" -p "$PORT" \
  --hosts "$(IFS=,; echo "${new_hosts[*]}")"
wait_line "$out" "^step $((at + 10)) " 90 "$PID"
ranks=$(dc -l | awk -F', ' '$2 ~ /^mpi_ring/ { sub(/.*@/, "", $2); print $2 }' | sort | uniq -c |
  awk '{ printf "%s:%s ", $2, $1 }')
[[ $ranks == "h2:2 h3:2 " ]] || fail "after the restart the ranks run on: $ranks (expected 2 on h2 and 2 on h3)"
wait_exit "$PID" 120
assert_rc "$WAIT_RC" 0 "the restarted MPI job"
assert_same "$T/expected.txt" "$out" "the MPI job's output"
