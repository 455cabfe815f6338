#!/usr/bin/env bash
# shared_blocks.sh
#
# Memory several processes hold alike is saved once: e2e_shared_table (shared_table.c) is a
# fork-based worker pool, a parent and 3 workers holding the same 32 MiB table at the same
# address, and 2 MiB of their own each; every process checks its memory every 20 ms. Checked:
#  - a checkpoint's 4 images hold the table about once (in all less than twice its size; each
#    process's alone would be 4 times), the others referring to it through links beside them
#    (<image>.gen<N>.<peer>) that dmtcp_inspect lists as another process's;
#  - with DMTCP_SHARED_BLOCKS=0 every image holds the table (the same check fails);
#  - kill, restart: every process goes on with its memory exact; the restarted processes'
#    images share again, and the next, incremental, one refers to those; the links a newer
#    image no longer needs are removed;
#  - indexes left in /dev/shm by checkpoints killed midway (one under the name the restarted
#    computation's checkpoint uses, full of garbage) are removed by the next checkpoint, which
#    still shares; one that a live checkpoint holds stays;
#  - kill, restart from that chain with --lazy (the memory mapped from the images, the others'
#    among them; a restart of a restart): the workers end well ("done 3");
#  - a damaged byte in the image holding the table refuses the restart of a worker, naming it;
#  - `dmtcp_launch --no-aslr mpirun -np 2`, each rank's table from malloc: the ranks run without
#    address-space randomization, save the table once, and restart exactly.
. "$(dirname "$0")/lib.sh"
e2e_init shared-blocks

MIB=32
WORKERS=3
TABLE=$((MIB << 20))
export DMTCP_GZIP=0

# steps: the steps every process has taken, one line.
steps() {
  local n out=""
  for ((n = 0; n <= WORKERS; n++)); do out+="$(cat "$T/run/$n.step" 2>/dev/null || echo 0) "; done
  echo "$out"
}
# wait_progress: until every process has taken 3 steps more than now.
wait_progress() {
  local before n deadline=$((SECONDS + E2E_WAIT)) b
  read -r -a before <<<"$(steps)"
  for ((n = 0; n <= WORKERS; n++)); do
    b=${before[n]}
    until (($(cat "$T/run/$n.step" 2>/dev/null || echo 0) >= b + 3)); do
      ((SECONDS < deadline)) || fail "process $n took no steps (steps $(steps)): $(cat "$T/run/out.txt")"
      grep -q MISMATCH "$T/run/out.txt" && fail "$(grep MISMATCH "$T/run/out.txt")"
      sleep 0.05
    done
  done
}
# images_bytes: the bytes the images of the folder hold, in all.
images_bytes() { stat -c %s "$CKPT"/ckpt_*.dmtcp | awk '{ s += $1 } END { print s }'; }

# Without sharing: every image holds the table.
start_coordinator --exit-on-last
start_bg LPID "$T/run/out.txt" "$T/launch0.err" env DMTCP_SHARED_BLOCKS=0 "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" --join "$E2E_SHARED_TABLE" "$MIB" "$WORKERS" "$T/run"
wait_line "$T/run/out.txt" '^ready' 60 "$LPID"
checkpoint_blocking
unshared=$(images_bytes)
((unshared > (WORKERS + 1) * TABLE)) ||
  fail "without sharing, 4 images hold $unshared bytes: less than 4 tables of $TABLE"
