#!/usr/bin/env bash
# plugin_wrappers.sh
#
# Two plugins wrapping the same calls: examples/plugins/sleep_wrapper.c built twice, as
# sleep_wrapper_a.so (tag A) and sleep_wrapper_b.so (tag B). Each logs "<TAG> sleep <s> enter
# <ns>", calls NEXT_FNC(sleep), and logs "<TAG> sleep <s> leave <ns> rc=<rc>" (likewise usleep);
# its event hook logs "<TAG> INIT" and "<TAG> EXIT". The test program plugin_sleeper calls
# sleep(1) and usleep(300000) once. For each way of loading the plugins:
#   --with-plugin A:B        A INIT, B INIT, A enter, B enter, B leave, A leave (sleep, then
#                            usleep), B EXIT, A EXIT: wrappers and INIT in load order, EXIT in
#                            reverse load order;
#   --with-plugin B:A        the same with A and B swapped;
#   DMTCP_PLUGIN=A:B (env)   as --with-plugin A:B;
# the log must hold exactly these lines, all from the program's main thread; the innermost
# wrapper must have seen the real call take >= 1 s (sleep) and >= 300 ms (usleep), the program
# must report the same (sleep_rc=0, usleep_rc=0) and exit 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/plugin_lib.sh"
e2e_init plugin-wrappers

A=$DMTCP_PLUGIN_DIR/sleep_wrapper_a.so
B=$DMTCP_PLUGIN_DIR/sleep_wrapper_b.so
sleeper=$DMTCP_TEST_PLUGINS/plugin_sleeper
need "$A" "$B" "$sleeper"

# expected FIRST SECOND  The log lines (without pid, tid and times) for load order FIRST:SECOND.
expected() {
  local f=$1 s=$2
  printf '%s\n' "$f INIT" "$s INIT" \
    "$f sleep 1 enter" "$s sleep 1 enter" "$s sleep 1 leave rc=0" "$f sleep 1 leave rc=0" \
    "$f usleep 300000 enter" "$s usleep 300000 enter" "$s usleep 300000 leave rc=0" \
    "$f usleep 300000 leave rc=0" "$s EXIT" "$f EXIT"
}

# check_run NAME FIRST SECOND  Checks $T/NAME.log and $T/NAME.out of one run.
check_run() {
  local name=$1 first=$2 second=$3 logf=$T/$1.log pid
  pid=$(awk 'NR == 1 { print $1 }' "$logf")
  [[ -n $pid ]] || fail "$name: nothing logged"
  # Every line from the program's main thread (tid = pid): the runtime's own calls must not go
  # through the program's wrappers.
  awk -v p="$pid" '$1 != p || $2 != p { bad = 1; print } END { exit bad }' "$logf" >"$T/$name.other" ||
    fail "$name: wrapper lines from another process or thread: $(head -n 3 "$T/$name.other")"
  sed -E 's/^[0-9]+ [0-9]+ //; s/ (enter|leave) [0-9]+/ \1/' "$logf" >"$T/$name.events"
  expected "$first" "$second" >"$T/$name.expected"
  assert_same "$T/$name.expected" "$T/$name.events" "$name: wrapper log"
  # The innermost wrapper (SECOND) timed the real call.
  local call min enter leave
  for call in "sleep 1:1000000000" "usleep 300000:300000000"; do
    min=${call##*:}
    call=${call%:*}
    enter=$(awk -v t="$second" -v c="$call" '$3 == t && $4 " " $5 == c && $6 == "enter" { print $7 }' "$logf")
    leave=$(awk -v t="$second" -v c="$call" '$3 == t && $4 " " $5 == c && $6 == "leave" { print $7 }' "$logf")
    [[ $enter =~ ^[0-9]+$ && $leave =~ ^[0-9]+$ ]] || fail "$name: no times for $second $call"
    ((leave - enter >= min)) ||
      fail "$name: $second saw $call take $(((leave - enter) / 1000000)) ms, less than $((min / 1000000)) ms"
    log "$name: $call took $(((leave - enter) / 1000000)) ms inside $second"
  done
  local line ms ums
  line=$(head -n 1 "$T/$name.out")
  [[ $line =~ ^tick\ 1\ sleep_rc=0\ sleep_ms=([0-9]+)\ usleep_rc=0\ usleep_ms=([0-9]+)$ ]] ||
    fail "$name: program printed '$line'"
  ms=${BASH_REMATCH[1]}
  ums=${BASH_REMATCH[2]}
  ((ms >= 1000 && ums >= 300)) || fail "$name: the program slept ${ms} ms and ${ums} ms"
  [[ $(sed -n 2p "$T/$name.out") == "done" && $(wc -l <"$T/$name.out") -eq 2 ]] ||
    fail "$name: program output is not 'tick 1 ...', 'done'"
}

start_coordinator

export DMTCP_EVENT_LOG=$T/ab.log
launch_plugins P "$T/ab.out" "$T/ab.err" "$A:$B" "$sleeper" 1 1 300000
wait_exit "$P"
assert_rc "$WAIT_RC" 0 "plugin_sleeper with A:B"
check_run ab A B

export DMTCP_EVENT_LOG=$T/ba.log
launch_plugins P "$T/ba.out" "$T/ba.err" "$B:$A" "$sleeper" 1 1 300000
wait_exit "$P"
assert_rc "$WAIT_RC" 0 "plugin_sleeper with B:A"
check_run ba B A

export DMTCP_EVENT_LOG=$T/env.log
start_bg P "$T/env.out" "$T/env.err" env "DMTCP_PLUGIN=$A:$B" "$DMTCP_BIN/dmtcp_launch" \
  -h "$COORD_HOST" -p "$PORT" --join "$sleeper" 1 1 300000
wait_exit "$P"
assert_rc "$WAIT_RC" 0 "plugin_sleeper with DMTCP_PLUGIN=A:B"
check_run env A B

# Control: without plugins nothing is logged and the program runs the same.
export DMTCP_EVENT_LOG=$T/none.log
start_bg P "$T/none.out" "$T/none.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$sleeper" 1 1 300000
wait_exit "$P"
assert_rc "$WAIT_RC" 0 "plugin_sleeper without plugins"
[[ ! -e $T/none.log ]] || fail "a wrapper logged without plugins: $(head -n 3 "$T/none.log")"
wait_peers 0
