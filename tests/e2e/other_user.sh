#!/usr/bin/env bash
# other_user.sh  Another local user can neither command, join nor read a user's computation.
#
# This user (root in CI) runs `counter` under a coordinator and checkpoints it. A second local
# user, created here with useradd, then tries, with the commands a user types:
#   - dmtcp_command -s / -l / -c / -k / -q without the secret, with a guessed secret, and with
#     DMTCP_COORD_SECRET_FILE pointing at the owner's secret file (which it cannot read);
#   - dmtcp_launch --join of a program into the computation (the program must never run);
#   - dmtcp_restart --join of the owner's image, dmtcp_inspect and cat of it (mode 0600);
#   - a hand-written Hello whose proof is not the secret's (refused with a message).
# Every attempt must fail with a message; the coordinator's log must name the refusals; and the
# owner's computation must be untouched: one process, no new checkpoint, and its output equal
# to an uninterrupted run's.
. "$(dirname "$0")/lib.sh"
e2e_init other_user

other=dmtcp-e2e-other
if ((EUID != 0)); then
  log "SKIP: creating a second user needs root (CI runs the tests as root)"
  exit 77
fi
if ! id "$other" >/dev/null 2>&1; then
  useradd --system --no-create-home --home-dir / --shell /usr/sbin/nologin "$other" ||
    fail "useradd $other failed"
fi
ouid=$(id -u "$other")
ogid=$(id -g "$other")
# Only the images' own mode protects them: their folders are open to everyone.
chmod 755 "$T" "$CKPT" "$T/run"
mkdir -p "$T/other" && chown "$other:" "$T/other"

N=250
DELAY=30
out=$T/run/out.txt
"$DMTCP_EXAMPLES/counter" "$N" 0 >"$T/native.txt" || fail "counter without dmtcp failed"
start_coordinator
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$DMTCP_EXAMPLES/counter" "$N" "$DELAY"
wait_line "$out" '^count 20 ' "" "$PID"
wait_peers 1
checkpoint_blocking
single_image 'ckpt_counter_*.dmtcp'
[[ $(stat -c %a "$IMG") == 600 ]] || fail "the image is mode $(stat -c %a "$IMG"), not 600"
before=$(cd "$CKPT" && sha256sum ckpt_* dmtcp_restart_script.sh)
secret_file=$(find "$T/tmp" -name "coord-$PORT.secret")
[[ -f $secret_file ]] || fail "no secret file of the coordinator in $T/tmp"

# as_other NAME CMD...  Runs CMD as the other user, in its own folder and temporary folder;
# records its exit code in $T/other/NAME.rc and its output in $T/other/NAME.out.
as_other() {
  local name=$1 rc=0
  shift
  (cd "$T/other" && timeout 20 setpriv --reuid "$ouid" --regid "$ogid" --clear-groups \
    env HOME=/ DMTCP_TMPDIR="$T/other" "$@") >"$T/other/$name.out" 2>&1 || rc=$?
  echo "$rc" >"$T/other/$name.rc"
  log "as $other: $name: exit $rc: $(head -c 300 "$T/other/$name.out" | tr '\n' ' ')"
  ((rc != 0 && rc != 124)) || fail "$name as $other: exit $rc (must fail, and not by timing out)"
  [[ -s $T/other/$name.out ]] || fail "$name as $other failed without a message"
}

guess=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
cmd=("$DMTCP_BIN/dmtcp_command" -h "$COORD_HOST" -p "$PORT")
for c in s l c k q; do
  as_other "nosecret-$c" "${cmd[@]}" "-$c"
  as_other "guessed-$c" env DMTCP_COORD_SECRET="$guess" "${cmd[@]}" "-$c"
done
grep -qi 'secret' "$T/other/nosecret-s.out" || fail "no mention of the secret: $(cat "$T/other/nosecret-s.out")"
grep -qi 'wrong secret\|another user' "$T/other/guessed-k.out" ||
  fail "a wrong secret is not named: $(cat "$T/other/guessed-k.out")"
as_other secretfile env DMTCP_COORD_SECRET_FILE="$secret_file" "${cmd[@]}" -k
as_other join env DMTCP_COORD_SECRET="$guess" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" \
  -p "$PORT" --join sh -c "echo ran >'$T/other/ran'"
[[ ! -e $T/other/ran ]] || fail "a program of $other ran inside the computation"
as_other restart "$DMTCP_BIN/dmtcp_restart" -h "$COORD_HOST" -p "$PORT" --join "$IMG"
grep -Fq "$IMG" "$T/other/restart.out" || fail "dmtcp_restart does not name the image"
as_other inspect "$DMTCP_BIN/dmtcp_inspect" "$IMG"
as_other cat cat "$IMG"
as_other hello "$PYTHON" - "$PORT" <<'PYEOF'
import os, socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
def frame():
    h = b""
    while len(h) < 16:
        d = s.recv(16 - len(h))
        if not d: sys.exit("closed")
        h += d
    magic, version, typ, length, _ = struct.unpack("<IHHII", h)
    body = b""
    while len(body) < length:
        body += s.recv(length - len(body))
    return typ, body
typ, challenge = frame()
assert typ == 3, typ
hello = struct.pack("<II32s32s64s64s64siiIIQ", 2, 0, os.urandom(32), os.urandom(32), b"x",
                    b"intruder", b"", os.getpid(), 1, 0, 0, 0)
s.sendall(struct.pack("<IHHII", 0x43544D44, 2, 1, len(hello), 0) + hello)
typ, reply = frame()
status, = struct.unpack_from("<i", reply)
msg = reply[-256:].split(b"\0")[0].decode()
print("status", status, msg)
sys.exit(1 if status != 0 else 0)
PYEOF
grep -q '^status 1 wrong secret' "$T/other/hello.out" ||
  fail "a wrong proof is not answered 'wrong secret': $(cat "$T/other/hello.out")"

# The owner's side: the refusals are logged (5 guessed commands, the launch, the hand-written
# Hello; without a secret the commands do not even connect), and nothing changed.
(($(grep -c 'wrong secret' "$T/coord.log") == 7)) ||
  fail "the coordinator's log does not name the refusals: $(grep -c 'wrong secret' "$T/coord.log")"
[[ $(status_field NUM_PEERS) == 1 ]] || fail "the computation's processes changed"
after=$(cd "$CKPT" && sha256sum ckpt_* dmtcp_restart_script.sh)
[[ $before == "$after" ]] || fail "the images or the restart script changed"
wait_exit "$PID" 60
assert_rc "$WAIT_RC" 0 "counter"
assert_same "$T/native.txt" "$out" "counter output"
