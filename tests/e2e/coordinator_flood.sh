#!/usr/bin/env bash
# coordinator_flood.sh  Bad peers never stop a coordinator from checkpointing its computation.
#
# While `counter` runs under a coordinator, a flood is thrown at the coordinator's port: 1,000
# idle connections that never speak, 20 that send garbage, 20 that send half a frame header and
# stall (slowloris), 20 that announce an oversized frame, 20 that send a truncated Hello and
# stall, and 20 that send a well-formed Hello with a wrong proof. With all of them still open, a
# blocking checkpoint must complete; the garbage, oversized and wrong-proof connections must have
# been closed by the coordinator; the computation is then killed and restarted from that
# checkpoint, and its output must equal an uninterrupted run's. The coordinator's log names what
# it dropped, and it keeps serving commands afterwards.
. "$(dirname "$0")/lib.sh"
e2e_init coordinator_flood

N=400
DELAY=30
out=$T/run/out.txt
"$DMTCP_EXAMPLES/counter" "$N" 0 >"$T/native.txt" || fail "counter without dmtcp failed"

start_coordinator
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$DMTCP_EXAMPLES/counter" "$N" "$DELAY"
wait_line "$out" '^count 20 ' "" "$PID"
wait_peers 1

# The flood: a python process holds every connection open until told to stop, and reports which
# of them the coordinator closed.
flood_py=$T/flood.py
cat >"$flood_py" <<'PYEOF'
import os, resource, socket, struct, sys, time
port, ready, stop, report = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
MAGIC, VERSION, HELLO = 0x43544D44, 2, 1
def conn():
    s = socket.create_connection(("127.0.0.1", port))
    return s
groups = {"idle": [], "garbage": [], "slow_header": [], "oversized": [], "half_hello": [],
          "wrong_proof": []}
for _ in range(1000):
    groups["idle"].append(conn())
for _ in range(20):
    s = conn(); s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + os.urandom(200)); groups["garbage"].append(s)
    s = conn(); s.sendall(struct.pack("<IHH", MAGIC, VERSION, HELLO)[:7]); groups["slow_header"].append(s)
    s = conn(); s.sendall(struct.pack("<IHHII", MAGIC, VERSION, HELLO, 1 << 30, 0)); groups["oversized"].append(s)
    s = conn(); s.sendall(struct.pack("<IHHII", MAGIC, VERSION, HELLO, 200, 0) + b"\0" * 50); groups["half_hello"].append(s)
    # A well-formed Hello (proto::Hello's layout) whose proof is not the secret's: zeros.
    hello = struct.pack("<II32s32s64s64s64siiIIQ", 2, 0, os.urandom(32), b"", b"flood", b"flood",
                        b"", os.getpid(), 1, 0, 0, 0)
    s = conn(); s.sendall(struct.pack("<IHHII", MAGIC, VERSION, HELLO, len(hello), 0) + hello)
    groups["wrong_proof"].append(s)
open(ready, "w").write("%d\n" % sum(len(v) for v in groups.values()))
while not os.path.exists(stop):
    time.sleep(0.05)
with open(report, "w") as f:
    for name, socks in groups.items():
        closed = 0
        for s in socks:
            s.setblocking(False)
            try:
                while True:
                    d = s.recv(65536)
                    if not d:
                        closed += 1
                        break
            except BlockingIOError:
                pass
            except ConnectionResetError:
                closed += 1
        f.write("%s %d %d\n" % (name, len(socks), closed))
PYEOF
start_bg FLOOD "$T/flood.out" "$T/flood.err" "$PYTHON" "$flood_py" "$PORT" "$T/flood.ready" \
  "$T/flood.stop" "$T/flood.report"
deadline=$((SECONDS + E2E_WAIT))
until [[ -s $T/flood.ready ]]; do
  is_alive "$FLOOD" || fail "the flood client died: $(cat "$T/flood.err")"
  ((SECONDS < deadline)) || fail "the flood client did not open its connections"
  sleep 0.05
done
log "flood: $(cat "$T/flood.ready") connections open"

checkpoint_blocking
touch "$T/flood.stop"
wait_exit "$FLOOD"
assert_rc "$WAIT_RC" 0 "flood client"
log "flood report: $(tr '\n' ';' <"$T/flood.report")"
for group in garbage oversized wrong_proof; do
  read -r _ n closed < <(grep "^$group " "$T/flood.report")
  ((closed == n)) || fail "the coordinator left $((n - closed)) of $n '$group' connections open"
done
grep -q 'sent garbage' "$T/coord.log" || fail "the coordinator's log does not mention the garbage"
grep -q 'wrong secret' "$T/coord.log" || fail "the coordinator's log does not mention wrong proofs"
[[ $(status_field NUM_PEERS) == 1 ]] || fail "the flood changed the computation's peers"

kill_and_restart "restart after the flood"
assert_same "$T/native.txt" "$out" "counter output"
