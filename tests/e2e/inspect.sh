#!/usr/bin/env bash
# inspect.sh
#
# dmtcp_inspect and dmtcp_restart --verify on real images of `counter`, once uncompressed and once
# with DMTCP_GZIP=1:
#   - dmtcp_inspect names the program and its virtual pid (the one dmtcp_command -l shows), lists
#     a [stack] area and the descriptor of its stdout file;
#   - --json parses, has as many areas as the human output and as the process record says, and
#     its raw and stored byte totals are the sums over the areas (raw > 0);
#   - dmtcp_restart --verify prints "ok" for the image and exits 0;
#   - a truncated copy and a copy with one byte flipped in the middle of a memory data record make
#     both commands exit 1 with a message naming that copy, while the good image given in the
#     same command line is still described / verified ok;
#   - --verify starts no process: the coordinator sees no peer, no counter runs, the program's
#     output file does not change.
. "$(dirname "$0")/lib.sh"
e2e_init inspect

INSPECT=$DMTCP_BIN/dmtcp_inspect
[[ -x $INSPECT ]] || fail "$INSPECT is not built"
N=400
DELAY=30

# Live `counter` processes of this test (by their environment tag), one pid per line.
our_counters() {
  local p
  e2e_our_pids "$COORD_PID"
  for p in "${E2E_OUR[@]}"; do
    [[ $(cat "/proc/$p/comm" 2>/dev/null) == counter ]] && printf '%s\n' "$p"
  done
}

