#!/usr/bin/python3
"""loop.py [N] [delay_ms]

A Python loop that carries state (a dict, a list and a running SHA-256) and prints one line per
step: "step i keys h". The output depends only on N, so a checkpointed and restarted run must
print exactly what an uninterrupted run prints. Run it with Debian's /usr/bin/python3.
"""
import hashlib
import sys
import time


def main(argv):
    n = int(argv[1]) if len(argv) > 1 else 60
    delay_ms = int(argv[2]) if len(argv) > 2 else 500
    table = {}
    history = []
    h = hashlib.sha256()
    for i in range(1, n + 1):
        key = "k%d" % (i % 37)
        table[key] = table.get(key, 0) * 3 + i
        history.append(i * i % 1009)
        h.update(("%d:%d:%d;" % (i, table[key], sum(history))).encode())
        print("step %d %d %s" % (i, len(table), h.hexdigest()[:16]), flush=True)
        if i < n and delay_ms > 0:
            time.sleep(delay_ms / 1000.0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
