#!/usr/bin/env bash
# stdout_pipe.sh
#
# `dmtcp_launch counter | cat > first.txt`: stdout is a pipe. Blocking checkpoint mid-run, a few
# more lines, kill -9 (counter and cat), then restart with the restart script and stdout to
# second.txt: a pipe is not reopened, the restarted process writes to the restart command's
# stdout. Checks: the restarted output starts at some line k+1 and is exactly lines k+1..N of an
# uninterrupted run; k lies between the last line seen before the checkpoint was requested and the
# last line written before the kill; first.txt is a prefix of the uninterrupted run; so lines 1..k
# of first.txt followed by second.txt are exactly the uninterrupted run.
#
# stdout_pipe.sh dup: the counter also has the pipe on descriptor 63 (as a shell's `> >(cmd)`
# leaves /dev/fd/63): both descriptors must become the restart command's stdout, not a pipe
# without reader that kills the counter with SIGPIPE.
. "$(dirname "$0")/lib.sh"
MODE=${1:-plain}
e2e_init "stdout-pipe-$MODE"

N=300
DELAY=30
first=$T/run/first.txt
second=$T/run/second.txt
expected=$T/expected.txt

"$DMTCP_EXAMPLES/counter" "$N" 0 >"$expected" || fail "counter without dmtcp failed"

start_coordinator
if [[ $MODE == dup ]]; then
  # shellcheck disable=SC2016  # expanded by the inner shell
  inner='"$1" -h "$2" -p "$3" --join "$4" "$5" "$6" 63>&1 | cat >"$7"'
else
  # shellcheck disable=SC2016
  inner='"$1" -h "$2" -p "$3" --join "$4" "$5" "$6" | cat >"$7"'
fi
start_bg LPID /dev/null "$T/launch.err" bash -c "$inner" \
  pipeline "$DMTCP_BIN/dmtcp_launch" "$COORD_HOST" "$PORT" "$DMTCP_EXAMPLES/counter" "$N" \
  "$DELAY" "$first"
wait_line "$first" '^count 30 ' "" "$LPID"
wait_peers 1
before=$(last_num "$first" count)
checkpoint_blocking
single_image 'ckpt_counter_*.dmtcp'
at=$(last_num "$first" count)
wait_line "$first" "^count $((at + 5)) " "" "$LPID"
kill_program "$LPID"
killed_at=$(last_num "$first" count)
((killed_at < N)) || fail "counter finished before it was killed"
log "checkpoint requested after line $before, killed after line $killed_at"
wait_peers 0

restart_script
start_bg RPID "$second" "$T/restart.err" "$RS" -h "$COORD_HOST" -p "$PORT"
wait_exit "$RPID" 90
assert_rc "$WAIT_RC" 0 "restarted counter"

first_line=$(head -n 1 "$second")
[[ $first_line =~ ^count\ ([0-9]+)\  ]] ||
  fail "restarted output does not start with a counter line: '$first_line'"
k=$((BASH_REMATCH[1] - 1))
log "restarted output starts at line $((k + 1))"
((k >= before && k <= killed_at)) ||
  fail "restart resumed after line $k, outside [$before, $killed_at] (the checkpoint window)"

tail -n "+$((k + 1))" "$expected" >"$T/expected-second.txt"
assert_same "$T/expected-second.txt" "$second" "output of the restarted counter"
head -n "$(wc -l <"$first")" "$expected" >"$T/expected-first.txt"
assert_same "$T/expected-first.txt" "$first" "output before the kill"
{ head -n "$k" "$first"; cat "$second"; } >"$T/joined.txt"
assert_same "$expected" "$T/joined.txt" "lines 1..$k before the kill + output after restart"
assert_group_gone "$RPID" "after the restarted counter exited"