# check_image GOOD TAG COMPRESSED VPID OUT  Every check above on the image GOOD of the counter
# with virtual pid VPID writing to OUT; COMPRESSED is "compressed" or "uncompressed"; TAG names
# the copies and output files.
check_image() {
  local good=$1 tag=$2 compressed=$3 vpid=$4 out=$5 bad=$T/bad-$2 rc n_human
  mkdir -p "$bad"

  # Human-readable output.
  rc=0
  "$INSPECT" "$good" >"$T/$tag.inspect.out" 2>"$T/$tag.inspect.err" || rc=$?
  assert_rc "$rc" 0 "dmtcp_inspect $tag"
  [[ ! -s $T/$tag.inspect.err ]] || fail "dmtcp_inspect $tag wrote on stderr"
  grep -Eq "^  process: counter, pid $vpid \(real pid [0-9]+\)" "$T/$tag.inspect.out" ||
    fail "dmtcp_inspect $tag does not name counter with pid $vpid"
  grep -Eq "^  file: format version [0-9]+, $compressed, $(stat -c %s "$good") bytes" \
    "$T/$tag.inspect.out" || fail "dmtcp_inspect $tag: wrong file line"
  grep -Eq '^    [0-9a-f]{16}-[0-9a-f]{16} rw-p stack .* \[stack\]$' "$T/$tag.inspect.out" ||
    fail "dmtcp_inspect $tag lists no [stack] area"
  grep -Fq "    fd 1: regular $out [w" "$T/$tag.inspect.out" ||
    fail "dmtcp_inspect $tag does not list stdout (fd 1) as $out"
  n_human=$(sed -n 's/^  memory areas (\([0-9]*\)):$/\1/p' "$T/$tag.inspect.out")
  [[ $n_human =~ ^[1-9][0-9]*$ ]] || fail "dmtcp_inspect $tag: no area count"
  (($(grep -Ec '^    [0-9a-f]{16}-[0-9a-f]{16} ' "$T/$tag.inspect.out") == n_human)) ||
    fail "dmtcp_inspect $tag: $n_human areas announced, a different number listed"
  log "$tag: dmtcp_inspect lists $n_human areas"

  # JSON: the same image, and where to flip a byte of memory data.
  rc=0
  "$INSPECT" --json "$good" >"$T/$tag.json" 2>"$T/$tag.json.err" || rc=$?
  assert_rc "$rc" 0 "dmtcp_inspect --json $tag"
  local flip_at
  flip_at=$("$PYTHON" - "$T/$tag.json" "$good" "$n_human" "$vpid" "$compressed" <<'PY'
import json, sys
path, good, n_human, vpid, compressed = sys.argv[1:]
doc = json.load(open(path))
assert isinstance(doc, list) and len(doc) == 1, "not one image"
img = doc[0]
assert img["path"] == good, img["path"]
p = img["process"]
assert p["program"] == "counter" and p["pid"] == int(vpid), p
areas = img["areas"]
assert len(areas) == int(n_human) == p["num_areas"], (len(areas), n_human, p["num_areas"])
raw = sum(a["raw_bytes"] for a in areas)
stored = sum(a["stored_bytes"] for a in areas)
assert raw > 0, "no memory saved"
t = img["totals"]
assert t["areas"] == len(areas) and t["raw_bytes"] == raw and t["stored_bytes"] == stored, t
assert img["file"]["compressed"] == (compressed == "compressed"), img["file"]
assert any(a["name"] == "[stack]" and a["kind"] == "stack" for a in areas)
assert any(f["fd"] == 1 and f["kind"] == "regular" for f in img["fds"]), img["fds"]
for a in areas:
    assert a["data_records"] == len(a["data"])
    assert a["raw_bytes"] == sum(d["raw_bytes"] for d in a["data"])
# The middle of the largest memory data record.
d = max((d for a in areas for d in a["data"]), key=lambda d: d["stored_bytes"])
print(d["file_offset"] + d["stored_bytes"] // 2)
PY
  ) || fail "dmtcp_inspect --json $tag: output not as expected: $(head -c 600 "$T/$tag.json")"
  log "$tag: JSON checked; flipping the byte at offset $flip_at"

  # Verify the good image.
  rc=0
  "$DMTCP_BIN/dmtcp_restart" --verify "$good" >"$T/$tag.verify.out" 2>"$T/$tag.verify.err" || rc=$?
  assert_rc "$rc" 0 "dmtcp_restart --verify $tag: $(cat "$T/$tag.verify.err")"
  grep -Eq "^$good: ok \(program counter, pid $vpid, generation [0-9]+, $n_human areas, [0-9.]+ MiB\)$" \
    "$T/$tag.verify.out" || fail "dmtcp_restart --verify $tag: no ok line: $(cat "$T/$tag.verify.out")"

  # Bad copies.
  local size truncated=$bad/ckpt_counter_truncated.dmtcp flipped=$bad/ckpt_counter_flipped.dmtcp
  size=$(stat -c %s "$good")
  head -c "$((size - size / 3))" "$good" >"$truncated"
  cp "$good" "$flipped"
  "$PYTHON" - "$flipped" "$flip_at" <<'PY' || fail "could not flip a byte"
import sys
path, at = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    f.seek(at)
    b = f.read(1)
    f.seek(at)
    f.write(bytes([b[0] ^ 0x5A]))
PY
  cmp -s "$good" "$flipped" && fail "flipped image equals the good one"

  local out_sum img
  out_sum=$(sha256sum <"$out")
  rc=0
  "$DMTCP_BIN/dmtcp_restart" --verify "$truncated" "$good" "$flipped" \
    >"$T/$tag.verify-bad.out" 2>"$T/$tag.verify-bad.err" || rc=$?
  assert_rc "$rc" 1 "dmtcp_restart --verify with bad images ($tag)"
  for img in "$truncated" "$flipped"; do
    grep -Fq "$img: " "$T/$tag.verify-bad.err" ||
      fail "--verify $tag: no message naming $img: $(cat "$T/$tag.verify-bad.err")"
    grep -Fq "$img" "$T/$tag.verify-bad.out" && fail "--verify $tag: $img reported on stdout"
  done
  grep -Fq "$truncated: truncated image" "$T/$tag.verify-bad.err" ||
    fail "--verify $tag: truncation not reported: $(cat "$T/$tag.verify-bad.err")"
  grep -Fq "$flipped: corrupt image (checksum mismatch" "$T/$tag.verify-bad.err" ||
    fail "--verify $tag: flipped byte not reported: $(cat "$T/$tag.verify-bad.err")"
  { [[ $(wc -l <"$T/$tag.verify-bad.out") -eq 1 ]] && grep -Fq "$good: ok (" "$T/$tag.verify-bad.out"; } ||
    fail "--verify $tag: the good image is not the one ok line: $(cat "$T/$tag.verify-bad.out")"
  log "$tag: --verify: $(tr '\n' ' ' <"$T/$tag.verify-bad.err")"

  rc=0
  "$INSPECT" "$truncated" "$good" "$flipped" >"$T/$tag.inspect-bad.out" \
    2>"$T/$tag.inspect-bad.err" || rc=$?
  assert_rc "$rc" 1 "dmtcp_inspect with bad images ($tag)"
  for img in "$truncated" "$flipped"; do
    grep -Fq "dmtcp_inspect: $img: " "$T/$tag.inspect-bad.err" ||
      fail "dmtcp_inspect $tag: no message naming $img: $(cat "$T/$tag.inspect-bad.err")"
    grep -Fq "$img" "$T/$tag.inspect-bad.out" && fail "dmtcp_inspect $tag: $img described on stdout"
  done
  [[ $(head -n 1 "$T/$tag.inspect-bad.out") == "$good" ]] ||
    fail "dmtcp_inspect $tag: the good image is not described among the bad ones"
  cmp -s "$T/$tag.inspect.out" "$T/$tag.inspect-bad.out" ||
    fail "dmtcp_inspect $tag: the good image's description differs next to bad ones"

  rc=0
  "$INSPECT" --json "$truncated" "$good" "$flipped" >"$T/$tag.json-bad" \
    2>"$T/$tag.json-bad.err" || rc=$?
  assert_rc "$rc" 1 "dmtcp_inspect --json with bad images ($tag)"
  "$PYTHON" - "$T/$tag.json-bad" "$truncated" "$good" "$flipped" <<'PY' ||
import json, sys
path, truncated, good, flipped = sys.argv[1:]
doc = json.load(open(path))
assert [d["path"] for d in doc] == [truncated, good, flipped], doc
assert "truncated image" in doc[0]["error"] and "areas" not in doc[0], doc[0]
assert "error" not in doc[1] and len(doc[1]["areas"]) > 0
assert "checksum mismatch" in doc[2]["error"], doc[2]
PY
    fail "dmtcp_inspect --json $tag with bad images: $(head -c 300 "$T/$tag.json-bad")"

  # Nothing was started: no peer joined, the program's output did not move, no counter runs.
  [[ -z $(our_counters) ]] || fail "a counter process runs after --verify ($tag)"
  [[ $(status_field NUM_PEERS) == 0 ]] || fail "a process joined the coordinator during --verify"
  [[ $(sha256sum <"$out") == "$out_sum" ]] || fail "--verify changed the program's output file"
}

start_coordinator
for mode in raw gzip; do
  out=$T/run/out-$mode.txt
  if [[ $mode == gzip ]]; then
    compressed=compressed
    DMTCP_GZIP=1 start_bg LPID "$out" "$T/launch-$mode.err" "$DMTCP_BIN/dmtcp_launch" \
      -h "$COORD_HOST" -p "$PORT" --join "$DMTCP_EXAMPLES/counter" "$N" "$DELAY"
  else
    compressed=uncompressed
    DMTCP_GZIP=0 start_bg LPID "$out" "$T/launch-$mode.err" "$DMTCP_BIN/dmtcp_launch" \
      -h "$COORD_HOST" -p "$PORT" --join "$DMTCP_EXAMPLES/counter" "$N" "$DELAY"
  fi
  wait_line "$out" '^count 10 ' "" "$LPID"
  wait_peers 1
  # The virtual pid the program sees: the image must name this one.
  vpid=$(dc -l 2>>"$T/command.err" | grep -Eo 'counter[^0-9]*[0-9]+' | grep -Eo '[0-9]+$' | head -n 1)
  checkpoint_blocking
  single_image 'ckpt_counter_*.dmtcp'
  good=$T/ckpt_counter_$mode.dmtcp
  mv "$IMG" "$good" || fail "cannot move $IMG"
  kill_program "$LPID"
  wait_peers 0
  log "$mode: image $good ($(stat -c %s "$good") bytes), counter pid $vpid"
  [[ -n $vpid ]] || fail "dmtcp_command -l names no counter pid: $(dc -l 2>&1)"
  check_image "$good" "$mode" "$compressed" "$vpid" "$out"
done

# --verify contacts no coordinator: it succeeds with a port where nothing listens (a restart with
# --join would fail there), and with --new-coordinator it starts none (no port file appears).
good=$T/ckpt_counter_raw.dmtcp
rc=0
"$DMTCP_BIN/dmtcp_restart" --verify -h "$COORD_HOST" -p "$(dead_port)" --join "$good" \
  >"$T/verify-dead.out" 2>"$T/verify-dead.err" || rc=$?
assert_rc "$rc" 0 "dmtcp_restart --verify --join to a dead port: $(cat "$T/verify-dead.err")"
rc=0
"$DMTCP_BIN/dmtcp_restart" --verify --new-coordinator --port 0 --port-file "$T/verify.port" \
  "$good" >"$T/verify-new.out" 2>"$T/verify-new.err" || rc=$?
assert_rc "$rc" 0 "dmtcp_restart --verify --new-coordinator: $(cat "$T/verify-new.err")"
[[ ! -e $T/verify.port ]] || fail "dmtcp_restart --verify --new-coordinator started a coordinator"
e2e_our_pids "$COORD_PID"
((${#E2E_OUR[@]} == 0)) || fail "processes left after --verify: ${E2E_OUR[*]}"

# Names are bytes: quotes, a backslash, a tab, a newline, a byte that is not UTF-8 (0xff) and
# one that is (é) come out escaped, in valid JSON and on one line of the human output.
weird=$T/$'ckpt_"q\\b\t\n\xff\xc3\xa9.dmtcp'
cp "$good" "$weird" || fail "cannot copy $good to a strange name"
rc=0
"$INSPECT" --json "$weird" "$weird.missing" >"$T/weird.json" 2>"$T/weird.err" || rc=$?
assert_rc "$rc" 1 "dmtcp_inspect --json with a strange name and a missing file"
"$PYTHON" - "$T/weird.json" "$T" <<'PY' || fail "dmtcp_inspect --json: strange name: $(head -c 300 "$T/weird.json")"
import json, sys
doc = json.load(open(sys.argv[1]))
want = sys.argv[2] + '/ckpt_"q\\b\t\n\u00ff\u00e9.dmtcp'
assert doc[0]["path"] == want, (doc[0]["path"], want)
assert doc[0]["process"]["program"] == "counter"
assert doc[1]["path"] == want + ".missing" and "cannot open" in doc[1]["error"], doc[1]
PY
rc=0
"$INSPECT" "$weird" >"$T/weird.out" 2>"$T/weird.err" || rc=$?
assert_rc "$rc" 0 "dmtcp_inspect with a strange name"
[[ $(head -n 1 "$T/weird.out") == "$T/ckpt_\"q\\\\b\\x09\\x0a\\xff"$'\xc3\xa9'.dmtcp ]] ||
  fail "dmtcp_inspect: strange name printed as $(head -n 1 "$T/weird.out")"

# Both images together: each described, the totals line once per image.
rc=0
"$INSPECT" "$T/ckpt_counter_raw.dmtcp" "$T/ckpt_counter_gzip.dmtcp" >"$T/both.out" 2>&1 || rc=$?
assert_rc "$rc" 0 "dmtcp_inspect with two images"
(($(grep -c '^  totals: ' "$T/both.out") == 2)) || fail "dmtcp_inspect with two images: not two totals"
# Images of two checkpoints (here two computations) are refused together, by --verify and by a
# restart, before anything starts: a cut-short commit must not mix generations unnoticed.
for cmd in --verify --join; do
  rc=0
  "$DMTCP_BIN/dmtcp_restart" "$cmd" -h "$COORD_HOST" -p "$PORT" "$T/ckpt_counter_raw.dmtcp" \
    "$T/ckpt_counter_gzip.dmtcp" >"$T/mixed.out" 2>"$T/mixed.err" || rc=$?
  ((rc != 0)) || fail "dmtcp_restart $cmd accepted images of two checkpoints"
  grep -q 'different checkpoints' "$T/mixed.err" ||
    fail "dmtcp_restart $cmd with two checkpoints: $(cat "$T/mixed.err")"
done
[[ $(status_field NUM_PEERS) == 0 ]] || fail "a process of mixed images joined the coordinator"
# Wrong options fail with a message and no output.
rc=0
"$INSPECT" --no-such-option "$T/ckpt_counter_raw.dmtcp" >"$T/opt.out" 2>"$T/opt.err" || rc=$?
((rc != 0)) || fail "dmtcp_inspect accepted an unknown option"
[[ ! -s $T/opt.out && -s $T/opt.err ]] || fail "dmtcp_inspect with an unknown option: output"
rc=0
"$INSPECT" >"$T/opt.out" 2>"$T/opt.err" || rc=$?
((rc != 0)) || fail "dmtcp_inspect without images succeeded"
