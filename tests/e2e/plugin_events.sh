#!/usr/bin/env bash
# plugin_events.sh v3|v2chain
#
# Which events a plugin receives, on which thread, in which order, over a launch, a checkpoint
# and a restart. `counter` runs under the runtime with
#   v3       examples/plugins/event_logger.so (DMTCP 3 style: descriptor + DMTCP_DECL_PLUGIN),
#   v2chain  tests/plugins/v2_logger_{a,b}.so (DMTCP 2 style dmtcp_event_hook, each passing the
#            event on with DMTCP_NEXT_EVENT_HOOK): on every thread each event must reach A, then
#            B, with the same data; A's events are then checked like event_logger's;
# logging "<pid> <tid> <EVENT>[ isRestart=<n>][ thread=<tid>]" to $DMTCP_EVENT_LOG. We take a
# blocking checkpoint, kill -9, restart from the restart script and let the counter finish. The
# log must hold exactly:
#   launch pid, main thread (tid = pid):  INIT
#   launch pid, one other thread (the checkpoint thread):  PRESUSPEND
#     PRE_SUSPEND_USER_THREAD{thread=main} THREADS_SUSPEND LEADER_ELECTION DRAIN PRECHECKPOINT
#     WRITE_CKPT RESUME REGISTER_NAME_SERVICE_DATA{0} SEND_QUERIES{0} REFILL{0} THREADS_RESUME{0}
#     THREAD_RESUME{0,thread=main} RESUME_USER_THREAD{0,thread=main} RUNNING
#   restarted process (getpid(): the launch pid if pids are virtual, else its new kernel pid;
#   `dmtcp_command -l` must list the same), the thread of RESTART:  RESTART
#     REGISTER_NAME_SERVICE_DATA{1} SEND_QUERIES{1} REFILL{1} THREADS_RESUME{1}
#     THREAD_RESUME{1,thread=program's} RESUME_USER_THREAD{1,thread=program's} RUNNING
#   restarted process, the program's thread:  EXIT
# with INIT the first line, RESTART the first after the kill and EXIT the last. The per-thread
# events run on the checkpoint thread and name the program's thread (its kernel tid there): no
# hook runs in a stopped thread's signal handler. The counter's output must equal an
# uninterrupted run's (the plugin changes nothing) and the exit code is 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/plugin_lib.sh"

mode=${1:-v3}
[[ $mode == v3 || $mode == v2chain ]] || { echo "usage: $0 v3|v2chain" >&2; exit 2; }
e2e_init "plugin-events-$mode"

if [[ $mode == v3 ]]; then
  plugins=$DMTCP_PLUGIN_DIR/event_logger.so
  need "$plugins"
else
  need "$DMTCP_TEST_PLUGINS/v2_logger_a.so" "$DMTCP_TEST_PLUGINS/v2_logger_b.so"
  plugins=$DMTCP_TEST_PLUGINS/v2_logger_a.so:$DMTCP_TEST_PLUGINS/v2_logger_b.so
fi
raw=$T/raw.log      # what the plugins wrote
events=$T/events.log # "<pid> <tid> <EVENT>[ isRestart=<n>]"
export DMTCP_EVENT_LOG=$raw

N=200
DELAY=50
out=$T/run/out.txt
"$DMTCP_EXAMPLES/counter" "$N" 0 >"$T/native.txt" || fail "counter without dmtcp failed"

# v2chain: event number -> name, from the enum of the header the plugins were built with.
event_names() {
  local h=$E2E_ROOT/runtime/include/dmtcp.h body
  body=$(sed -n '/^typedef enum eDmtcpEvent {/,/nDmtcpEvents/p' "$h")
  [[ -n $body ]] || fail "no event enum in $h"
  ! grep -q '=' <<<"$body" || fail "the event enum of $h assigns values: update this test"
  grep -o 'DMTCP_EVENT_[A-Z_]*' <<<"$body" | sed 's/^DMTCP_EVENT_//'
}

