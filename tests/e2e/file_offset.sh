#!/usr/bin/env bash
# file_offset.sh
#
# `filewriter FILE` opens FILE with O_WRONLY|O_CREAT|O_TRUNC and writes "line i" records. Take a
# blocking checkpoint mid-run, let it write more, kill -9, restart with the restart script. The
# restarted process must reopen FILE at its checkpoint offset without truncating it (a reopen with
# the original O_TRUNC would lose the first lines): FILE must end up exactly "line 1".."line N",
# and the program's stdout file exactly "done N".
. "$(dirname "$0")/lib.sh"
e2e_init file-offset

N=300
DELAY=30
data=$T/run/data.txt
expected=$T/expected.txt
for ((i = 1; i <= N; i++)); do printf 'line %d\n' "$i"; done >"$expected"

start_coordinator
start_bg LPID "$T/run/stdout.txt" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" \
  -h "$COORD_HOST" -p "$PORT" --join "$DMTCP_EXAMPLES/filewriter" "$data" "$N" "$DELAY"
wait_line "$data" '^line 30$' "" "$LPID"
wait_peers 1
checkpoint_blocking
single_image 'ckpt_filewriter_*.dmtcp'
at=$(last_num "$data" line)
wait_line "$data" "^line $((at + 5))$" "" "$LPID"
kill_program "$LPID"
killed_at=$(last_num "$data" line)
((killed_at < N)) || fail "filewriter finished before it was killed"
log "checkpoint near line $at, killed after line $killed_at"
wait_peers 0

restart_script
start_bg RPID "$T/restart.out" "$T/restart.err" "$RS" -h "$COORD_HOST" -p "$PORT"
wait_exit "$RPID" 90
assert_rc "$WAIT_RC" 0 "restarted filewriter"
assert_same "$expected" "$data" "file written across the restart"
printf 'done %d\n' "$N" >"$T/expected-stdout.txt"
assert_same "$T/expected-stdout.txt" "$T/run/stdout.txt" "filewriter's stdout file"
assert_group_gone "$RPID" "after the restarted filewriter exited"
