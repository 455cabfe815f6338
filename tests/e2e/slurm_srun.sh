#!/usr/bin/env bash
# slurm_srun.sh
#
# srun under checkpoint control, on a real Slurm (ci/slurm.sh): a two-node job whose batch
# script runs `srun -N2 -n2 -l counter` under dmtcp_job. srun's tasks must run under the job's
# coordinator (dmtcp_srun takes srun's place; each task joins through dmtcp_sshd). Sent the
# warning signal, the job checkpoints (tasks included), requeues, starts again and restarts
# every task from the checkpoint; both tasks' counts are continuous (srun's --label prefixes
# kept), srun reports exit code 0 and the job completes.
#
# The two Slurm nodes share this machine's host name, so the restart places both tasks on it;
# placing them on other hosts is what ssh_hosts and pbs_job show.
. "$(dirname "$0")/lib.sh"
e2e_init slurm-srun

export SLURM_CONF=${DMTCP_SLURM_DIR:-/tmp/dmtcp-slurm}/slurm.conf
if ! sinfo -h >/dev/null 2>&1; then
  if ((EUID != 0)); then
    log "SKIP: Slurm is not up and starting it needs root (ci/slurm.sh up)"
    exit 77
  fi
  fail "Slurm does not answer (SLURM_CONF=$SLURM_CONF): $(sinfo 2>&1)"
fi
job_state() { scontrol show job "$1" 2>/dev/null | grep -oE 'JobState=[A-Z_]+' | cut -d= -f2; }
job_field() { scontrol show job "$1" 2>/dev/null | grep -oE "$2=[^ ]+" | cut -d= -f2; }

"$DMTCP_EXAMPLES/counter" 80 0 >"$T/expected.txt"
out=$T/job.out
submitted=$("$DMTCP_BIN/dmtcp_sbatch" --ckptdir "$T/ckpt" --lead 30 -N 2 -J dmtcp-srun \
  -o "$out" -D "$T" -- bash -c \
  "srun -N2 -n2 --ntasks-per-node=1 -l $DMTCP_EXAMPLES/counter 80 100; echo srun exit \$?" 2>&1) ||
  fail "dmtcp_sbatch: $submitted"
job=$(grep -oE '[0-9]+$' <<<"$submitted")
trap 'scancel "$job" 2>/dev/null' EXIT
wait_line "$out" '^1: count 20 ' 60
wait_line "$out" '^0: count 20 ' 10
# Both tasks are processes of the computation (with their dmtcp_sshd, sh, and the batch side).
grep -qE 'counter\[[0-9]+\]@.* joined' "$T/ckpt/$job/coordinator.log" ||
  fail "the tasks did not join the coordinator: $(cat "$T/ckpt/$job/coordinator.log")"
(($(grep -cE 'counter\[[0-9]+\]@.* joined' "$T/ckpt/$job/coordinator.log") == 2)) ||
  fail "expected 2 tasks in the computation"
scancel --signal=USR1 --batch "$job" || fail "scancel --signal=USR1 failed"
wait_line "$out" "requeueing job $job" 60
deadline=$((SECONDS + 120))
until [[ $(job_state "$job") == COMPLETED ]]; do
  state=$(job_state "$job")
  [[ $state =~ ^(FAILED|CANCELLED|TIMEOUT|NODE_FAIL)$ ]] &&
    fail "job ended $state: $(tail -n 20 "$out")"
  ((SECONDS < deadline)) || fail "job did not complete: $(scontrol show job "$job")"
  sleep 0.5
done
trap - EXIT
[[ $(job_field "$job" Restarts) == 1 ]] || fail "the job was not requeued once"
grep -q "restarting from gen-" "$out" || fail "the job did not restart from its checkpoint"
grep -qx "srun exit 0" "$out" || fail "srun did not report exit code 0: $(grep 'srun exit' "$out")"
for task in 0 1; do
  grep "^$task: count " "$out" | sed "s/^$task: //" >"$T/counts$task.txt"
  "$PYTHON" - "$T/expected.txt" "$T/counts$task.txt" <<'PY' || fail "task $task's count is not continuous"
import sys
expected = {int(l.split()[1]): l for l in open(sys.argv[1])}
prev = 0
for l in open(sys.argv[2]):
    k = int(l.split()[1])
    if l != expected.get(k):
        sys.exit(f"wrong line: {l!r}")
    if k != prev + 1 and (k > prev or k < prev - 5):
        sys.exit(f"step {k} after step {prev}")
    prev = k
if prev != len(expected):
    sys.exit(f"the count stopped at {prev}")
PY
done