# normalize IN OUT  Turns a raw log into "<pid> <tid> <EVENT>[ isRestart=<n>]" lines. v2chain:
# on each thread, every A line must be followed by the B line of the same event and data before
# anything else happens on that thread.
normalize() {
  if [[ $mode == v3 ]]; then
    cp "$1" "$2"
    return
  fi
  local names
  names=$(event_names | tr '\n' ' ')
  awk -v names="$names" '
    BEGIN { n = split(names, name, " ") }
    function bad(msg) { print "line " NR ": " msg ": " $0 > "/dev/stderr"; err = 1; exit 1 }
    {
      tid = $2; tag = $3; ev = $4
      rest = ""; for (i = 5; i <= NF; i++) rest = rest " " $i
      if (ev !~ /^[0-9]+$/ || ev + 1 > n) bad("bad event number")
      key = $1 " " tid " " name[ev + 1] rest
      if (tag == "A") {
        if (tid in pending) bad("A again before B saw the previous event on this thread")
        pending[tid] = key
      } else if (tag == "B") {
        if (!(tid in pending)) bad("B got an event A did not get first")
        if (pending[tid] != key) bad("B got " key ", A got " pending[tid])
        delete pending[tid]
        print key
      } else bad("unknown tag")
    }
    END { if (err) exit 1; for (t in pending) { print "thread " t ": B never got " pending[t] > "/dev/stderr"; exit 1 } }
  ' "$1" >"$2" 2>"$T/normalize.err" || fail "hook chain A -> B broken: $(cat "$T/normalize.err")"
}

# thread_events FILE PID TID  The events of PID on thread TID, one a line, without pid and tid.
thread_events() {
  awk -v p="$2" -v t="$3" '$1 == p && $2 == t { sub(/^[0-9]+ [0-9]+ /, ""); print }' "$1"
}
tids_of() { awk -v p="$2" '$1 == p && !seen[$2]++ { print $2 }' "$1"; }

# wait_event PID EVENT REST  Waits for the line of EVENT (with REST after it) of process PID in
# the raw log (v2chain: B's line, B being called last).
wait_event() {
  local re
  if [[ $mode == v3 ]]; then
    re="^$1 [0-9]+ $2$3\$"
  else
    local num
    num=$(event_names | grep -nx -- "$2" | cut -d: -f1)
    [[ -n $num ]] || fail "no event $2 in dmtcp.h"
    re="^$1 [0-9]+ B $((num - 1))$3\$"
  fi
  wait_line "$raw" "$re" "" "$1"
}

expect_thread() { # FILE PID TID WHAT EXPECTED
  local got
  got=$(thread_events "$1" "$2" "$3")
  [[ $got == "$5" ]] || fail "$4 (pid $2, thread $3): events
$(printf '%s\n' "$got" | sed 's/^/    /')
  expected
$(printf '%s\n' "$5" | sed 's/^/    /')"
}

# ckpt_seq MAIN_TID, restart_seq PROGRAM_TID: the checkpoint thread's events.
ckpt_seq() {
  printf '%s\n' PRESUSPEND "PRE_SUSPEND_USER_THREAD thread=$1" THREADS_SUSPEND LEADER_ELECTION \
    DRAIN PRECHECKPOINT WRITE_CKPT RESUME 'REGISTER_NAME_SERVICE_DATA isRestart=0' \
    'SEND_QUERIES isRestart=0' 'REFILL isRestart=0' 'THREADS_RESUME isRestart=0' \
    "THREAD_RESUME isRestart=0 thread=$1" "RESUME_USER_THREAD isRestart=0 thread=$1" RUNNING
}
restart_seq() {
  printf '%s\n' RESTART 'REGISTER_NAME_SERVICE_DATA isRestart=1' 'SEND_QUERIES isRestart=1' \
    'REFILL isRestart=1' 'THREADS_RESUME isRestart=1' "THREAD_RESUME isRestart=1 thread=$1" \
    "RESUME_USER_THREAD isRestart=1 thread=$1" RUNNING
}

start_coordinator
launch_plugins LPID "$out" "$T/launch.err" "$plugins" "$DMTCP_EXAMPLES/counter" "$N" "$DELAY"
wait_line "$out" '^count 10 ' "" "$LPID"
wait_peers 1
checkpoint_blocking
# The resume events may still be on their way when the images are written.
wait_event "$LPID" RESUME_USER_THREAD " isRestart=0 thread=$LPID"
wait_event "$LPID" RUNNING ''
at=$(last_num "$out" count)
wait_line "$out" "^count $((at + 3)) " "" "$LPID"
kill_program "$LPID"
wait_peers 0
cp "$raw" "$T/launch-only.log"

