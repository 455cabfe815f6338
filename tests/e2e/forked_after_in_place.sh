#!/usr/bin/env bash
# forked_after_in_place.sh
#
# Forked checkpoints (DMTCP_FORKED_CHECKPOINT=1) of a process that had to write its image itself
# once: a Python program holds memory advised MADV_DONTFORK (a forked child would not have it), so
# its first checkpoint is written in place; then it unmaps that memory. Its next checkpoints must be
# written by forked children again: the runtime's own tables of incremental checkpoints, made by
# the in-place one and left out of forks on purpose, must not count as the program's. The restart
# from the last one continues the program's count exactly.
. "$(dirname "$0")/lib.sh"
e2e_init forked_after_in_place

export DMTCP_FORKED_CHECKPOINT=1 DMTCP_GZIP=0
cat >"$T/prog.py" <<'EOF'
import mmap, os, sys, time
held = mmap.mmap(-1, 1 << 20)
held.madvise(mmap.MADV_DONTFORK)
held[:5] = b"hello"
n = 0
while n < 400:
    n += 1
    print("n", n, flush=True)
    if held is not None and os.path.exists("go"):
        held.close()
        held = None
        print("unmapped", flush=True)
    time.sleep(0.02)
print("done", n, flush=True)
EOF
out=$T/run/out.txt
start_coordinator
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  /usr/bin/python3 "$T/prog.py"
wait_line "$out" '^n 5$' "" "$PID"
# last_complete: the coordinator's last "complete" line.
last_complete() { grep 'complete: ' "$T/coord.log" | tail -n 1; }
E2E_FORKED_IN_PLACE=1 checkpoint_blocking
[[ $(last_complete) =~ complete:\ 1\ images$ ]] ||
  fail "the first checkpoint was not written in place: $(last_complete)"
touch "$T/run/go"
wait_line "$out" '^unmapped$' "" "$PID"
for _ in 1 2; do
  checkpoint_blocking # every image written by a forked child
done
log "after the unmap: $(last_complete)"
kill_program "$PID"
wait_peers 0
restart_script
start_bg PID "$T/restart.out" "$T/restart.err" "$RS" -h "$COORD_HOST" -p "$PORT"
wait_exit "$PID" 60
assert_rc "$WAIT_RC" 0 "the restart"
grep -q '^done 400$' "$out" || fail "the program did not end: $(tail -n 2 "$out")"
# Every count once, in order, across the restart (a count printed after the checkpoint and before
# the kill is printed again by the restarted program: the lines after the restart's first are its).
awk '$1 == "n" { if ($2 > last + 1) { print "gap before " $2; exit 1 } last = $2 }' "$out" ||
  fail "the count skipped: $(awk '$1 == "n" { if ($2 > last + 1) print "gap before " $2; last = $2 }' "$out")"
log "PASS"