ls "$CKPT"/*.gen*.* >/dev/null 2>&1 && fail "links to other images without sharing: $(ls "$CKPT")"
kill_program "$LPID"
wait_gone "$COORD_PID" "the --exit-on-last coordinator"
rm -rf "$CKPT" "$T/run" && mkdir -p "$CKPT" "$T/run"

start_coordinator --exit-on-last
start_bg LPID "$T/run/out.txt" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" \
  -h "$COORD_HOST" -p "$PORT" --join "$E2E_SHARED_TABLE" "$MIB" "$WORKERS" "$T/run"
wait_line "$T/run/out.txt" '^ready' 60 "$LPID"
checkpoint_blocking
shared=$(images_bytes)
((shared < 2 * TABLE)) || fail "4 images hold $shared bytes: not less than 2 tables of $TABLE"
links=$(cd "$CKPT" && ls -- *.dmtcp.gen*.* 2>/dev/null | wc -l)
((links >= WORKERS)) || fail "$links links to other images, not $WORKERS: $(ls "$CKPT")"
g1=$(cd "$CKPT" && ls -- *.dmtcp.gen*.* | head -n 1 | sed -E 's/.*\.gen([0-9]+)\.[0-9]+$/\1/')
holder=$(ls -S "$CKPT"/ckpt_*.dmtcp | head -n 1)
worker=$(ls -S "$CKPT"/ckpt_*.dmtcp | tail -n 1)
"$DMTCP_BIN/dmtcp_inspect" "$worker" >"$T/inspect1.txt" || fail "dmtcp_inspect $worker failed"
grep -q "another process's" "$T/inspect1.txt" ||
  fail "dmtcp_inspect lists no other process's image: $(cat "$T/inspect1.txt")"
log "4 images: $shared bytes shared, $unshared without ($links links)"

# A damaged byte in the table's image: a worker's restart is refused, naming it.
cp -a "$CKPT" "$T/bad"
size=$(stat -c %s "$holder")
printf '\x5a' | dd of="$T/bad/${holder##*/}" bs=1 seek=$((size / 2)) conv=notrunc status=none
if "$DMTCP_BIN/dmtcp_restart" -h "$COORD_HOST" -p "$PORT" "$T/bad/${worker##*/}" >"$T/bad.out" \
  2>"$T/bad.err"; then
  fail "a restart with a damaged image of another process succeeded"
fi
grep -q "another process saved.*corrupt" "$T/bad.err" ||
  fail "the refusal does not say what is damaged: $(cat "$T/bad.err")"
rm -rf "$T/bad"

kill_program "$LPID"
wait_gone "$COORD_PID" "the --exit-on-last coordinator"
restart_script
start_coordinator --exit-on-last
start_bg RPID "$T/restart1.out" "$T/restart1.err" "$RS" -h "$COORD_HOST" -p "$PORT"
wait_progress
# Indexes left in /dev/shm by checkpoints killed midway: one under the very name this checkpoint
# uses (the restart writes generation g1 + 1 again), full of garbage, and one of another
# computation, 2 minutes old; both must go. One a live checkpoint holds (locked) must stay.
comp=$(dc -s --json | sed -E 's/.*"computation_id":"0*([0-9a-f]+)".*/\1/')
[[ $comp =~ ^[0-9a-f]+$ ]] || fail "no computation id in dmtcp_command -s --json: $comp"
read -r cdev cino <<<"$(stat -c '%d %i' "$CKPT")"
same=/dev/shm/dmtcp-blocks-$UID-$comp-$(printf '%x-%x' "$cdev" "$cino")-$((g1 + 1))
other=/dev/shm/dmtcp-blocks-$UID-e2e$$-1-2-3
live=/dev/shm/dmtcp-blocks-$UID-e2e$$-1-2-4
head -c $((9 << 20)) /dev/urandom >"$same"
head -c $((1 << 20)) /dev/urandom >"$other" && touch -d '2 minutes ago' "$other"
head -c $((1 << 20)) /dev/urandom >"$live" && touch -d '2 minutes ago' "$live"
chmod 600 "$same" "$other" "$live"
flock -s "$live" sleep 600 &
HOLDER=$!
checkpoint_blocking
kill "$HOLDER"
# Each process removes the index once past the barrier that ends the checkpoint: soon after.
deadline=$((SECONDS + 10))
while [[ -e $same ]] && ((SECONDS < deadline)); do sleep 0.05; done
[[ -e $same ]] && fail "the left-over index under this checkpoint's name ($same) is still there: $(ls /dev/shm)"
[[ -e $other ]] && fail "another checkpoint's left-over index is still there"
[[ -e $live ]] || fail "an index a live checkpoint holds was removed"
rm -f "$live"
shared2=$(images_bytes)
((shared2 < 2 * TABLE)) ||
  fail "after a restart, with a left-over index of that name, 4 images hold $shared2 bytes: not shared"
wait_progress
checkpoint_blocking
shared3=$(images_bytes)
((shared3 < TABLE / 2)) ||
  fail "the incremental checkpoint after the restart holds $shared3 bytes: not a part"
