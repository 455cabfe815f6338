# python3 asyncio running child processes, several at a time, watched through pidfds (asyncio's
# PidfdChildWatcher, the default from Python 3.12): each child's output and exit code checked,
# rounds on end.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
cat > children.py <<'PY'
import asyncio, os

async def one(k):
    p = await asyncio.create_subprocess_exec(
        "/bin/sh", "-c", f"echo $(( {k} * {k} )); sleep 0.05; exit {k % 5}",
        stdout=asyncio.subprocess.PIPE)
    text, _ = await p.communicate()
    return int(text) == k * k and p.returncode == k % 5

async def main():
    n = 0
    while not os.path.exists(os.environ["CONFORMANCE_DONE"]):
        got = await asyncio.gather(*(one(k) for k in range(6)))
        n += 1
        print("round", n, "ok" if all(got) else "WRONG", flush=True)
    print("rounds", n, flush=True)

watcher = asyncio.PidfdChildWatcher()
asyncio.set_child_watcher(watcher)
asyncio.run(main())
PY
CMD='exec /usr/bin/python3 -W ignore::DeprecationWarning children.py'
READY='^round 3 '
check() {
  ! grep -q WRONG "$out" || fail "python_asyncio: a child's output or exit code was wrong"
  grep -qE '^rounds [0-9]+$' "$out" || fail "python_asyncio did not end: $(tail -n 2 "$out")"
}
