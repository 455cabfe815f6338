#!/usr/bin/env bash
# run.sh PROGRAM MODE  One conformance program (tests/conformance/PROGRAM.c, or a real program's
# script real/PROGRAM.sh) through launch -> checkpoint -> kill -> restart -> checkpoint -> kill ->
# restart, each time under a coordinator started the way job scripts start it (--exit-on-last, so
# it ends with the computation, and a new one, on another port, for each restart). Each
# checkpoint is two, a moment apart: the restart is from the second, an incremental one.
#
# MODE: plain (uncompressed images), gzip (compressed), forked (forked checkpoints, compressed).
#
# A C program prints "ready" once it is set up, checks its own state all along, and after
# $CONFORMANCE_DONE exists prints PASS and exits 0 (see conformance.h). A source that says
#   // EXPECT-REFUSED: <extended regex>
# is about something that cannot be checkpointed: the first checkpoint must fail with a message
# matching the regex, the program must go on unharmed, and it must still end with PASS. A source
# that says "// FORKED-IN-PLACE" has memory a forked child would not inherit: in forked mode its
# images must be written by the process itself ("// FORKED-IN-PLACE: some": by some of its
# processes, the others' by forked children). A source that says "// AFTER-KILL-REMOVE-IPC" has
# System V IPC objects: after each kill, those made since the test began are removed, as on a node
# the restart has never seen (the images must hold them); with "// AFTER-KILL-OCCUPY-KEYS" too,
# other objects then take their keys (another job of the same program on that node). A source
# that says "// LAUNCH-WITH-PLUGIN: NAME" runs with the test plugin $DMTCP_TEST_PLUGINS/NAME.so;
# one that says "// LAUNCH-ARGS: ARGS" is launched with these dmtcp_launch options too, and one
# that says "// MKDIR: NAME" finds folder NAME made in its folder when it starts.
# One that says "// AFTER-KILL-REMOVE: GLOB" has files on the node that a restart elsewhere would
# not find: after each kill, the files matching GLOB ({pid}: the program's pid) are removed.
# One that says "// AFTER-KILL-UNLINK-MQUEUES" names its POSIX message queues in its output
# ("mqueue /NAME" lines): after each kill they are removed (mq_unlink), as on a new node.
# One that says "// ROUNDS: N" is checkpointed, killed and restarted N times, not 2 (a race that
# one checkpoint in a few hits). One that says "// ONE-CHECKPOINT-PER-ROUND: <why>" is
# checkpointed once a round, not twice (a known gap the README names).
#
# A real program's script (real/NAME.sh) defines CMD (the command line, run with bash -c), READY
# (a regex its output matches once it runs), and check (a function that checks its result after
# it ended); the command must exit 0. It may set LAUNCH_ARGS (an array of dmtcp_launch options),
# ROUNDS, RUN_ON (seconds the program runs on after each checkpoint before it is killed, as a job
# does) and AFTER_KILL_REMOVE (a GLOB, as the C programs' directive above).
. "$(dirname "$0")/../e2e/lib.sh"
prog=${1:?usage: run.sh PROGRAM plain|gzip|forked}
mode=${2:?usage: run.sh PROGRAM plain|gzip|forked}
e2e_init "conformance-$prog-$mode"
case $mode in
  plain) export DMTCP_GZIP=0 ;;
  gzip) export DMTCP_GZIP=1 ;;
  forked) export DMTCP_GZIP=1 DMTCP_FORKED_CHECKPOINT=1 ;;
  *) fail "unknown mode $mode" ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
export CONFORMANCE_DONE=$T/run/done
out=$T/run/out.txt

# For real/*.sh: a command that runs BODY (bash) again and again until the driver says it is
# done, printing "iteration N" after each; and a check that every "sum X" line the body printed
# says X = $1 (the result of an uninterrupted run, computed by the check).
until_done() {
  printf 'n=0; while [[ ! -e $CONFORMANCE_DONE ]]; do %s; n=$((n + 1)); echo "iteration $n"; done' "$1"
}
all_sums_are() {
  local n bad
  n=$(grep -c '^sum ' "$out")
  ((n >= 1)) || fail "$prog printed no result"
  bad=$(grep '^sum ' "$out" | grep -vxF "sum $1" | head -n 1)
  [[ -z $bad ]] || fail "$prog: a result differs from an uninterrupted run's ($1): $bad"
  log "$prog: $n results, all equal to an uninterrupted run's"
}

