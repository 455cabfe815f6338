#!/usr/bin/env bash
# incremental_writes.sh
#
# Incremental checkpoints that take the kernel's word for which memory did not change
# (userfaultfd write-protection and PAGEMAP_SCAN, Linux 6.7): a program (write_paths) changes a
# page every 20 ms, each time by another path (a store, read() and pread() into the page, a write
# through /proc/self/mem, MADV_DONTNEED, a refault, mprotect, fork, mremap away and back, munmap
# and mmap again), and checks all of its memory at every step. Checked:
#  - after a checkpoint its anonymous memory is registered for write-protection (smaps: "uw");
#  - a chain of checkpoints a few steps apart, each referring to the ones before it, with a
#    checkpoint in the middle that fails after it wrote its image (the image it would replace is
#    immutable, as root): the kernel's report since that failed one must not be taken for the
#    time since the last complete one;
#  - a restart from the chain continues exactly (the program's own check of every page), as does
#    a restart of that restart after a new chain, and the end result equals an uninterrupted
#    run's.
. "$(dirname "$0")/lib.sh"
e2e_init incremental_writes

STEPS=700
DELAY=20
export DMTCP_GZIP=0
out=$T/run/out.txt
prog=${E2E_WRITE_PATHS:?E2E_WRITE_PATHS names the test program}
"$prog" "$STEPS" 0 | grep '^done ' >"$T/expected.txt" || fail "write_paths without dmtcp failed"

# step_on N: waits until the program printed step N.
step_on() {
  local deadline=$((SECONDS + E2E_WAIT))
  until (($(last_step) >= $1)); do
    ((SECONDS < deadline)) || fail "write_paths did not reach step $1: $(tail -n 3 "$out")"
    is_alive "$PID" || fail "write_paths ended: $(tail -n 3 "$out")"
    sleep 0.05
  done
}
last_step() { last_num "$out" step; }
no_mismatch() { ! grep -q MISMATCH "$out" || fail "$(grep MISMATCH "$out")"; }
# referred IMAGE: the generations the image refers to, one a line.
referred() {
  "$DMTCP_BIN/dmtcp_inspect" "$1" | grep -oE '^    generation [0-9]+:' | awk '{print $2}' | tr -d :
}

kernel_ok=1
kv=$(uname -r)
IFS=. read -r kmaj kmin _ <<<"$kv"
((kmaj > 6 || (kmaj == 6 && kmin >= 7))) || kernel_ok=0

start_coordinator
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  "$prog" "$STEPS" "$DELAY"
wait_line "$out" '^step 50$' "" "$PID"
# A few steps between checkpoints: most of the 1 MiB blocks are unchanged.
for _ in 1 2 3; do
  checkpoint_blocking
  sleep 0.1
done
no_mismatch
if ((kernel_ok)); then
  grep -q '^VmFlags:.* uw' "/proc/$PID/smaps" ||
    fail "no memory of write_paths is registered for write-protection after a checkpoint"
elif [[ ${CI:-} == true ]]; then
  fail "Linux $kv has no PAGEMAP_SCAN (6.7): the kernel's reports cannot be tested under CI"
else
  log "SKIP (part): Linux $kv has no PAGEMAP_SCAN (6.7); blocks are hashed"
fi
single_image 'ckpt_e2e_write_paths_*.dmtcp'
img=$IMG
first_size=$(stat -c %s "$img.gen1") || fail "generation 1 is not kept beside $img"
[[ -n $(referred "$img") ]] || fail "generation 3 refers to no earlier image"

# A checkpoint that writes its image and then cannot put it in place.
if ((EUID == 0)); then
  chattr +i "$img" || fail "cannot make $img immutable"
  on_exit "chattr -i '$img' 2>/dev/null"
  rc=0
  msg=$(dc --bcheckpoint 2>&1) || rc=$?
  chattr -i "$img"
  ((rc != 0)) || fail "a checkpoint onto an immutable image succeeded: $msg"
  log "the failed checkpoint: $msg"
elif [[ ${CI:-} == true ]]; then
  fail "the failed-checkpoint part needs root (chattr +i)"
else
  log "SKIP (part): not root, no checkpoint made to fail"
fi
sleep 0.1
checkpoint_blocking
sleep 0.1
checkpoint_blocking
no_mismatch
size=$(stat -c %s "$img")
((size < first_size)) || fail "the last image ($size bytes) is not smaller than the first ($first_size)"
log "last image $size bytes, refers to generations $(referred "$img" | tr '\n' ' ')(the first: $first_size)"

before=$(last_step)
kill_program "$PID"
wait_peers 0
restart_script
start_bg PID "$T/restart1.out" "$T/restart1.err" "$RS" -h "$COORD_HOST" -p "$PORT"
step_on $((before + 50))
no_mismatch
# A new chain after the restart.
for _ in 1 2 3; do
  checkpoint_blocking
  sleep 0.1
done
[[ -n $(referred "$img") ]] || fail "the restarted program's third checkpoint refers to nothing"
kill_program "$PID"
wait_peers 0
start_bg PID "$T/restart2.out" "$T/restart2.err" "$RS" -h "$COORD_HOST" -p "$PORT"
wait_exit "$PID" 120
assert_rc "$WAIT_RC" 0 "the restart of the restart"
no_mismatch
grep '^done ' "$out" >"$T/done.txt"
assert_same "$T/expected.txt" "$T/done.txt" "the program's result"
log "PASS"
