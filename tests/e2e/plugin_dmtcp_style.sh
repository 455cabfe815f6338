#!/usr/bin/env bash
# plugin_dmtcp_style.sh CASE
#
# DMTCP's own example plugins and programs (tests/plugins/dmtcp_style/, compiled unchanged
# against our headers) run under our runtime and print what they print under DMTCP. The hooks
# print with printf into the program's stdout buffer, which reaches the output file with the
# program's next line; a restarted program rewrites its output file from the checkpoint on.
#   v2_example, v3_example  (test/plugin/example, DMTCP 2 hook chain / DMTCP 3 descriptor)
#       `counter` with the plugin, a blocking checkpoint, kill -9, restart script. Before the
#       kill the output is: the INIT line, count 1..k, "", the pre-checkpoint line, the resume
#       line(s), count k+1...; at the end (exit 0): the same up to the pre-checkpoint line, the
#       restart line, count k+1..N, and the EXIT line.
#   v2_example_db, v3_example_db  (test/plugin/example-db, key-value store)
#       two counters with EXAMPLE_DB_KEY=1/2 and EXAMPLE_DB_KEY_OTHER=2/1, restarted together
#       by one dmtcp_restart; each prints its (key, pid) and "The other pid is:  <pid of the
#       peer>" after the checkpoint and again after the restart (the pids from INIT).
#   v3_sleep2  (test/plugin/sleep2, a NEXT_FNC(sleep) wrapper)
#       plugin_sleeper calls sleep(1): each tick is wrapped in "(sleep2: <t0> ... <t1>) " with
#       t1 - t0 >= 1 s; at a checkpoint the plugin's pre-checkpoint line, "Finished calling
#       real_sleep() for 1 second." and the resume line come in this order.
#   applic  (test/plugin/applic-initiated-ckpt): without the runtime it prints that DMTCP is
#       not running and exits 0; under it, that it invoked a checkpoint (exit 0, one image);
#       restarted from that image, that it is restarting (exit 0).
#   dmtcpaware1  (test/dmtcpaware1.c, libdmtcpaware): under the runtime it prints
#       dmtcpIsEnabled()=1, the status, and HOOK lines: preCheckpoint and postCheckpoint at a
#       checkpoint, preCheckpoint then postRestart in the restarted process, whose status shows
#       one restart. Without the runtime dmtcpIsEnabled() is 0 and its assert aborts.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/plugin_lib.sh"

case=${1:-}
case $case in
  v2_example | v3_example | v2_example_db | v3_example_db | v3_sleep2 | applic | dmtcpaware1) ;;
  *) echo "usage: $0 v2_example|v3_example|v2_example_db|v3_example_db|v3_sleep2|applic|dmtcpaware1" >&2
     exit 2 ;;
esac
e2e_init "plugin-dmtcp-style-$case"
P=$DMTCP_TEST_PLUGINS
init_re='^The plugin containing .*\.c has been initialized\.$'

# native_lines FROM TO  Lines FROM..TO of an uninterrupted counter run.
native_lines() { (($1 <= $2)) && sed -n "$1,$2p" "$T/native.txt"; return 0; }

# ckpt_at FILE MARK  k: the number of the last "count" line before the line MARK in FILE.
ckpt_at() {
  local n
  n=$(grep -nxF -- "$2" "$1" | head -n 1 | cut -d: -f1)
  [[ -n $n ]] || fail "no line '$2' in $1"
  head -n "$n" "$1" | grep -E '^count [0-9]+ ' | tail -n 1 | awk '{ print $2 }'
}

