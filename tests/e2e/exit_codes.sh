#!/usr/bin/env bash
# exit_codes.sh
#
# The exit code of a program run under dmtcp_launch passes through unchanged, and so does its
# stdout: true -> 0, false -> 1, `sh -c 'echo hello; exit 7'` -> 7 with "hello" on stdout,
# a program killed by SIGKILL -> 137 (as the shell reports it without dmtcp); also when the
# coordinator is given only by DMTCP_COORD_HOST/DMTCP_COORD_PORT.
. "$(dirname "$0")/lib.sh"
e2e_init exit-codes

start_coordinator

# run_launch WANT CMD...
run_launch() {
  local want=$1 rc=0
  shift
  timeout 30 "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" --join "$@" \
    >"$T/l.out" 2>"$T/l.err" </dev/null || rc=$?
  ((rc != 124)) || fail "dmtcp_launch $* did not finish within 30 s"
  assert_rc "$rc" "$want" "dmtcp_launch $*"
  log "dmtcp_launch $* -> $rc"
}

run_launch 0 true
run_launch 1 false
run_launch 7 sh -c 'echo hello; exit 7'
[[ $(cat "$T/l.out") == hello ]] || fail "stdout of the program: '$(cat "$T/l.out")', not 'hello'"
# shellcheck disable=SC2016  # $$ is the inner shell's
run_launch 137 sh -c 'kill -KILL $$'

# No option at all: the coordinator comes from DMTCP_COORD_HOST/DMTCP_COORD_PORT.
rc=0
DMTCP_COORD_HOST=$COORD_HOST DMTCP_COORD_PORT=$PORT timeout 30 "$DMTCP_BIN/dmtcp_launch" \
  sh -c 'exit 3' >"$T/l.out" 2>"$T/l.err" </dev/null || rc=$?
assert_rc "$rc" 3 "DMTCP_COORD_PORT=$PORT dmtcp_launch sh -c 'exit 3'"
wait_peers 0
