#!/usr/bin/env bash
# slurm_preempt.sh
#
# Preemption on a real Slurm (ci/slurm.sh): a counter job under dmtcp_job in the low-priority
# partition "batch" (PreemptMode=REQUEUE, GraceTime=20, the user's signal sent at grace start)
# holds both nodes; a job in the high-priority partition "urgent" needs them. The low job must
# checkpoint within the grace time (it has no checkpoint interval: the only checkpoint is the
# one the preemption causes), be requeued, start again once the urgent job is done, and finish
# its count from the checkpoint: one continuous sequence, exit code 0.
. "$(dirname "$0")/lib.sh"
e2e_init slurm-preempt

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

"$DMTCP_EXAMPLES/counter" 150 0 >"$T/expected.txt"
out=$T/job.out
submitted=$("$DMTCP_BIN/dmtcp_sbatch" --ckptdir "$T/ckpt" --lead 5 -p batch -N 2 --exclusive \
  -J dmtcp-low -o "$out" -D "$T" -- "$DMTCP_EXAMPLES/counter" 150 100 2>&1) ||
  fail "dmtcp_sbatch: $submitted"
low=$(grep -oE '[0-9]+$' <<<"$submitted")
trap 'scancel "$low" "${urgent:-}" 2>/dev/null' EXIT
wait_line "$out" '^count 20 ' 60
urgent=$(sbatch --parsable -p urgent -N 2 --exclusive -J dmtcp-urgent -o "$T/urgent.out" \
  --wrap 'sleep 2') || fail "cannot submit the urgent job"
log "low job $low, urgent job $urgent"
wait_line "$out" 'checkpoint 1 complete' 30
deadline=$((SECONDS + 120))
until [[ $(job_state "$urgent") == COMPLETED ]]; do
  ((SECONDS < deadline)) || fail "urgent job: $(scontrol show job "$urgent")"
  sleep 0.5
done
deadline=$((SECONDS + 120))
until [[ $(job_state "$low") == COMPLETED ]]; do
  state=$(job_state "$low")
  [[ $state =~ ^(FAILED|CANCELLED|TIMEOUT|NODE_FAIL)$ ]] &&
    fail "low job ended $state: $(tail -n 20 "$out")"
  ((SECONDS < deadline)) || fail "low job did not complete: $(scontrol show job "$low")"
  sleep 0.5
done
[[ $(job_field "$low" ExitCode) == 0:0 ]] || fail "low job exit code $(job_field "$low" ExitCode)"
(($(job_field "$low" Restarts) >= 1)) || fail "the low job was not requeued"
trap - EXIT
grep -q "restarting from gen-1" "$out" || fail "the low job did not restart from its checkpoint"
grep '^count ' "$out" >"$T/counts.txt"
"$PYTHON" - "$T/expected.txt" "$T/counts.txt" <<'PY' || fail "the job's count is not one continuous sequence"
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
