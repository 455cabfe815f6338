#!/usr/bin/env bash
# aware.sh native|applic|delayed|hooks
#
# Programs that use the checkpoint interface themselves (examples/aware/):
#   native   Without the runtime each one runs to the end (exit 0) and says so: applic_ckpt
#            prints "dmtcp_checkpoint returned 3: not present"; delayed_ckpt's disable/enable
#            return 3 and no hook runs; aware_hooks (libdmtcpaware) prints dmtcpIsEnabled=0, the
#            lock calls return 3, both status calls return NULL, dmtcpCheckpoint() returns 3 and
#            no hook runs. Exact outputs.
#   applic   applic_ckpt 40 5 under the runtime: at step 5 dmtcp_checkpoint() returns 1 ("after
#            checkpoint", local status 1 checkpoint / 0 restarts, generation 1; the image it
#            names is the one written). Killed and restarted, the same call returns 2 ("after
#            restart", 0 checkpoints / 1 restart: as in DMTCP, a checkpoint is counted when the
#            process resumes after it, so the image holds the count from before it) and the
#            program finishes: its output file holds exactly that run (exit 0).
#   delayed  delayed_ckpt 3 3000 1000: `dmtcp_command -c` issued inside the first critical
#            section (disable_ckpt, nested twice) returns at once, and the checkpoint (its hooks)
#            happens only after "leave critical 1" (the outer enable), before the next section:
#            never inside one, with nothing between the pre- and post-checkpoint hooks. Exit 0.
#   hooks    aware_hooks (libdmtcpaware) under the runtime: dmtcpIsEnabled=1, the hooks are
#            installed, dmtcpRunCommand('s')=1, the recursive lock returns 1 six times, one
#            process is running. Each checkpoint (dmtcp_command, then dmtcpCheckpoint() from the
#            program, which returns 1) adds exactly "<pid> pre", "<pid> post" to the hook log
#            and one to the checkpoint count; restarted (from the second image), dmtcpCheckpoint()
#            returns 2, the log gains exactly one "restart" line, and the status says 1 checkpoint
#            (the count the image holds, as in DMTCP) and 1 restart; one more checkpoint adds pre
#            and post again (2 checkpoints): 3 pre, 3 post, 1 restart in all. Every round sees 1
#            process.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/plugin_lib.sh"

mode=${1:-}
[[ $mode =~ ^(native|applic|delayed|hooks)$ ]] || { echo "usage: $0 native|applic|delayed|hooks" >&2; exit 2; }
e2e_init "aware-$mode"
APPLIC=$DMTCP_EXAMPLES/applic_ckpt
DELAYED=$DMTCP_EXAMPLES/delayed_ckpt
HOOKS=$DMTCP_EXAMPLES/aware_hooks
need "$APPLIC" "$DELAYED" "$HOOKS"

# texts FILE  delayed_ckpt's lines without the sequence number and the time.
texts() { cut -d' ' -f3- "$1"; }

native() {
  local rc=0
  "$APPLIC" 4 2 10 >"$T/applic.out" 2>"$T/applic.err" || rc=$?
  assert_rc "$rc" 0 "applic_ckpt without the runtime"
  assert_text $'dmtcp_is_enabled 0\nstep 1\nstep 2\ndmtcp_checkpoint returned 3: not present\nstep 3\nstep 4\ndone' \
    "$T/applic.out" "applic_ckpt without the runtime"
  rc=0
  "$DELAYED" 1 100 10 >"$T/delayed.out" 2>"$T/delayed.err" || rc=$?
  assert_rc "$rc" 0 "delayed_ckpt without the runtime"
  texts "$T/delayed.out" >"$T/delayed.texts"
  assert_text $'start enabled=0\nenter critical 1 (disable=3)\nnested disable=3\nnested enable=3\nleave critical 1\noutside 1 (enable=3)\ndone' \
    "$T/delayed.texts" "delayed_ckpt without the runtime"
  [[ $(cut -d' ' -f1 "$T/delayed.out" | tr '\n' ' ') == '1 2 3 4 5 6 7 ' ]] ||
    fail "delayed_ckpt: sequence numbers $(cut -d' ' -f1 "$T/delayed.out" | tr '\n' ' ')"
  rc=0
  touch "$T/run/ckpt-now"
  "$HOOKS" 2 10 "$T/hooks.log" "$T/run/ckpt-now" >"$T/hooks.out" 2>"$T/hooks.err" || rc=$?
  assert_rc "$rc" 0 "aware_hooks without the runtime"
  assert_text $'dmtcpIsEnabled=0\nlock=3,3,3 unlock=3,3,3\ncoordinator status: NULL\nlocal status: NULL\ndmtcpCheckpoint=3 (not present)\nround 1\nround 2\ndone' \
    "$T/hooks.out" "aware_hooks without the runtime"
  [[ ! -e $T/run/ckpt-now ]] || fail "aware_hooks did not take the trigger file"
  [[ ! -e $T/hooks.log ]] || fail "a hook ran without the runtime: $(cat "$T/hooks.log")"
}

