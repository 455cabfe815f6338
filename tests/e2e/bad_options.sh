#!/usr/bin/env bash
# bad_options.sh
#
# Command lines that must be refused, each within 20 s, with a message on stderr and no crash:
#   - an unknown option to dmtcp_launch, dmtcp_command, dmtcp_restart, dmtcp_coordinator
#     (non-zero exit below 128; the coordinator must not start serving);
#   - dmtcp_launch without a program, dmtcp_restart without an image, dmtcp_launch
#     --checkpoint-folder of a missing folder (non-zero; the program not run);
#   - dmtcp_command -s against a port where nothing listens: exit 99 (42 with DMTCP_FAIL_RC=42);
#   - dmtcp_launch --join -p <dead port> true: exit 99 (42 with DMTCP_FAIL_RC=42), `true` not run;
# and `--help` of each command exits 0 and prints a usage text on stdout.
. "$(dirname "$0")/lib.sh"
e2e_init bad-options

# expect_refused WHAT CMD...  non-zero exit (< 128, not a timeout) and something on stderr.
expect_refused() {
  local what=$1 rc=0
  shift
  timeout 20 "$@" >"$T/o.out" 2>"$T/o.err" </dev/null || rc=$?
  ((rc != 0)) || fail "$what: exit code 0"
  ((rc != 124)) || fail "$what: did not finish within 20 s"
  ((rc < 128)) || fail "$what: crashed (exit $rc)"
  [[ -s $T/o.err ]] || fail "$what: exit $rc but no message on stderr"
  log "$what -> $rc: $(head -n 1 "$T/o.err")"
}

# expect_rc WANT WHAT CMD...  exit code WANT and something on stderr.
expect_rc() {
  local want=$1 what=$2 rc=0
  shift 2
  timeout 20 "$@" >"$T/o.out" 2>"$T/o.err" </dev/null || rc=$?
  ((rc != 124)) || fail "$what: did not finish within 20 s"
  assert_rc "$rc" "$want" "$what"
  [[ -s $T/o.err ]] || fail "$what: exit $rc but no message on stderr"
  log "$what -> $rc: $(head -n 1 "$T/o.err")"
}

for tool in dmtcp_launch dmtcp_command dmtcp_restart dmtcp_coordinator; do
  rc=0
  timeout 20 "$DMTCP_BIN/$tool" --help >"$T/help.out" 2>"$T/help.err" </dev/null || rc=$?
  assert_rc "$rc" 0 "$tool --help"
  [[ -s $T/help.out ]] || fail "$tool --help printed nothing on stdout"
done

dead=$(dead_port)
log "dead port $dead"
expect_refused "dmtcp_launch --no-such-option" \
  "$DMTCP_BIN/dmtcp_launch" --no-such-option -h "$COORD_HOST" -p "$dead" --join true
expect_refused "dmtcp_command --no-such-option" \
  "$DMTCP_BIN/dmtcp_command" --no-such-option -h "$COORD_HOST" -p "$dead"
expect_refused "dmtcp_restart --no-such-option" \
  "$DMTCP_BIN/dmtcp_restart" --no-such-option -h "$COORD_HOST" -p "$dead" --join "$T/x.dmtcp"
expect_refused "dmtcp_coordinator --no-such-option" \
  "$DMTCP_BIN/dmtcp_coordinator" --no-such-option --port 0 --port-file "$T/bad.port"
[[ ! -s $T/bad.port ]] || fail "dmtcp_coordinator with an unknown option started serving"
expect_refused "dmtcp_launch without a program" \
  "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$dead" --join
expect_refused "dmtcp_restart without an image" \
  "$DMTCP_BIN/dmtcp_restart" -h "$COORD_HOST" -p "$dead" --join
expect_refused "dmtcp_launch --checkpoint-folder of a missing folder" \
  "$DMTCP_BIN/dmtcp_launch" --checkpoint-folder "$T/no-such-folder" -h "$COORD_HOST" -p "$dead" \
  --join touch "$T/ran"
grep -qF "no-such-folder: not a folder" "$T/o.err" || fail "the message does not name the folder"
[[ ! -e $T/ran ]] || fail "the program ran with a --checkpoint-folder that does not exist"

expect_rc 99 "dmtcp_command -s to a dead port" \
  "$DMTCP_BIN/dmtcp_command" -h "$COORD_HOST" -p "$dead" -s
expect_rc 42 "dmtcp_command -s to a dead port, DMTCP_FAIL_RC=42" \
  env DMTCP_FAIL_RC=42 "$DMTCP_BIN/dmtcp_command" -h "$COORD_HOST" -p "$dead" -s

marker=$T/ran
expect_rc 99 "dmtcp_launch --join to a dead port" \
  "$DMTCP_BIN/dmtcp_launch" --join -h "$COORD_HOST" -p "$dead" touch "$marker"
[[ ! -e $marker ]] || fail "dmtcp_launch --join to a dead port ran the program anyway"
expect_rc 42 "dmtcp_launch --join to a dead port, DMTCP_FAIL_RC=42" \
  env DMTCP_FAIL_RC=42 "$DMTCP_BIN/dmtcp_launch" --join -h "$COORD_HOST" -p "$dead" true