example() {
  local plugin=$P/dmtcp_style_$case.so out=$T/run/out.txt N=40 DELAY=200 k m resume restart
  need "$plugin"
  local pre='*** The plugin is being called before checkpointing. ***'
  local exit_line='The plugin is being called before exiting.'
  if [[ $case == v2_example ]]; then
    resume=$'*** The plugin has now been checkpointed. ***\nThe process is now resuming after checkpoint.'
    restart='The plugin is now resuming or restarting from checkpointing.'
  else
    resume='*** The application has now been checkpointed. ***'
    restart='The application is now restarting from a checkpoint.'
  fi
  "$DMTCP_EXAMPLES/counter" "$N" 0 >"$T/native.txt" || fail "counter without dmtcp failed"
  start_coordinator
  launch_plugins LPID "$out" "$T/launch.err" "$plugin" "$DMTCP_EXAMPLES/counter" "$N" "$DELAY"
  wait_line "$out" '^count 5 ' "" "$LPID"
  wait_peers 1
  checkpoint_blocking
  wait_line "$out" "^$(tail -n 1 <<<"$resume" | sed 's/[].*[]/\\&/g')\$" "" "$LPID"
  k=$(ckpt_at "$out" "$pre")
  [[ $k =~ ^[0-9]+$ ]] || fail "no count line before the checkpoint line"
  wait_line "$out" "^count $((k + 2)) " "" "$LPID"
  kill_program "$LPID"
  cp "$out" "$T/before-kill.txt"
  m=$(last_num "$T/before-kill.txt" count)
  head -n 1 "$out" | grep -Eq -- "$init_re" || fail "first line is not the plugin's INIT line"
  { head -n 1 "$out"; native_lines 1 "$k"; printf '\n%s\n%s\n' "$pre" "$resume"
    native_lines $((k + 1)) "$m"; } >"$T/expected-before.txt"
  assert_same "$T/expected-before.txt" "$T/before-kill.txt" "output after the checkpoint"
  wait_peers 0

  restart_script
  start_bg RPID "$T/restart.out" "$T/restart.err" "$RS" -h "$COORD_HOST" -p "$PORT"
  wait_exit "$RPID" 90
  assert_rc "$WAIT_RC" 0 "restarted counter"
  { head -n 1 "$T/before-kill.txt"; native_lines 1 "$k"; printf '\n%s\n%s\n' "$pre" "$restart"
    native_lines $((k + 1)) "$N"; printf '%s\n' "$exit_line"; } >"$T/expected-final.txt"
  assert_same "$T/expected-final.txt" "$out" "output after the restart"
}

