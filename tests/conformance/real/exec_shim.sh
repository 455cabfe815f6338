# A program behind a pyenv-like exec shim: a script that sets up the environment and execs a
# second one, which execs python3 (the process becomes another program twice, under a
# coordinator started with --exit-on-last).
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
cat > shim <<'SH'
#!/bin/bash
export SHIM_LEVEL=1
exec bash "$(dirname "$0")/shim2" "$@"
SH
cat > shim2 <<'SH'
#!/bin/bash
[[ $SHIM_LEVEL == 1 ]] || exit 3
exec env SHIM_LEVEL=2 /usr/bin/python3 "$@"
SH
chmod +x shim shim2
cat > count.py <<'PY'
import os
n, s = 0, 0
while not os.path.exists(os.environ["CONFORMANCE_DONE"]):
    n += 1
    s += n * n
    if n % 100000 == 0:
        print("at", n, flush=True)
print("final", n, s, os.environ.get("SHIM_LEVEL"), flush=True)
PY
CMD='exec ./shim count.py'
READY='^at 100000$'
check() {
  local n s level
  read -r _ n s level < <(grep '^final' "$out")
  [[ -n $n ]] || fail "exec_shim: no final line: $(tail -n 2 "$out")"
  [[ $s == $((n * (n + 1) * (2 * n + 1) / 6)) && $level == 2 ]] || fail "exec_shim: $n $s $level"
}
