# python3 multiprocessing: a pool of 2 worker processes (fork, pipes, semaphores in /dev/shm)
# mapping a function over chunks, again and again; each result is checked.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
cat > pool.py <<'PY'
import os, multiprocessing as mp
def work(k):
    return sum(i * i % 7919 for i in range(k * 1000, k * 1000 + 20000))
if __name__ == "__main__":
    expect = [work(k) for k in range(16)]
    n = 0
    with mp.Pool(2) as pool:
        while not os.path.exists(os.environ["CONFORMANCE_DONE"]):
            got = pool.map(work, range(16))
            n += 1
            print("round", n, "ok" if got == expect else "WRONG", flush=True)
    print("rounds", n, flush=True)
PY
CMD='exec /usr/bin/python3 pool.py'
READY='^round 1 '
check() {
  ! grep -q WRONG "$out" || fail "python_multiprocessing: a pool result was wrong"
  grep -qE '^rounds [0-9]+$' "$out" || fail "python_multiprocessing did not end: $(tail -n 2 "$out")"
}
export E2E_FORKED_IN_PLACE=1  # its semaphores live in shared memory: see README (forked checkpoints)