example_db() {
  local plugin=$P/dmtcp_style_$case.so N=60 DELAY=200 key other
  need "$plugin"
  "$DMTCP_EXAMPLES/counter" "$N" 0 >"$T/native.txt" || fail "counter without dmtcp failed"
  start_coordinator
  for key in 1 2; do
    other=$((3 - key))
    launch_plugins "PID_$key" "$T/run/out$key.txt" "$T/launch$key.err" "$plugin" \
      env "EXAMPLE_DB_KEY=$key" "EXAMPLE_DB_KEY_OTHER=$other" "$DMTCP_EXAMPLES/counter" "$N" "$DELAY"
  done
  # shellcheck disable=SC2154  # set by launch_plugins
  local p1=$PID_1 p2=$PID_2
  wait_line "$T/run/out1.txt" '^count 5 ' "" "$p1"
  wait_line "$T/run/out2.txt" '^count 5 ' "" "$p2"
  wait_peers 2
  checkpoint_blocking
  local -A pid=([1]=$p1 [2]=$p2) k m
  for key in 1 2; do
    wait_line "$T/run/out$key.txt" '^Data exchanged:' "" "${pid[$key]}"
    k[$key]=$(ckpt_at "$T/run/out$key.txt" 'The plugin is being called before checkpointing.')
    [[ ${k[$key]} =~ ^[0-9]+$ ]] || fail "process $key: no count line before the checkpoint line"
    wait_line "$T/run/out$key.txt" "^count $((k[$key] + 1)) " "" "${pid[$key]}"
  done
  # expected KEY LAST  The output of process KEY up to count LAST.
  expected() {
    local key=$1 other=$((3 - $1))
    head -n 1 "$T/run/out$key.txt" | grep -Eq -- "$init_re" ||
      fail "process $key: first line is not the plugin's INIT line"
    head -n 1 "$T/run/out$key.txt"
    printf '  Data initialized:  My (key, pid) is: (%d, %d).\n' "$key" "${pid[$key]}"
    native_lines 1 "${k[$key]}"
    printf '\nThe plugin is being called before checkpointing.\n'
    printf 'The plugin is now resuming or restarting from checkpointing.\n'
    printf '  Data sent:  My (key, pid) is: (%d, %d).\n' "$key" "${pid[$key]}"
    printf 'Data exchanged:  My (key,pid) is: (%d, %d);  The other pid is:  %d.\n' \
      "$key" "${pid[$key]}" "${pid[$other]}"
    native_lines $((k[$key] + 1)) "$2"
  }
  kill_program "$p1"
  kill_program "$p2"
  for key in 1 2; do
    cp "$T/run/out$key.txt" "$T/before-kill$key.txt"
    m=$(last_num "$T/before-kill$key.txt" count)
    expected "$key" "$m" >"$T/expected-before$key.txt"
    assert_same "$T/expected-before$key.txt" "$T/before-kill$key.txt" "process $key after the checkpoint"
  done
  wait_peers 0
  all_images 'ckpt_*.dmtcp'
  ((${#IMGS[@]} == 2)) || fail "expected 2 images, found ${#IMGS[@]}"
  start_bg RPID "$T/restart.out" "$T/restart.err" "$DMTCP_BIN/dmtcp_restart" -h "$COORD_HOST" \
    -p "$PORT" --join "${IMGS[@]}"
  wait_line "$T/run/out1.txt" "^count $N " 90
  wait_line "$T/run/out2.txt" "^count $N " 90
  wait_exit "$RPID" 30
  assert_rc "$WAIT_RC" 0 "dmtcp_restart of both processes"
  for key in 1 2; do
    expected "$key" "$N" >"$T/expected-final$key.txt"
    assert_same "$T/expected-final$key.txt" "$T/run/out$key.txt" "process $key after the restart"
  done
}

sleep2() {
  local plugin=$P/dmtcp_style_v3_sleep2.so sleeper=$P/plugin_sleeper out=$T/run/out.txt line
  local t0 t1 l1 l2 l3
  need "$plugin" "$sleeper"
  start_coordinator
  launch_plugins LPID "$out" "$T/launch.err" "$plugin" "$sleeper" 1000 1
  wait_line "$out" '^\(sleep2: .*\) tick 2 ' "" "$LPID"
  wait_peers 1
  for line in 1 2; do
    line=$(grep -E "tick $line " "$out")
    [[ $line =~ ^\(sleep2:\ ([0-9]+)\ ([0-9]+)\ \.\.\.\ ([0-9]+)\ ([0-9]+)\)\ tick\ [12]\ sleep_rc=0\ sleep_ms=[0-9]+$ ]] ||
      fail "not a wrapped sleep: '$line'"
    (((BASH_REMATCH[3] - BASH_REMATCH[1]) * 1000000 + 10#${BASH_REMATCH[4]} - 10#${BASH_REMATCH[2]} >= 1000000)) ||
      fail "the wrapped sleep(1) took less than 1 s: '$line'"
  done
  t0=$(date +%s%N)
  checkpoint_blocking
  t1=$(date +%s%N)
  (((t1 - t0) / 1000000 >= 1000)) ||
    fail "the checkpoint took $(((t1 - t0) / 1000000)) ms: the plugin's real_sleep(1) did not run"
  wait_line "$out" '^\*\*\* The plugin .*v3_sleep2\.c has now been checkpointed\. \*\*\*$' "" "$LPID"
  l1=$(grep -nE '\*\*\* The plugin .*v3_sleep2\.c is being called before checkpointing\. \*\*\*$' "$out" | cut -d: -f1)
  l2=$(grep -nxF '*** Finished calling real_sleep() for 1 second. ***' "$out" | cut -d: -f1)
  l3=$(grep -nE '^\*\*\* The plugin .*v3_sleep2\.c has now been checkpointed\. \*\*\*$' "$out" | cut -d: -f1)
  [[ -n $l1 && -n $l2 && -n $l3 ]] && ((l2 == l1 + 1 && l3 == l2 + 1)) ||
    fail "the checkpoint lines are not consecutive (lines '$l1' '$l2' '$l3')"
  kill_program "$LPID"
}

applic() {
  local prog=$P/applic out=$T/run/out.txt rc=0
  need "$prog"
  "$prog" >"$T/native.txt" 2>"$T/native.err" || rc=$?
  assert_rc "$rc" 0 "applic without the runtime"
  assert_text $'\n *** dmtcp_is_enabled: executable seems to not be running under dmtcp_launch.\n\n *** dmtcp_checkpoint: DMTCP is not running.  Skipping checkpoint.\n\n*** Process done executing.  Successfully exiting.' \
    "$T/native.txt" "applic without the runtime"
  start_coordinator
  start_bg LPID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
    --join "$prog"
  wait_exit "$LPID" 60
  assert_rc "$WAIT_RC" 0 "applic under the runtime"
  assert_text $'*** dmtcp_checkpoint: This program has now invoked a checkpoint.\n      It will resume its execution next.\n\n*** Process done executing.  Successfully exiting.\n*** Execute ./dmtcp_restart_script.sh to restart.' \
    "$out" "applic under the runtime"
  single_image 'ckpt_*.dmtcp'
  wait_peers 0
  # Nothing was written before the checkpoint: the restarted process writes from offset 0.
  : >"$out"
  restart_script
  start_bg RPID "$T/restart.out" "$T/restart.err" "$RS" -h "$COORD_HOST" -p "$PORT"
  wait_exit "$RPID" 60
  assert_rc "$WAIT_RC" 0 "restarted applic"
  assert_text $'*** dmtcp_checkpoint: This program is now restarting.\n\n*** Process done executing.  Successfully exiting.' \
    "$out" "restarted applic"
}

hooks() { grep -o 'HOOK: [A-Za-z]*' "$T/run/out.txt" | tr '\n' ' '; }

dmtcpaware1() {
  local prog=$P/dmtcpaware1 out=$T/run/out.txt rc=0 n
  need "$prog"
  timeout 20 "$prog" >"$T/native.out" 2>"$T/native.err" || rc=$?
  assert_rc "$rc" 134 "dmtcpaware1 without the runtime (its assert(dmtcpIsEnabled()) aborts)"
  # It prints "dmtcpIsEnabled()=" (flushed), then the 0 goes into the buffer that abort() loses.
  [[ $(cat "$T/native.out") == 'dmtcpIsEnabled()=' ]] ||
    fail "dmtcpaware1 without the runtime printed '$(cat "$T/native.out")'"
  grep -qF "Assertion \`r' failed" "$T/native.err" ||
    fail "dmtcpaware1 without the runtime: no failed assert(r): $(cat "$T/native.err")"
  start_coordinator
  start_bg LPID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
    --join "$prog"
  wait_line "$out" '^dmtcpGetCoordinatorStatus\(\)=\{1,1\}$' "" "$LPID"
  wait_peers 1
  # The first pass: enabled, command accepted, status of a process never checkpointed.
  head -n 7 "$out" >"$T/first.txt"
  sed -i -E '6s/^\t .*,$/\t <image>,/; 7s/^\t .+\}$/\t <upid>}/' "$T/first.txt"
  assert_text $'dmtcpIsEnabled()=1\ndmcpRunCommand(\'l\')=1\ndmtcpGetLocalStatus()={\n\t 0,\n\t 0,\n\t <image>,\n\t <upid>}' \
    "$T/first.txt" "dmtcpaware1's first pass"
  checkpoint_blocking
  # A hook's line may start in the middle of one of the program's (its threads are stopped
  # anywhere): look for the text, not for whole lines.
  wait_line "$out" 'HOOK: postCheckpoint$' "" "$LPID"
  [[ $(hooks) == 'HOOK: preCheckpoint HOOK: postCheckpoint ' ]] ||
    fail "HOOK lines after a checkpoint: $(hooks)"
  # The next pass counts the checkpoint.
  wait_line "$out" $'^\t 1,$' "" "$LPID"
  kill_program "$LPID"
  wait_peers 0
  restart_script
  start_bg RPID "$T/restart.out" "$T/restart.err" "$RS" -h "$COORD_HOST" -p "$PORT"
  wait_line "$out" 'HOOK: postRestart$' 60
  # Two passes later the restarted output has overwritten what followed the checkpoint.
  wait_lines "$out" '^dmtcpGetCoordinatorStatus' "$(($(grep -c '^dmtcpGetCoordinatorStatus' "$out") + 2))" 60
  [[ $(hooks) == 'HOOK: preCheckpoint HOOK: postRestart ' ]] ||
    fail "HOOK lines after the restart: $(hooks)"
  # As in DMTCP, a checkpoint is counted when the process resumes after it: the restarted
  # process (from checkpoint 1) has been through 0 resumed checkpoints and 1 restart.
  grep -qzP 'dmtcpGetLocalStatus\(\)=\{\n\t 0,\n\t 1,\n' "$out" ||
    fail "no status with 0 checkpoints and 1 restart after the restart"
  kill_program "$RPID"
}

case $case in
  v2_example | v3_example) example ;;
  v2_example_db | v3_example_db) example_db ;;
  v3_sleep2) sleep2 ;;
  applic) applic ;;
  dmtcpaware1) dmtcpaware1 ;;
esac
