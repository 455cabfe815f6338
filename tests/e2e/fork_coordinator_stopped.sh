#!/usr/bin/env bash
# fork_coordinator_stopped.sh  fork() in a program under a coordinator that does not answer (stopped,
# or busy on a loaded node) returns at once in the child: the child does no handshake before it
# runs; its checkpoint thread joins later.
#
# python3 forks a child every 20 ms; each child prints "line i <sha1 of i>" and ends with _exit;
# the parent waits for it. The coordinator is stopped with SIGSTOP; 40 more children must run
# within 10 s (a child that waited for the coordinator's answer would hold the loop for its 30 s
# handshake limit). The coordinator is continued; a blocking checkpoint must succeed, and after a
# kill and a restart the output must equal an uninterrupted run's.
. "$(dirname "$0")/lib.sh"
e2e_init fork_coordinator_stopped

cat >"$T/forker.py" <<'PYEOF'
import hashlib, os, sys, time
for i in range(1, int(sys.argv[1]) + 1):
    pid = os.fork()
    if pid == 0:
        os.write(1, b"line %d %s\n" % (i, hashlib.sha1(b"%d" % i).hexdigest()[:8].encode()))
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        sys.exit("child %d ended with status %#x" % (i, status))
    time.sleep(float(sys.argv[2]))
PYEOF
N=1000
python3 "$T/forker.py" "$N" 0 >"$T/native.txt" || fail "the forker without dmtcp failed"

start_coordinator
start_bg PID "$T/run/out.txt" "$T/prog.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" \
  -p "$PORT" --join python3 "$T/forker.py" "$N" 0.02
wait_line "$T/run/out.txt" '^line 20 ' "" "$PID"

kill -STOP "$COORD_PID"
at=$(last_num "$T/run/out.txt" line)
log "stopped the coordinator at line $at"
wait_line "$T/run/out.txt" "^line $((at + 40)) " 10 "$PID"
log "40 children ran with the coordinator stopped (now at line $(last_num "$T/run/out.txt" line))"
kill -CONT "$COORD_PID"

checkpoint_blocking
wait_line "$T/run/out.txt" "^line $(($(last_num "$T/run/out.txt" line) + 20)) " "" "$PID"
kill_and_restart "the restart"
assert_same "$T/native.txt" "$T/run/out.txt" "the forker's output"
