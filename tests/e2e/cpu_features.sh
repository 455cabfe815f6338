#!/usr/bin/env bash
# cpu_features.sh
#
# An image records its processor's model and feature flags, and a restart on a processor without
# an instruction-set extension the checkpointed one had is refused before anything starts. The
# "other node" is this one with the image's record changed as another processor would have
# written it: its flag ssse3 becomes sse4a (an AMD extension this Intel processor lacks; same
# length, checksums made again). Checked:
#  - dmtcp_inspect shows the processor's model and its flags;
#  - dmtcp_restart --verify and the restart script refuse, naming sse4a and both processors, and
#    no process starts;
#  - the restart script with --ignore-cpu-features restarts it, and the program ends with the
#    output of an uninterrupted run; the unchanged image restarts without the option.
. "$(dirname "$0")/lib.sh"
e2e_init cpu_features

flags=$(grep -m1 -E '^(flags|Features)[[:space:]]*:' /proc/cpuinfo | sed 's/^[^:]*: *//')
[[ -n $flags ]] || fail "no flags line in /proc/cpuinfo"
if ! grep -qw ssse3 <<<"$flags" || grep -qw sse4a <<<"$flags"; then
  [[ ${CI:-} == true ]] && fail "this processor does not have ssse3 without sse4a: the test cannot run"
  log "SKIP: this processor does not have ssse3 without sse4a"
  exit 0
fi

"$DMTCP_EXAMPLES/counter" 60 50 >"$T/native.txt" || fail "counter without dmtcp failed"
start_coordinator
start_bg PID "$T/run/out.txt" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" \
  -p "$PORT" "$DMTCP_EXAMPLES/counter" 60 50
wait_line "$T/run/out.txt" '^count 10 ' "" "$PID"
checkpoint_blocking
kill_program "$PID"
wait_peers 0
single_image 'ckpt_counter_*.dmtcp'
"$DMTCP_BIN/dmtcp_inspect" "$IMG" >"$T/inspect.txt" || fail "dmtcp_inspect failed"
model=$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^[^:]*: *//')
grep -qF "processor: $model (" "$T/inspect.txt" ||
  fail "dmtcp_inspect does not show the processor: $(grep processor "$T/inspect.txt")"

cp -p "$IMG" "$T/good.dmtcp"
# The processor record (type 18): its header, 40 bytes, ends 8 bytes before the model name.
"$PYTHON" - "$IMG" "$model" <<'EOF' || fail "cannot change the image's processor record"
import struct, sys, zlib
path, model = sys.argv[1], sys.argv[2].encode()
data = bytearray(open(path, "rb").read())
at = data.find(model)
info = at - 8
hdr = info - 40
rtype, codec, length, raw_len, aux, pcrc, hcrc = struct.unpack_from("<IIQQQII", data, hdr)
assert rtype == 18, rtype
payload = data[info:info + length]
i = payload.find(b" ssse3 ")
assert i > 0
payload[i:i + 7] = b" sse4a "
data[info:info + length] = payload
pcrc = zlib.crc32(bytes(payload))
struct.pack_into("<IIQQQI", data, hdr, rtype, codec, length, raw_len, aux, pcrc)
struct.pack_into("<I", data, hdr + 36, zlib.crc32(bytes(data[hdr:hdr + 36])))
open(path, "wb").write(data)
EOF

rc=0
"$DMTCP_BIN/dmtcp_restart" --verify "$IMG" >"$T/verify.out" 2>"$T/verify.err" || rc=$?
((rc != 0)) || fail "dmtcp_restart --verify accepted an image of a processor with sse4a"
grep -q "sse4a.*lacks" "$T/verify.err" || fail "--verify does not name sse4a: $(cat "$T/verify.err")"
restart_script
rc=0
"$RS" -h "$COORD_HOST" -p "$PORT" >"$T/refused.out" 2>"$T/refused.err" || rc=$?
((rc != 0)) || fail "the restart of an image of a processor with sse4a succeeded"
msg=$(cat "$T/refused.err")
grep -q "was checkpointed on a processor with sse4a, which this node's processor lacks" <<<"$msg" ||
  fail "the refusal does not name sse4a: $msg"
grep -qF "here: $model" <<<"$msg" || fail "the refusal does not name this processor: $msg"
grep -q -- "--ignore-cpu-features" <<<"$msg" || fail "the refusal does not name the way around: $msg"
[[ $(status_field NUM_PEERS) == 0 ]] || fail "a refused restart left processes"
log "refused: $msg"

start_bg PID "$T/restart.out" "$T/restart.err" "$RS" -h "$COORD_HOST" -p "$PORT" \
  --ignore-cpu-features
wait_exit "$PID" 90
assert_rc "$WAIT_RC" 0 "the restart with --ignore-cpu-features"
assert_same "$T/native.txt" "$T/run/out.txt" "the counter's output"

# The image as it was written restarts without the option.
cp -p "$T/good.dmtcp" "$IMG"
"$DMTCP_BIN/dmtcp_restart" --verify "$IMG" >"$T/verify2.out" 2>&1 ||
  fail "the unchanged image does not verify: $(cat "$T/verify2.out")"
log "PASS"