# The newest images refer to the generation before (their own image or another's; the workers
# to the holder's), and nothing of the generation before the restart is kept.
ls "$CKPT"/*.gen"$g1"* >/dev/null 2>&1 &&
  fail "generation $g1's images and links are still kept: $(ls "$CKPT")"
g2=$((g1 + 2))
referring=0
for img in "$CKPT"/ckpt_*.dmtcp; do
  "$DMTCP_BIN/dmtcp_inspect" "$img" >"$T/inspect3.txt" || fail "dmtcp_inspect $img failed"
  grep -q "generation $((g2 - 1)), another process's" "$T/inspect3.txt" && referring=$((referring + 1))
done
((referring >= WORKERS)) ||
  fail "$referring newest images refer to another's of generation $((g2 - 1)), not $WORKERS"
log "after the restart: $shared2 bytes, then $shared3 incremental"

kill_program "$RPID"
wait_gone "$COORD_PID" "the --exit-on-last coordinator"
start_coordinator --exit-on-last
start_bg RPID "$T/restart2.out" "$T/restart2.err" "$RS" -h "$COORD_HOST" -p "$PORT" --lazy
wait_progress
touch "$T/run/stop"
wait_exit "$RPID" 60
assert_rc "$WAIT_RC" 0 "the twice restarted parent"
grep -q MISMATCH "$T/run/out.txt" && fail "$(grep MISMATCH "$T/run/out.txt")"
[[ $(grep -c '^worker [0-9] ok' "$T/run/out.txt") == "$WORKERS" && $(tail -n 1 "$T/run/out.txt") == "done $WORKERS" ]] ||
  fail "the workers did not all end well: $(cat "$T/run/out.txt")"

# MPI ranks: `dmtcp_launch --no-aslr mpirun -np 2`, each rank's table from malloc (at an offset
# within 1 MiB that address-space randomization would pick): the ranks run without it (their
# personality), the table is saved once, and they restart exactly.
if ! command -v mpirun >/dev/null; then
  log "SKIP: Open MPI is not installed (ci/install-deps.sh installs openmpi-bin)"
  exit 77
fi
((EUID == 0)) && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 TMPDIR=$T OMPI_MCA_pml=ob1 OMPI_MCA_btl=tcp,self,vader
rm -rf "$CKPT" "$T/mpi" && mkdir -p "$CKPT" "$T/mpi"
start_coordinator --exit-on-last
start_bg MPID "$T/mpi.out" "$T/mpi.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join --no-aslr mpirun -np 2 "$E2E_SHARED_TABLE" "$MIB" 0 "$T/mpi" malloc
wait_line "$T/mpi.out" '^ready' 60 "$MPID"
until (($(grep -c '^ready' "$T/mpi.out") == 2)); do
  is_alive "$MPID" || fail "mpirun ended: $(cat "$T/mpi.err")"
  sleep 0.05
done
for pid in $(pgrep -f "e2e_shared_table $MIB 0 $T/mpi"); do
  pers=$(cat "/proc/$pid/personality")
  ((0x$pers & 0x0040000)) || fail "rank $pid runs with address-space randomization (personality $pers)"
done
checkpoint_blocking
ranks=$(stat -c %s "$CKPT"/ckpt_e2e_shared_tab*.dmtcp | awk '{ s += $1 } END { print s }')
((ranks < TABLE * 3 / 2)) || fail "2 ranks' images hold $ranks bytes: the table not saved once"
log "2 MPI ranks launched with --no-aslr: $ranks bytes of images for 2 tables of $TABLE"
kill_program "$MPID"
wait_gone "$COORD_PID" "the --exit-on-last coordinator"
restart_script
start_coordinator --exit-on-last
start_bg MPID "$T/mpi-restart.out" "$T/mpi-restart.err" "$RS" -h "$COORD_HOST" -p "$PORT"
for r in 0 1; do
  s=$(cat "$T/mpi/rank$r/0.step")
  deadline=$((SECONDS + E2E_WAIT))
  until (($(cat "$T/mpi/rank$r/0.step" 2>/dev/null || echo 0) >= s + 3)); do
    ((SECONDS < deadline)) || fail "rank $r took no steps after the restart: $(tail -n 3 "$T/mpi-restart.err")"
    sleep 0.05
  done
done
touch "$T/mpi/rank0/stop" "$T/mpi/rank1/stop"
wait_exit "$MPID" 60
assert_rc "$WAIT_RC" 0 "the restarted mpirun"
grep -q MISMATCH "$T/mpi.out" "$T/mpi-restart.out" && fail "$(grep MISMATCH "$T/mpi.out" "$T/mpi-restart.out")"
[[ $(grep -c '^done 0' "$T/mpi-restart.out" "$T/mpi.out" | awk -F: '{ s += $2 } END { print s }') == 2 ]] ||
  fail "the ranks did not both end well: $(cat "$T/mpi.out" "$T/mpi-restart.out")"
log "PASS"