applic() {
  local out=$T/run/out.txt image upid
  start_coordinator
  start_bg LPID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
    --join "$APPLIC" 40 5 200
  wait_line "$out" '^generation ' "" "$LPID"
  single_image 'ckpt_applic_ckpt_*.dmtcp'
  assert_text "$(printf 'dmtcp_is_enabled 1\n'; seq -f 'step %g' 1 5)
dmtcp_checkpoint returned 1: after checkpoint
local status: checkpoints=1 restarts=0
generation 1" "$out" "applic_ckpt after dmtcp_checkpoint()"
  image=$(sed -n 's/^applic_ckpt: image //p' "$T/launch.err")
  upid=$(sed -n 's/^applic_ckpt: uniquepid //p' "$T/launch.err")
  [[ $(basename -- "$image") == "$(basename -- "$IMG")" ]] ||
    fail "dmtcp_get_ckpt_filename() is '$image', the image written is $IMG"
  [[ -n $upid && $upid != '(null)' ]] || fail "dmtcp_get_uniquepid_str() is '$upid'"
  wait_line "$out" '^step 7$' "" "$LPID"
  kill_program "$LPID"
  wait_peers 0
  restart_script
  start_bg RPID "$T/restart.out" "$T/restart.err" "$RS" -h "$COORD_HOST" -p "$PORT"
  wait_exit "$RPID" 90
  assert_rc "$WAIT_RC" 0 "restarted applic_ckpt"
  assert_text "$(printf 'dmtcp_is_enabled 1\n'; seq -f 'step %g' 1 5)
dmtcp_checkpoint returned 2: after restart
local status: checkpoints=0 restarts=1
$(seq -f 'step %g' 6 40)
done" "$out" "applic_ckpt after the restart"
}

delayed() {
  local out=$T/run/out.txt snap pre post leave1 enter2 n
  start_coordinator
  start_bg LPID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
    --join "$DELAYED" 3 3000 1000
  wait_line "$out" ' enter critical 1 ' "" "$LPID"
  wait_peers 1
  dc -c >"$T/c.out" 2>&1 || fail "dmtcp_command -c failed: $(cat "$T/c.out")"
  snap=$(texts "$out")
  grep -qx 'enter critical 1 (disable=1)' <<<"$snap" ||
    fail "no 'enter critical 1 (disable=1)' when the checkpoint was requested: $snap"
  ! grep -q 'leave critical 1' <<<"$snap" ||
    fail "the critical section was over before dmtcp_command -c returned: cannot test"
  ! grep -q '^hook:' <<<"$snap" || fail "a checkpoint inside the critical section: $snap"
  wait_line "$out" ' hook: post-checkpoint$' 30 "$LPID"
  wait_exit "$LPID" 60
  assert_rc "$WAIT_RC" 0 "delayed_ckpt"
  texts "$out" >"$T/texts"
  log "delayed_ckpt output:"
  sed 's/^/    /' "$out" >&2
  [[ $(cut -d' ' -f1 "$out" | tr '\n' ' ') == "$(seq 1 "$(wc -l <"$out")" | tr '\n' ' ')" ]] ||
    fail "sequence numbers out of order"
  n=$(grep -c '^hook: pre-checkpoint$' "$T/texts")
  ((n == 1)) || fail "$n pre-checkpoint hooks, expected 1"
  ! grep -q '^hook: restart$' "$T/texts" || fail "a restart hook ran"
  pre=$(grep -nx 'hook: pre-checkpoint' "$T/texts" | cut -d: -f1)
  post=$(grep -nx 'hook: post-checkpoint' "$T/texts" | cut -d: -f1)
  leave1=$(grep -nx 'leave critical 1' "$T/texts" | cut -d: -f1)
  enter2=$(grep -nx 'enter critical 2 (disable=1)' "$T/texts" | cut -d: -f1)
  [[ -n $post && -n $leave1 && -n $enter2 ]] || fail "missing lines in the output"
  ((post == pre + 1)) || fail "program lines between the pre- and post-checkpoint hooks"
  ((pre > leave1 && post < enter2)) ||
    fail "the checkpoint (lines $pre-$post) is not between 'leave critical 1' (line $leave1) and 'enter critical 2' (line $enter2)"
  # The same lines as without a checkpoint, plus the two hooks.
  grep -v '^hook: ' "$T/texts" >"$T/program.texts"
  { echo 'start enabled=1'
    for r in 1 2 3; do
      printf '%s\n' "enter critical $r (disable=1)" 'nested disable=1' 'nested enable=1' \
        "leave critical $r" "outside $r (enable=1)"
    done
    echo "done"; } >"$T/expected.texts"
  assert_same "$T/expected.texts" "$T/program.texts" "delayed_ckpt's own lines"
}

