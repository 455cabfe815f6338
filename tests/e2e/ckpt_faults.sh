#!/usr/bin/env bash
# ckpt_faults.sh MODE  A fault in the middle of a checkpoint never costs the previous one.
#
# A parent and 3 workers joined by pipes (examples/workers) are checkpointed once (generation 1).
# Then a second checkpoint meets a fault:
#   enospc            the checkpoint folder, a small tmpfs, is filled up to half the size of
#                     generation 1's images before it;
#   kill_process      one process is killed with SIGKILL while the others have written their new
#                     images and wait for the verdict (a test plugin holds it in the write step);
#   kill_coordinator  the coordinator is killed with SIGKILL at the same point;
#   readonly          the checkpoint folder is made read-only before it;
#   rename            one process's image of generation 1 is made immutable (chattr +i) before
#                     it: every image is written, but that one cannot be put in place, so the
#                     others must take theirs back (no generation mixed of 1 and 2).
# In every case: the command (or the coordinator's log) names the cause, the surviving processes
# keep running, generation 1's images and restart script are untouched byte for byte, no
# temporary image is left, and a restart from the restart script continues to the same output as
# an uninterrupted run.
. "$(dirname "$0")/lib.sh"
mode=${1:?usage: ckpt_faults.sh enospc|kill_process|kill_coordinator|readonly|rename}

# The tmpfs is mounted in a mount namespace of this test (as root, or as a user through a user
# namespace), so that nothing outlives it; the same for root's read-only bind mount (root writes
# through permission bits: a read-only mount is the real thing). Before e2e_init, which the
# namespaced run does.
if [[ -z ${E2E_IN_NS:-} ]] && [[ $mode == enospc || ($mode == readonly && $EUID == 0) ]]; then
  ns=(unshare --mount --propagation private)
  ((EUID == 0)) || ns=(unshare --user --map-root-user --mount --propagation private)
  E2E_IN_NS=1 exec "${ns[@]}" bash "$0" "$@"
fi
e2e_init "ckpt_faults_$mode"

if [[ $mode == enospc ]]; then
  mount -t tmpfs -o size=64m,mode=0700 dmtcp-test "$CKPT" || fail "cannot mount a tmpfs on $CKPT"
  on_exit 'umount "$CKPT"' # else $T cannot be removed
fi

args=(3 200 40)
"$DMTCP_EXAMPLES/workers" "${args[@]}" >"$T/native.txt" || fail "workers without dmtcp failed"

stall=$T/stall
mkdir -p "$stall"
out=$T/run/out.txt
start_coordinator
DMTCP_STALL_DIR=$stall start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" \
  -h "$COORD_HOST" -p "$PORT" --join --with-plugin "$DMTCP_TEST_PLUGINS/stall_plugin.so" \
  "$DMTCP_EXAMPLES/workers" "${args[@]}"
wait_line "$out" '^worker 2 step 10 ' "" "$PID"
wait_peers 4
checkpoint_blocking

# Generation 1, as it must stay.
snapshot() { (cd "$CKPT" && find . -maxdepth 1 -type f -printf '%f\n' | sort | xargs sha256sum); }
snapshot >"$T/gen1.sums"
grep -q 'ckpt_workers_.*\.dmtcp$' "$T/gen1.sums" || fail "no images after the first checkpoint"
log "generation 1: $(wc -l <"$T/gen1.sums") files"

# The second checkpoint, and its fault.
expect_cause=""
case $mode in
  enospc)
    # Room for half of generation 1's images: the disk fills up in the middle of the next.
    avail=$(df --output=avail -B1 "$CKPT" | tail -n 1)
    half=$(($(cat "$CKPT"/ckpt_*.dmtcp | wc -c) / 2))
    fallocate -l $((avail - half)) "$CKPT/.filler" || fail "cannot fill $CKPT"
    log "free in $CKPT: $(df --output=avail -B1 "$CKPT" | tail -n 1) bytes"
    expect_cause="No space left on device"
    ;;
  readonly)
    if ((EUID == 0)); then
      on_exit 'umount "$CKPT"' # if the test fails before it does
      mount --bind "$CKPT" "$CKPT" && mount -o remount,bind,ro "$CKPT" ||
        fail "cannot make $CKPT read-only"
    else
      chmod a-w "$CKPT"
    fi
    expect_cause="Read-only file system|Permission denied"
    ;;
  rename)
    victim_image=$(find "$CKPT" -maxdepth 1 -name 'ckpt_workers_*.dmtcp' | sort | tail -n 1)
    chattr +i "$victim_image" || fail "cannot make $victim_image immutable (chattr +i needs root)"
    on_exit 'chattr -i "$victim_image"'
    log "made $(basename "$victim_image") immutable"
    expect_cause="Operation not permitted"
    ;;
  kill_process | kill_coordinator)
    touch "$stall/arm"
    ;;
