# python3 threads: 4 threads add to shared counters under a lock and pass items through a
# queue; the totals must add up.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
cat > threads.py <<'PY'
import os, queue, threading
done = os.environ["CONFORMANCE_DONE"]
lock = threading.Lock()
total = [0, 0]
q = queue.Queue(maxsize=100)
def producer(k):
    i = 0
    while not os.path.exists(done):
        i += 1
        with lock:
            total[0] += k
        q.put(k)
    q.put(None)
def consumer():
    ends = 0
    while ends < 2:
        v = q.get()
        if v is None:
            ends += 1
            continue
        with lock:
            total[1] += v
ts = [threading.Thread(target=producer, args=(k,)) for k in (1, 2)]
ts.append(threading.Thread(target=consumer))
for t in ts:
    t.start()
print("ready", flush=True)
for t in ts:
    t.join()
print("added", total[0], "received", total[1], "ok" if total[0] == total[1] and total[0] > 0 else "WRONG", flush=True)
PY
CMD='exec /usr/bin/python3 threads.py'
READY='^ready$'
check() { grep -qE '^added [0-9]+ received [0-9]+ ok$' "$out" || fail "python_threads: $(tail -n 2 "$out")"; }