real=""
refused=""
one_checkpoint=""
LAUNCH_ARGS=()
RUN_ON=0
ROUNDS=2
remove_ipc=""
remove_files=""
unlink_mqueues=""
occupy_keys=""
# System V objects, one "kind id key" a line (m: shared memory, s: semaphores, q: message queues).
ipc_objects() {
  local k
  for k in m s q; do ipcs -"$k" | awk -v k="$k" '$1 ~ /^0x/ { print k, $2, $1 }'; done
}
# An object of that kind under that key, made by someone else (perl has the calls built in).
occupy_key() {
  perl -e 'my ($k, $key) = @ARGV; $key = hex($key);
    my $id = $k eq "m" ? shmget($key, 4096, 01600) : $k eq "s" ? semget($key, 1, 01600)
      : msgget($key, 01600);
    defined $id or die "cannot occupy key $key: $!\n";' "$1" "$2"
}
if [[ -f $here/real/$prog.sh ]]; then
  real=$here/real/$prog.sh
  CMD=""
  READY=""
  check() { :; }
  AFTER_KILL_REMOVE=""
  # shellcheck source=/dev/null
  . "$real"
  remove_files=$AFTER_KILL_REMOVE
  [[ -n $CMD && -n $READY ]] || fail "$real sets no CMD or READY"
  cmd=(bash -c "$CMD")
else
  src=$here/$prog.c
  [[ -f $src ]] || fail "no program $prog in $here"
  refused=$(sed -n 's|^// EXPECT-REFUSED: ||p' "$src")
  # A program whose memory a forked child would not inherit writes its images itself.
  if grep -q '^// FORKED-IN-PLACE: some$' "$src"; then
    export E2E_FORKED_IN_PLACE=some
  elif grep -q '^// FORKED-IN-PLACE' "$src"; then
    export E2E_FORKED_IN_PLACE=1
  fi
  if grep -q '^// AFTER-KILL-REMOVE-IPC' "$src"; then remove_ipc=1; fi
  if grep -q '^// AFTER-KILL-OCCUPY-KEYS' "$src"; then occupy_keys=1; fi
  remove_files=$(sed -n 's|^// AFTER-KILL-REMOVE: ||p' "$src")
  if grep -q '^// AFTER-KILL-UNLINK-MQUEUES' "$src"; then unlink_mqueues=1; fi
  plugin=$(sed -n 's|^// LAUNCH-WITH-PLUGIN: ||p' "$src")
  rounds=$(sed -n 's|^// ROUNDS: ||p' "$src")
  ROUNDS=${rounds:-2}
  one_checkpoint=$(sed -n 's|^// ONE-CHECKPOINT-PER-ROUND: ||p' "$src")
  if [[ -n $plugin ]]; then
    [[ -f ${DMTCP_TEST_PLUGINS:?}/$plugin.so ]] || fail "no test plugin $plugin.so"
    LAUNCH_ARGS=(--with-plugin "$DMTCP_TEST_PLUGINS/$plugin.so")
  fi
  read -ra args <<<"$(sed -n 's|^// LAUNCH-ARGS: ||p' "$src")"
  LAUNCH_ARGS+=("${args[@]}")
  mkdir_name=$(sed -n 's|^// MKDIR: ||p' "$src")
  [[ -z $mkdir_name ]] || mkdir -p "$T/run/$mkdir_name" || fail "cannot make $T/run/$mkdir_name"
  cmd=("${CONFORMANCE_BIN:?}/$prog")
  READY='^ready$'
fi

# Fails at once if the program already said it failed.
no_failure() {
  if grep -q '^FAIL' "$out" 2>/dev/null; then fail "$prog $1: $(grep '^FAIL' "$out" | head -n 1)"; fi
}

# Until the restarted computation runs; fails at once if the program said it failed or the
# restart ended (not 60 s later, when the coordinator that ended with it stops answering).
wait_running() {
  local deadline=$((SECONDS + 60)) got=""
  while :; do
    got=$(status_field RUNNING) && [[ $got == yes ]] && return 0
    no_failure "$1"
    is_alive "$PID" || fail "the restart ended before $prog ran again: $(tail -n 3 "$2")"
    ((SECONDS < deadline)) || fail "coordinator status RUNNING is '$got', not 'yes' after 60s"
    sleep 0.1
  done
}

