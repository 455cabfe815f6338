# python3 (ctypes on libc's mq_* calls, as programs without a binding use them) and its
# multiprocessing: a producer process sends numbered messages with priorities 0-3 through a POSIX
# message queue as fast as it takes them, a consumer process receives them; each checks a
# running checksum, and at the end the consumer must have received exactly what was sent.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
cat > mqueue.py <<'PY'
import ctypes, multiprocessing as mp, os, sys

libc = ctypes.CDLL(None, use_errno=True)
class Attr(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_long), ("maxmsg", ctypes.c_long),
                ("msgsize", ctypes.c_long), ("curmsgs", ctypes.c_long),
                ("pad", ctypes.c_long * 4)]
libc.mq_open.restype = ctypes.c_int
libc.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.POINTER(Attr)]
libc.mq_send.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint]
libc.mq_receive.restype = ctypes.c_ssize_t
libc.mq_receive.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t,
                            ctypes.POINTER(ctypes.c_uint)]
NAME = f"/python-mq-{os.getpid()}".encode()
DONE = os.environ["CONFORMANCE_DONE"]

def check(r, what):
    if r < 0:
        print("WRONG", what, os.strerror(ctypes.get_errno()), flush=True)
        sys.exit(1)
    return r

def produce():
    q = check(libc.mq_open(NAME, os.O_WRONLY, 0, None), "mq_open")
    n = total = 0
    while not os.path.exists(DONE):
        text = f"{n} {n * 7919 % 1000003}".encode()
        check(libc.mq_send(q, text, len(text), n % 4), "mq_send")
        total = (total * 31 + n) % (1 << 61)
        n += 1
    end = f"end {n} {total}".encode()
    check(libc.mq_send(q, end, len(end), 0), "mq_send end")

def consume():
    q = check(libc.mq_open(NAME, os.O_RDONLY, 0, None), "mq_open")
    buf = ctypes.create_string_buffer(256)
    prio = ctypes.c_uint()
    got = set()
    while True:
        k = check(libc.mq_receive(q, buf, 256, ctypes.byref(prio)), "mq_receive")
        words = buf.raw[:k].decode().split()
        if words[0] == "end":
            sent, total = int(words[1]), int(words[2])
            mine = 0
            for n in range(sent):
                mine = (mine * 31 + n) % (1 << 61)
            ok = len(got) == sent and got == set(range(sent)) and mine == total
            print("received", len(got), "of", sent, "ok" if ok else "WRONG", flush=True)
            sys.exit(0 if ok else 1)
        n = int(words[0])
        if int(words[1]) != n * 7919 % 1000003 or prio.value != n % 4 or n in got:
            print("WRONG message", words, prio.value, flush=True)
            sys.exit(1)
        got.add(n)
        if len(got) % 20000 == 0:
            print("received", len(got), flush=True)

attr = Attr(0, 10, 256, 0)
q = check(libc.mq_open(NAME, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600, ctypes.byref(attr)), "create")
ps = [mp.Process(target=produce), mp.Process(target=consume)]
for p in ps:
    p.start()
for p in ps:
    p.join()
libc.mq_unlink(NAME)
print("exit codes", [p.exitcode for p in ps], flush=True)
PY
CMD='exec /usr/bin/python3 mqueue.py'
READY='^received 20000$'
check() {
  ! grep -q WRONG "$out" || fail "python_mqueue: $(grep WRONG "$out" | head -n 2)"
  grep -qE '^received [0-9]+ of [0-9]+ ok$' "$out" || fail "python_mqueue: no verdict: $(tail -n 2 "$out")"
  grep -qxF 'exit codes [0, 0]' "$out" || fail "python_mqueue: $(tail -n 1 "$out")"
}