hooks() {
  local out=$T/run/out.txt hl=$T/hooks.log trigger=$T/run/ckpt-now vpid rounds
  start_coordinator
  start_bg LPID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
    --join "$HOOKS" 100000 200 "$hl" "$trigger"
  wait_line "$out" '^round 2 ' "" "$LPID"
  wait_peers 1
  head -n 6 "$out" >"$T/head.txt"
  assert_text $'dmtcpIsEnabled=1\ndmtcpInstallHooks=1\ndmtcpRunCommand(\'s\')=1\nlock=1,1,1 unlock=1,1,1\ncoordinator status: numProcesses=1 isRunning=1\nlocal status: checkpoints=0 restarts=0' \
    "$T/head.txt" "aware_hooks' first lines"
  [[ ! -e $hl ]] || fail "a hook ran before any checkpoint: $(cat "$hl")"

  checkpoint_blocking
  wait_line "$out" '^round [0-9]+ checkpoints=1 restarts=0 ' "" "$LPID"
  assert_text "$LPID pre
$LPID post" "$hl" "hook log after a checkpoint by dmtcp_command"

  touch "$trigger"
  wait_line "$out" '^dmtcpCheckpoint=' "" "$LPID"
  grep -qx 'dmtcpCheckpoint=1 (after checkpoint)' "$out" ||
    fail "dmtcpCheckpoint() in the running program: $(grep '^dmtcpCheckpoint=' "$out")"
  wait_line "$out" '^round [0-9]+ checkpoints=2 restarts=0 ' "" "$LPID"
  assert_text "$LPID pre
$LPID post
$LPID pre
$LPID post" "$hl" "hook log after dmtcpCheckpoint()"
  rounds=$(last_num "$out" round)
  wait_line "$out" "^round $((rounds + 2)) " "" "$LPID"
  kill_program "$LPID"
  wait_peers 0

  restart_script
  start_bg RPID "$T/restart.out" "$T/restart.err" "$RS" -h "$COORD_HOST" -p "$PORT"
  wait_line "$out" '^dmtcpCheckpoint=2 \(after restart\)$' 60 "$RPID"
  wait_line "$out" '^round [0-9]+ checkpoints=1 restarts=1 ' 30 "$RPID"
  wait_lines "$hl" . 5 30 "$RPID"
  vpid=$(sed -n '5s/ restart$//p' "$hl")
  [[ -n $vpid ]] || fail "line 5 of the hook log is '$(sed -n 5p "$hl")', not '<pid> restart'"
  assert_text "$LPID pre
$LPID post
$LPID pre
$LPID post
$vpid restart" "$hl" "hook log after the restart"
  wait_peers 1
  checkpoint_blocking
  wait_line "$out" '^round [0-9]+ checkpoints=2 restarts=1 ' 30 "$RPID"
  assert_text "$LPID pre
$LPID post
$LPID pre
$LPID post
$vpid restart
$vpid pre
$vpid post" "$hl" "hook log after a checkpoint of the restarted process"
  [[ "$(grep -c ' pre$' "$hl") $(grep -c ' post$' "$hl") $(grep -c ' restart$' "$hl")" == '3 3 1' ]] ||
    fail "hook counts (pre post restart) are not 3 3 1"
  # Every round, before and after the restart, saw the coordinator and its one process.
  grep -E '^round ' "$out" >"$T/rounds.txt"
  ! grep -vE '^round [0-9]+ checkpoints=[0-9]+ restarts=[01] processes=1$' "$T/rounds.txt" >"$T/bad-rounds.txt" ||
    fail "rounds without a status or with another number of processes: $(head -n 3 "$T/bad-rounds.txt")"
  kill_program "$RPID"
}

"$mode"
