# The wrappers job scripts put in front of a program, chained: timeout, nohup, nice, stdbuf,
# setsid, taskset, flock and env -i (a clean environment: the runtime must follow the exec all
# the same). The bash loop at the end checks now and then that flock's lock is still held; at the
# end it reports its sum, its CPUs and its nice value, checked against what the wrappers set.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
cat >loop.sh <<'SH'
n=0 s=0
while [[ ! -e $CONFORMANCE_DONE ]]; do
  n=$((n + 1)) s=$(((s * 31 + n) % 1000003))
  if ((n % 100 == 0)); then
    if flock -n lockfile true; then echo "FAIL: round $n: flock's lock is free"; exit 1; fi
    echo "at $n"
  fi
done
read -r -a stat </proc/$$/stat
echo "final $n $s $(nproc) ${stat[18]}"
SH
CMD='exec timeout 600 nohup nice -n 5 stdbuf -oL setsid taskset -c 0 flock lockfile \
  env -i PATH=/usr/bin:/bin CONFORMANCE_DONE="$CONFORMANCE_DONE" bash loop.sh'
READY='^at 200$'
check() {
  local n s cpus nice i t=0
  read -r _ n s cpus nice < <(grep '^final' "$out")
  [[ -n $n ]] || fail "job_wrappers: no final line: $(tail -n 2 "$out")"
  for ((i = 1; i <= n; i++)); do t=$(((t * 31 + i) % 1000003)); done
  [[ $s == "$t" ]] || fail "job_wrappers: sum $s after $n rounds, expected $t"
  [[ $cpus == 1 && $nice == 5 ]] || fail "job_wrappers: $cpus CPUs (expected 1), nice $nice (expected 5)"
}
