#!/usr/bin/env bash
# loader_lock.sh
#
# e2e_loader_lock (tests/e2e/loader_lock.c) holds the dynamic loader's lock with a thread that has
# ended, and another thread's dlopen waits on it: the state of an image that saved a loader call
# no thread of the restarted process will finish. Checkpoint, kill, restart: the restart must
# release the lock and say so (instead of a process that hangs in its next dlopen or at exit),
# the waiting thread's dlopen and a new one must return, and the program must exit 0.
. "$(dirname "$0")/lib.sh"
e2e_init loader-lock

start_coordinator --exit-on-last
start_bg LPID "$T/run/out.txt" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" \
  -h "$COORD_HOST" -p "$PORT" --join "$E2E_LOADER_LOCK"
wait_line "$T/run/out.txt" '^(orphaned|FAIL)' 30 "$LPID"
grep -q '^FAIL' "$T/run/out.txt" && fail "$(cat "$T/run/out.txt")"
checkpoint_blocking
kill_program "$LPID"
wait_gone "$COORD_PID" "the --exit-on-last coordinator"

restart_script
start_coordinator --exit-on-last
start_bg RPID "$T/restart.out" "$T/restart.err" "$RS" -h "$COORD_HOST" -p "$PORT"
wait_line "$T/restart.err" 'released a dynamic loader lock' 30 "$RPID"
touch "$T/run/go"
wait_exit "$RPID" 60
assert_rc "$WAIT_RC" 0 "the restarted program"
printf 'orphaned\ndlopen ok\nwaiter done\n' >"$T/expected.txt"
assert_same "$T/expected.txt" "$T/run/out.txt" "the program's output"
log "the restart released the orphaned loader lock; both dlopens returned"
