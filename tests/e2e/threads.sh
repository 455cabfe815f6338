#!/usr/bin/env bash
# threads.sh
#
# `threads` (8 threads with __thread state, a mutex-protected shared total, barriers) launched
# with stdout to a file; blocking checkpoint mid-run, kill -9, restart with the generated restart
# script. Its output (per-round totals, per-thread TLS checksums, the total and its closed-form
# check) must equal an uninterrupted run's exactly, and it must exit 0 (a thread that finds its
# TLS wrong after restart exits 3).
. "$(dirname "$0")/lib.sh"
e2e_init threads

ROUNDS=150
DELAY=25
out=$T/run/out.txt
expected=$T/expected.txt

"$DMTCP_EXAMPLES/threads" "$ROUNDS" 0 >"$expected" || fail "threads without dmtcp failed"
grep -qx 'check ok' "$expected" || fail "threads without dmtcp did not print 'check ok'"
[[ $(grep -c '^thread [0-7] tls ' "$expected") -eq 8 ]] || fail "threads printed no 8 TLS sums"

start_coordinator
start_bg LPID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$DMTCP_EXAMPLES/threads" "$ROUNDS" "$DELAY"
wait_line "$out" '^round 20 ' "" "$LPID"
wait_peers 1
if [[ -n ${DMTCP_SIGCKPT:-} ]]; then
  # The runtime must catch the signal it was given (and only then take it for checkpoints).
  caught=$(awk '/^SigCgt:/ {print $2}' "/proc/$LPID/status")
  (((0x$caught >> (DMTCP_SIGCKPT - 1)) & 1)) ||
    fail "signal $DMTCP_SIGCKPT is not caught by the launched program (SigCgt $caught)"
fi
checkpoint_blocking
single_image 'ckpt_threads_*.dmtcp'
at=$(last_num "$out" round)
wait_line "$out" "^round $((at + 5)) " "" "$LPID"
kill_program "$LPID"
killed_at=$(last_num "$out" round)
((killed_at < ROUNDS)) || fail "threads finished before it was killed"
log "checkpoint near round $at, killed after round $killed_at"
wait_peers 0

restart_script
start_bg RPID "$T/restart.out" "$T/restart.err" "$RS" -h "$COORD_HOST" -p "$PORT"
wait_exit "$RPID" 90
assert_rc "$WAIT_RC" 0 "restarted threads"
assert_same "$expected" "$out" "stdout file after restart"
assert_group_gone "$RPID" "after the restarted program exited"