esac

case $mode in
  enospc | readonly | rename)
    rc=0
    msg=$(dc --bcheckpoint 2>&1) || rc=$?
    ((rc != 0)) || fail "the checkpoint into a $mode folder succeeded: $msg"
    grep -Eq "$expect_cause" <<<"$msg" || fail "the command's message does not name the cause: $msg"
    log "dmtcp_command: $msg"
    ;;
  kill_process | kill_coordinator)
    dc --bcheckpoint >"$T/ckpt2.out" 2>&1 &
    ckpt2=$!
    deadline=$((SECONDS + E2E_WAIT))
    # The stalled process is in the write step; the other three have their new images written.
    until [[ -s $stall/stalled ]] && (($(find "$CKPT" -name '*.temp' | wc -l) == 3)); do
      ((SECONDS < deadline)) || fail "the checkpoint did not reach the stalled write step"
      sleep 0.05
    done
    victim=$(cat "$stall/stalled")
    if [[ $mode == kill_process ]]; then
      log "killing process $victim in the middle of checkpoint 2"
      kill -KILL "$victim"
    else
      log "killing the coordinator $COORD_PID in the middle of checkpoint 2"
      kill -KILL "$COORD_PID"
      wait "$COORD_PID" 2>/dev/null
      touch "$stall/go"
    fi
    rc=0
    wait "$ckpt2" || rc=$?
    ((rc != 0)) || fail "the interrupted checkpoint was reported as done: $(cat "$T/ckpt2.out")"
    if [[ $mode == kill_process ]]; then
      grep -q "exited during checkpoint 2" "$T/ckpt2.out" ||
        fail "the command does not say a process exited: $(cat "$T/ckpt2.out")"
    fi
    ;;
esac

# The survivors discard their new images and go on.
deadline=$((SECONDS + E2E_WAIT))
while find "$CKPT" -name '*.temp' | grep -q .; do
  ((SECONDS < deadline)) || fail "temporary images left behind: $(ls -la "$CKPT")"
  sleep 0.05
done
if [[ $mode != kill_process ]]; then
  before=$(grep -c '^worker' "$out")
  wait_line "$out" "^worker [0-2] step $((before / 3 + 5)) " "" "$PID"
  log "the computation went on: $before lines, then $(grep -c '^worker' "$out")"
fi
if [[ $mode == enospc || $mode == readonly || $mode == rename ]]; then
  status_field RUNNING | grep -qx yes || fail "the computation is not running after the failure"
fi
rm -f "$CKPT/.filler"
if [[ $mode == rename ]]; then chattr -i "$victim_image"; fi
if [[ $mode == readonly ]]; then
  if ((EUID == 0)); then umount "$CKPT"; else chmod u+w "$CKPT"; fi
fi
snapshot >"$T/after.sums"
assert_same "$T/gen1.sums" "$T/after.sums" "generation 1's images and restart script"

# Restart generation 1 (with a new coordinator where the old one was killed).
if [[ $mode == kill_coordinator ]]; then
  kill_program "$PID"
  start_coordinator
else
  kill_program "$PID"
  wait_peers 0
fi
touch "$stall/go"
restart_script
start_bg PID "$T/restart.out" "$T/restart.err" "$RS" -h "$COORD_HOST" -p "$PORT"
wait_exit "$PID" 90
assert_rc "$WAIT_RC" 0 "restart from generation 1"
grep -v '^parent \|^waited ' "$T/native.txt" >"$T/expected_lines.txt"
grep -v '^parent \|^waited ' "$out" >"$T/actual_lines.txt"
assert_same "$T/expected_lines.txt" "$T/actual_lines.txt" "workers' lines"
