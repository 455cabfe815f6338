#!/usr/bin/env bash
# counter.sh script|direct
#
# Launch `counter` with stdout redirected to a file, take a blocking checkpoint mid-run, let it
# write a few more lines, kill -9 the whole process tree, and restart:
#   script  with the generated dmtcp_restart_script.sh (stdout opened with `>`)
#   direct  with `dmtcp_restart --join <image>` (stdout opened with `>>` after a header line)
# Stdout is a regular file, so the restarted process reopens it at its path and never truncates
# it. With `>` it goes back to its checkpoint offset and rewrites the lines written after the
# checkpoint identically: the file must equal an uninterrupted run's output. With `>>` (O_APPEND,
# as in a Slurm job's output file) it keeps appending: the file must hold every line written
# before the kill, then exactly the lines from the checkpointed step on. Exit 0 either way.
. "$(dirname "$0")/lib.sh"

mode=${1:-script}
[[ $mode == script || $mode == direct ]] || { echo "usage: $0 script|direct" >&2; exit 2; }
e2e_init "counter-$mode"

N=300
DELAY=30
out=$T/run/out.txt
expected=$T/expected.txt

"$DMTCP_EXAMPLES/counter" "$N" 0 >"$T/native.txt" || fail "counter without dmtcp failed"
[[ $(wc -l <"$T/native.txt") -eq $N && $(head -n 1 "$T/native.txt") == "count 1 1" ]] ||
  fail "counter without dmtcp printed unexpected output"

start_coordinator
if [[ $mode == direct ]]; then
  printf 'header written before launch\n' >"$out"
  start_bg LPID ">>$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
    --join "$DMTCP_EXAMPLES/counter" "$N" "$DELAY"
else
  cp "$T/native.txt" "$expected"
  start_bg LPID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
    --join "$DMTCP_EXAMPLES/counter" "$N" "$DELAY"
fi

wait_line "$out" '^count 30 ' "" "$LPID"
wait_peers 1
pre=$(last_num "$out" count)  # the checkpoint captures this line or a later one
checkpoint_blocking
single_image 'ckpt_counter_*.dmtcp'
log "image $IMG ($(stat -c %s "$IMG") bytes)"
at=$(last_num "$out" count)
wait_line "$out" "^count $((at + 5)) " "" "$LPID"
kill_program "$LPID"
killed_at=$(last_num "$out" count)
((killed_at < N)) || fail "counter finished before it was killed (checkpoint too slow?)"
log "checkpoint near line $at, killed after line $killed_at"
wait_peers 0

if [[ $mode == script ]]; then
  restart_script
  start_bg RPID "$T/restart.out" "$T/restart.err" "$RS" -h "$COORD_HOST" -p "$PORT"
else
  start_bg RPID "$T/restart.out" "$T/restart.err" "$DMTCP_BIN/dmtcp_restart" \
    -h "$COORD_HOST" -p "$PORT" --join "$IMG"
fi
wait_exit "$RPID" 90
assert_rc "$WAIT_RC" 0 "restarted counter"
if [[ $mode == direct ]]; then
  # The first line after the pre-kill ones tells the checkpointed step c+1.
  resumed=$(sed -n "$((killed_at + 2))s/^count \([0-9]*\) .*/\1/p" "$out")
  [[ -n $resumed ]] || fail "no output appended after restart"
  ((resumed >= pre + 1 && resumed <= killed_at + 1)) ||
    fail "restart resumed at line $resumed, outside [$((pre + 1)), $((killed_at + 1))]"
  { printf 'header written before launch\n'
    head -n "$killed_at" "$T/native.txt"
    tail -n "+$resumed" "$T/native.txt"; } >"$expected"
fi
assert_same "$expected" "$out" "stdout file after restart"
assert_group_gone "$RPID" "after the restarted counter exited"
single_image 'ckpt_counter_*.dmtcp'
wait_peers 0