restart_script
start_bg RPID "$T/restart.out" "$T/restart.err" "$RS" -h "$COORD_HOST" -p "$PORT"
wait_peers 1
mapfile -t listed < <(listed_pids)
((${#listed[@]} == 1)) || fail "dmtcp_command -l lists ${#listed[@]} processes after restart"
# The kernel's pid of the restarted process: the one writing to the output file.
deadline=$((SECONDS + E2E_WAIT))
until KPID=$(pids_writing "$out") && [[ -n $KPID ]]; do
  ((SECONDS < deadline)) || fail "no restarted process writes to $out"
  sleep 0.05
done
[[ $KPID =~ ^[0-9]+$ ]] || fail "several processes write to $out: $KPID"
[[ $KPID != "$LPID" ]] || fail "the restarted process has the launch pid $LPID as kernel pid"
log "launched as pid $LPID; restarted as kernel pid $KPID, listed as pid ${listed[0]}"
wait_exit "$RPID" 90
assert_rc "$WAIT_RC" 0 "restarted counter"
assert_same "$T/native.txt" "$out" "counter output after restart"

launch=$T/launch.events
restart=$T/restart.events
normalize "$T/launch-only.log" "$launch"
normalize "$raw" "$events"
log "event log:"
sed 's/^/    /' "$events" >&2
n=$(wc -l <"$launch")
head -n "$n" "$events" | cmp -s - "$launch" || fail "the log changed after the launched process was killed"
tail -n "+$((n + 1))" "$events" >"$restart"

# Launch and checkpoint: the main thread and the checkpoint thread.
[[ $(awk '!seen[$1]++ { print $1 }' "$launch") == "$LPID" ]] ||
  fail "events before the kill name processes other than $LPID"
[[ $(head -n 1 "$launch") == "$LPID $LPID INIT" ]] ||
  fail "first line is '$(head -n 1 "$launch")', expected INIT on the main thread of pid $LPID"
mapfile -t tids < <(tids_of "$launch" "$LPID")
((${#tids[@]} == 2)) && [[ ${tids[0]} == "$LPID" ]] ||
  fail "launched process: events on threads ${tids[*]}, expected the main thread $LPID and one more"
ckpt_tid=${tids[1]}
expect_thread "$launch" "$LPID" "$LPID" "launched process, main thread" 'INIT'
expect_thread "$launch" "$LPID" "$ckpt_tid" "launched process, checkpoint thread" \
  "$(ckpt_seq "$LPID")"

# Restart: getpid() is the launch pid (virtual pids) or the new kernel pid, and what -l lists.
vpid=$(awk 'NR == 1 { print $1 }' "$restart")
[[ $(awk '!seen[$1]++ { print $1 }' "$restart") == "$vpid" ]] ||
  fail "the restarted process logged several pids: $(awk '!seen[$1]++ { print $1 }' "$restart" | tr '\n' ' ')"
[[ $vpid == "$LPID" || $vpid == "$KPID" ]] ||
  fail "restarted process: getpid() $vpid is neither the launch pid $LPID nor the kernel pid $KPID"
[[ $vpid == "${listed[0]}" ]] || fail "restarted process: logs pid $vpid, -l lists ${listed[0]}"
[[ $(head -n 1 "$restart" | cut -d' ' -f3-) == RESTART ]] ||
  fail "the first event after the restart is not RESTART: $(head -n 1 "$restart")"
mapfile -t tids < <(tids_of "$restart" "$vpid")
((${#tids[@]} == 2)) || fail "restarted process: events on ${#tids[@]} threads (${tids[*]}), expected 2"
rs_tid=${tids[0]}
user_tid=${tids[1]}
expect_thread "$restart" "$vpid" "$rs_tid" "restarted process, checkpoint thread" \
  "$(restart_seq "$user_tid")"
expect_thread "$restart" "$vpid" "$user_tid" "restarted process, program thread" 'EXIT'
[[ $(tail -n 1 "$restart") == "$vpid $user_tid EXIT" ]] || fail "EXIT is not the last event"
assert_group_gone "$RPID" "after the restarted counter exited"
