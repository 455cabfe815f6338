#!/usr/bin/env bash
# cpu_features.sh
#
# An image records its processor's model and feature flags, and a restart on a processor without
# an instruction-set extension the checkpointed one had is refused before anything starts. The
# "other node" is this one with the image's record changed as another processor would have
# written it: a flag of this processor that stands for instructions becomes one of the same
# length that this processor lacks (on Intel ssse3 becomes sse4a, an AMD extension; on an AMD EPYC,
# fsgsbase becomes amx_bf16), checksums made again. Checked:
#  - dmtcp_inspect shows the processor's model and its flags;
#  - dmtcp_restart --verify and the restart script refuse, naming that flag and both processors, and
#    no process starts;
#  - the restart script with --ignore-cpu-features restarts it, and the program ends with the
#    output of an uninterrupted run; the unchanged image restarts without the option.
. "$(dirname "$0")/lib.sh"
e2e_init cpu_features

read -r have lack < <(cpu_flag_pair)
if [[ -z ${lack:-} ]]; then
  [[ ${CI:-} == true ]] && fail "no pair of x86 instruction-set flags to swap on this processor: the test cannot run"
  log "SKIP: no pair of x86 instruction-set flags to swap on this processor"
  exit 0
fi
log "the image's $have becomes $lack"

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
swap_cpu_flag "$IMG" "$have" "$lack"

rc=0
"$DMTCP_BIN/dmtcp_restart" --verify "$IMG" >"$T/verify.out" 2>"$T/verify.err" || rc=$?
((rc != 0)) || fail "dmtcp_restart --verify accepted an image of a processor with $lack"
grep -q "$lack.*lacks" "$T/verify.err" || fail "--verify does not name $lack: $(cat "$T/verify.err")"
restart_script
rc=0
"$RS" -h "$COORD_HOST" -p "$PORT" >"$T/refused.out" 2>"$T/refused.err" || rc=$?
((rc != 0)) || fail "the restart of an image of a processor with $lack succeeded"
msg=$(cat "$T/refused.err")
grep -q "was checkpointed on a processor with $lack, which this node's processor lacks" <<<"$msg" ||
  fail "the refusal does not name $lack: $msg"
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
