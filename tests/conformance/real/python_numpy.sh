# python3 with numpy: an array of a million numbers transformed step by step; at the end the
# program recomputes the same number of steps from scratch and compares the two.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
cat > numpy_steps.py <<'PY'
import os, sys
import numpy as np
def step(x):
    return (x * 3 + 1) % 1000003
x = np.arange(1_000_000, dtype=np.int64)
n = 0
while not os.path.exists(os.environ["CONFORMANCE_DONE"]):
    x = step(x)
    n += 1
    if n == 20:
        print("ready", flush=True)
y = np.arange(1_000_000, dtype=np.int64)
for _ in range(n):
    y = step(y)
print("steps", n, "equal" if np.array_equal(x, y) else "DIFFERENT", flush=True)
PY
CMD='exec /usr/bin/python3 numpy_steps.py'
READY='^ready$'
check() { grep -qE '^steps [0-9]+ equal$' "$out" || fail "python_numpy: $(tail -n 2 "$out")"; }
