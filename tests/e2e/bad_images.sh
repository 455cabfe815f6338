#!/usr/bin/env bash
# bad_images.sh
#
# dmtcp_restart given a bad image: truncated to half, one byte flipped in the middle, empty, a
# text file that is not an image (/etc/passwd), a path that does not exist. Each must, within 20
# s, exit with DMTCP_FAIL_RC (99 by default, 42 when DMTCP_FAIL_RC=42), print a message on stderr
# naming the file, not crash (no exit code >= 128), leave no process joined to the coordinator, and
# change nothing (the program's output file is untouched). Finally the good image, from which the
# bad ones were made, restarts and finishes with exactly the uninterrupted output: the failures are
# due to the images, not to a restart that never works.
. "$(dirname "$0")/lib.sh"
e2e_init bad-images

N=200
DELAY=30
out=$T/run/out.txt
expected=$T/expected.txt
bad=$T/bad
mkdir -p "$bad"

"$DMTCP_EXAMPLES/counter" "$N" 0 >"$expected" || fail "counter without dmtcp failed"

start_coordinator
start_bg LPID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$DMTCP_EXAMPLES/counter" "$N" "$DELAY"
wait_line "$out" '^count 20 ' "" "$LPID"
wait_peers 1
checkpoint_blocking
single_image 'ckpt_counter_*.dmtcp'
good=$IMG
kill_program "$LPID"
wait_peers 0
size=$(stat -c %s "$good")
((size > 0)) || fail "image $good is empty"
log "good image $good, $size bytes"

head -c "$((size / 2))" "$good" >"$bad/ckpt_counter_truncated.dmtcp"
cp "$good" "$bad/ckpt_counter_flipped.dmtcp"
"$PYTHON" - "$bad/ckpt_counter_flipped.dmtcp" <<'PY' || fail "could not flip a byte"
import os, sys
path = sys.argv[1]
size = os.path.getsize(path)
with open(path, "r+b") as f:
    f.seek(size // 2)
    b = f.read(1)
    f.seek(size // 2)
    f.write(bytes([b[0] ^ 0xFF]))
PY
cmp -s "$good" "$bad/ckpt_counter_flipped.dmtcp" && fail "flipped image equals the good one"
: >"$bad/ckpt_counter_empty.dmtcp"
cp /etc/passwd "$bad/ckpt_counter_passwd.dmtcp"
missing=$bad/ckpt_counter_does_not_exist.dmtcp

out_sum=$(sha256sum <"$out")
for img in "$bad/ckpt_counter_truncated.dmtcp" "$bad/ckpt_counter_flipped.dmtcp" \
  "$bad/ckpt_counter_empty.dmtcp" "$bad/ckpt_counter_passwd.dmtcp" "$missing"; do
  name=$(basename "$img")
  for want in 99 42; do
    rc=0
    if ((want == 99)); then
      timeout 20 "$DMTCP_BIN/dmtcp_restart" -h "$COORD_HOST" -p "$PORT" --join "$img" \
        >"$T/r.out" 2>"$T/r.err" </dev/null || rc=$?
    else
      DMTCP_FAIL_RC=42 timeout 20 "$DMTCP_BIN/dmtcp_restart" -h "$COORD_HOST" -p "$PORT" \
        --join "$img" >"$T/r.out" 2>"$T/r.err" </dev/null || rc=$?
    fi
    ((rc != 124)) || fail "dmtcp_restart $name did not finish within 20 s"
    ((rc < 128)) || fail "dmtcp_restart $name crashed (exit $rc): $(tail -n 5 "$T/r.err")"
    assert_rc "$rc" "$want" "dmtcp_restart $name (DMTCP_FAIL_RC=${want/99/unset})"
    grep -qF "$name" "$T/r.err" ||
      fail "dmtcp_restart $name: stderr does not name the file: $(tail -n 5 "$T/r.err")"
    log "$name -> $rc: $(head -n 1 "$T/r.err")"
    wait_peers 0 10
  done
done
[[ $(sha256sum <"$out") == "$out_sum" ]] || fail "a failed restart changed the program's output file"

# The good image still restarts.
start_bg RPID "$T/restart.out" "$T/restart.err" "$DMTCP_BIN/dmtcp_restart" \
  -h "$COORD_HOST" -p "$PORT" --join "$good"
wait_exit "$RPID" 90
assert_rc "$WAIT_RC" 0 "restart from the good image"
assert_same "$expected" "$out" "stdout file after restart from the good image"
