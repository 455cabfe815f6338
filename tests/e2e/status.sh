#!/usr/bin/env bash
# status.sh
#
# dmtcp_command against a coordinator with one launched process:
#   - the coordinator's secret file exists, mode 0600, under $DMTCP_TMPDIR/dmtcp-<uid>/;
#   - -s before launch: NUM_PEERS=0, RUNNING=no; after: NUM_PEERS=1, RUNNING=yes, CKPT_INTERVAL=
#     present; the same through DMTCP_COORD_HOST/PORT and through DMTCP_HOST/PORT (no -h/-p);
#   - -s --json parses as a JSON object whose "*peers*" key is 1 and "*running*" key is true/"yes";
#   - -i 7 then -s shows CKPT_INTERVAL=7; -i 0 shows CKPT_INTERVAL=0;
#   - -l exits 0 and names the program;
#   - -k kills the computation (the program exits, NUM_PEERS=0, the coordinator stays);
#   - -q stops the coordinator (it exits 0), after which -s exits 99.
. "$(dirname "$0")/lib.sh"
e2e_init status

start_coordinator
secret=$DMTCP_TMPDIR/dmtcp-$(id -u)/coord-$PORT.secret
[[ -f $secret ]] || fail "no secret file $secret: $(ls -laR "$DMTCP_TMPDIR" 2>&1)"
[[ $(stat -c %a "$secret") == 600 ]] || fail "secret $secret has mode $(stat -c %a "$secret")"
[[ $(stat -c %u "$secret") == "$(id -u)" ]] || fail "secret $secret not owned by $(id -u)"

s=$(dc -s) || fail "dmtcp_command -s failed"
log "status before launch: $(echo "$s" | tr '\n' ' ')"
grep -qxE ' *NUM_PEERS=0' <<<"$s" || fail "no NUM_PEERS=0 before launch: $s"
grep -qxE ' *RUNNING=no' <<<"$s" || fail "no RUNNING=no before launch: $s"

out=$T/run/out.txt
start_bg LPID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$DMTCP_EXAMPLES/counter" 100000 50
wait_line "$out" '^count 1 ' "" "$LPID"
wait_peers 1
s=$(dc -s) || fail "dmtcp_command -s failed"
log "status: $(echo "$s" | tr '\n' ' ')"
grep -qxE ' *NUM_PEERS=1' <<<"$s" || fail "no NUM_PEERS=1: $s"
grep -qxE ' *RUNNING=yes' <<<"$s" || fail "no RUNNING=yes: $s"
grep -qE '^ *CKPT_INTERVAL=[0-9]+$' <<<"$s" || fail "no CKPT_INTERVAL=<n>: $s"

s=$(DMTCP_COORD_HOST=$COORD_HOST DMTCP_COORD_PORT=$PORT timeout 20 "$DMTCP_BIN/dmtcp_command" -s) ||
  fail "dmtcp_command -s with DMTCP_COORD_HOST/DMTCP_COORD_PORT failed"
grep -qxE ' *NUM_PEERS=1' <<<"$s" || fail "DMTCP_COORD_PORT: no NUM_PEERS=1: $s"
s=$(DMTCP_HOST=$COORD_HOST DMTCP_PORT=$PORT timeout 20 "$DMTCP_BIN/dmtcp_command" -s) ||
  fail "dmtcp_command -s with DMTCP_HOST/DMTCP_PORT failed"
grep -qxE ' *NUM_PEERS=1' <<<"$s" || fail "DMTCP_PORT: no NUM_PEERS=1: $s"

json=$(dc -s --json) || fail "dmtcp_command -s --json failed"
log "json: $json"
"$PYTHON" -c '
import json, sys
d = json.loads(sys.argv[1])
assert isinstance(d, dict), "not a JSON object"
peers = [v for k, v in d.items() if "peers" in k.lower()]
running = [v for k, v in d.items() if "running" in k.lower()]
assert peers == [1], "no single *peers* key equal to 1: %r" % d
assert running in ([True], ["yes"]), "no single *running* key true/yes: %r" % d
' "$json" || fail "dmtcp_command -s --json: unexpected JSON"

dc -i 7 >/dev/null || fail "dmtcp_command -i 7 failed"
[[ $(status_field CKPT_INTERVAL) == 7 ]] || fail "CKPT_INTERVAL is not 7 after -i 7"
dc -i 0 >/dev/null || fail "dmtcp_command -i 0 failed"
[[ $(status_field CKPT_INTERVAL) == 0 ]] || fail "CKPT_INTERVAL is not 0 after -i 0"

l=$(dc -l) || fail "dmtcp_command -l failed"
log "list: $(echo "$l" | tr '\n' ' ')"
grep -q counter <<<"$l" || fail "dmtcp_command -l does not name the program: $l"

dc -k >/dev/null || fail "dmtcp_command -k failed"
wait_exit "$LPID" 20
log "program exited with $WAIT_RC after -k"
((WAIT_RC != 0)) || fail "the program exited 0 after -k (it was not killed)"
wait_peers 0
is_alive "$COORD_PID" || fail "the coordinator exited after -k"

dc -q >/dev/null || fail "dmtcp_command -q failed"
wait_exit "$COORD_PID" 20
assert_rc "$WAIT_RC" 0 "coordinator after -q"
COORD_PID=""
rc=0
dc -s >/dev/null 2>&1 || rc=$?
assert_rc "$rc" 99 "dmtcp_command -s after the coordinator quit"
