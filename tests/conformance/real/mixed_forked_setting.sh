# Two processes of one computation with different DMTCP_FORKED_CHECKPOINT settings: timeout runs
# with the mode's setting and execs, through env, a bash loop with the other one (a job script
# that sets it for one step). A forked checkpoint resumes the program before the images are
# committed, an in-place one after: processes that each kept their own order waited at different
# barriers for ever. The coordinator gives every process of a checkpoint one order.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
cat >loop.sh <<'SH'
n=0 s=0
while [[ ! -e $CONFORMANCE_DONE ]]; do
  n=$((n + 1)) s=$(((s * 31 + n) % 1000003))
  if ((n % 100 == 0)); then echo "at $n"; fi
done
echo "final $n $s"
SH
CMD='exec timeout 600 env DMTCP_FORKED_CHECKPOINT=$((1 - ${DMTCP_FORKED_CHECKPOINT:-0})) bash loop.sh'
READY='^at 200$'
# One of the two writes its image itself.
export E2E_FORKED_IN_PLACE=some
check() {
  local n s i t=0
  read -r _ n s < <(grep '^final' "$out")
  [[ -n $n ]] || fail "mixed_forked_setting: no final line: $(tail -n 2 "$out")"
  for ((i = 1; i <= n; i++)); do t=$(((t * 31 + i) % 1000003)); done
  [[ $s == "$t" ]] || fail "mixed_forked_setting: sum $s after $n rounds, expected $t"
}