ipc_before=$(ipc_objects)
# What the program (or occupy_key) made and left: removed when the test ends.
remove_new_ipc() {
  local kind id key
  while read -r kind id key; do
    [[ -n $kind ]] && ! grep -qxF "$kind $id $key" <<<"$ipc_before" && ipcrm -"$kind" "$id"
  done <<<"$(ipc_objects)"
  return 0
}
if [[ -n $remove_ipc ]] || grep -qsE "sys/ipc.h|IPC::SysV" "${src:-$real}"; then on_exit remove_new_ipc; fi
start_coordinator --exit-on-last
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" --join \
  "${LAUNCH_ARGS[@]}" "${cmd[@]}"
wait_line "$out" "$READY|^FAIL" 60 "$PID"
no_failure "before the first checkpoint"
program_pid=$PID # dmtcp_launch execs the program

if [[ -n $refused ]]; then
  msg=$(dc --bcheckpoint 2>&1) && fail "the checkpoint of $prog succeeded; it must be refused ($refused)"
  [[ $msg =~ $refused ]] || fail "the checkpoint was refused, but not saying /$refused/: $msg"
  log "refused as expected: $msg"
  [[ ! -e $CKPT/dmtcp_restart_script.sh ]] || fail "a refused checkpoint left a restart script"
else
  for ((round = 1; round <= ROUNDS; round++)); do
    checkpoint_blocking
    no_failure "after checkpoint $round"
    # A second checkpoint a few ticks later: incremental (it refers to the first for the memory
    # that did not change), and the restart is from it.
    if [[ -z $one_checkpoint ]]; then
      sleep 0.1
      checkpoint_blocking
      no_failure "after the second checkpoint of round $round"
    else
      log "one checkpoint a round: $one_checkpoint"
    fi
    sleep "$RUN_ON"
    kill_program "$PID"
    wait_gone "$COORD_PID" "the --exit-on-last coordinator"
    if [[ -n $remove_files ]]; then
      # shellcheck disable=SC2206 # the glob is meant to expand
      files=(${remove_files//\{pid\}/$program_pid})
      [[ -e ${files[0]} ]] || fail "$prog left no file matching ${remove_files//\{pid\}/$program_pid}"
      rm -f "${files[@]}" || fail "cannot remove ${files[*]}"
      log "removed ${#files[@]} files: ${files[*]:0:3} ... (a node that never saw them)"
    fi
    if [[ -n $unlink_mqueues ]]; then
      queues=$(sed -n 's|^mqueue \(/.*\)|\1|p' "$out" | sort -u)
      [[ -n $queues ]] || fail "$prog named no POSIX message queue"
      for name in $queues; do
        python3 -c 'import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
sys.exit(libc.mq_unlink(sys.argv[1].encode()) != 0)' "$name" || fail "cannot remove POSIX message queue $name"
      done
      log "removed POSIX message queues $queues (a new node)"
    fi
    if [[ -n $remove_ipc ]]; then
      removed=0
      keys=()
      while read -r kind id key; do
        [[ -n $kind ]] || continue
        grep -qxF "$kind $id $key" <<<"$ipc_before" && continue
        ipcrm -"$kind" "$id" || fail "cannot remove System V object $kind $id"
        removed=$((removed + 1))
        [[ $key == 0x00000000 ]] || keys+=("$kind $key")
      done <<<"$(ipc_objects)"
      ((removed > 0)) || fail "$prog left no System V object to remove after the kill"
      log "removed the $removed System V objects $prog had made (a new node)"
      if [[ -n $occupy_keys ]]; then
        ((${#keys[@]} > 0)) || fail "$prog had no object under a key to occupy"
        for k in "${keys[@]}"; do occupy_key $k || fail "cannot occupy $k"; done
        log "other objects took the keys ${keys[*]}"
      fi
    fi
    restart_script
    start_coordinator --exit-on-last
    start_bg PID "$T/restart$round.out" "$T/restart$round.err" "$RS" -h "$COORD_HOST" -p "$PORT"
    wait_running "after restart $round" "$T/restart$round.err"
    sleep 0.2 # a few ticks of the program's own checks
    no_failure "after restart $round"
    log "round $round: checkpointed, killed, restarted"
  done
fi
touch "$CONFORMANCE_DONE"
wait_exit "$PID" 60
no_failure "at its end"
assert_rc "$WAIT_RC" 0 "$prog"
if [[ -n $real ]]; then
  check
else
  [[ $(tail -n 1 "$out") == PASS ]] || fail "$prog ended without PASS: $(tail -n 3 "$out")"
fi
log "$prog: PASS in mode $mode"
