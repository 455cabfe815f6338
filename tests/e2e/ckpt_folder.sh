#!/usr/bin/env bash
# ckpt_folder.sh
#
# dmtcp_launch --checkpoint-folder .: the folder a program works in, saved whole with each
# checkpoint, goes back to it at restart. The program (a shell loop) checks on every turn that the
# folder holds what it left there: a counter file, a log with one line a turn, a file a turn in a
# nested folder (some removed again), a symbolic link, a FIFO and a read-only folder. The images
# are written inside the folder (ckpt/), as a job that runs where it keeps its checkpoints does.
# Two rounds of checkpoint, run on, kill, restart under a new --exit-on-last coordinator (the
# second restart from the first one's checkpoint). After each kill, before the restart, what a
# user (or dmtcp_job) adds there: a new file must be moved to run.after-checkpoint, not removed;
# a generation folder holding a hard link of an image, and the images themselves, must stay.
. "$(dirname "$0")/lib.sh"
e2e_init ckpt-folder

CKPT=$T/run/ckpt
export DMTCP_CHECKPOINT_DIR=$CKPT
mkdir -p "$CKPT"
cat >"$T/work.sh" <<'EOF_WORK'
i=0
: >log
mkdir -p sub/deep ro
ln -s sub/deep link
mkfifo pipe
echo x >ro/file
chmod 555 ro
echo ready
while [[ ! -e ../done ]]; do
  [[ $(cat state 2>/dev/null || echo 0) == "$i" ]] || echo "FAIL state is $(cat state), not $i"
  [[ $(wc -l <log) == "$i" ]] || echo "FAIL the log has $(wc -l <log) lines, not $i"
  [[ $(readlink link) == sub/deep && -p pipe && $(cat ro/file) == x ]] ||
    echo "FAIL link, FIFO or read-only folder changed"
  ((i < 7)) || [[ -f sub/deep/f$((i - 1)) && ! -e sub/deep/f$((i - 7)) ]] ||
    echo "FAIL sub/deep at turn $i: $(ls sub/deep | head -n 20 | tr '\n' ' ')"
  i=$((i + 1))
  echo "$i" >state
  echo "$i" >>log
  echo "$i" >"sub/deep/f$i"
  rm -f "sub/deep/f$((i - 6))"
  echo "turn $i"
  sleep 0.01
done
echo "done $i"
EOF_WORK

start_coordinator --exit-on-last
start_bg PID "$T/prog.out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" \
  -p "$PORT" --join --checkpoint-folder . bash "$T/work.sh"
wait_line "$T/prog.out" '^turn 20$' 60 "$PID"
for round in 1 2; do
  checkpoint_blocking
  sleep 0.5 # turns after the checkpoint: the restart must take them back
  kill_program "$PID"
  wait_exit "$COORD_PID" 30 # --exit-on-last: it ends with the computation
  grep -q '^FAIL' "$T/prog.out" && fail "$(grep '^FAIL' "$T/prog.out" | head -n 1)"
  # What comes after the checkpoint: a user's file, and dmtcp_job's next generation.
  echo "precious $round" >"$T/run/precious$round"
  img=$(find "$CKPT" -maxdepth 1 -name 'ckpt_*.dmtcp' | head -n 1)
  [[ -n $img ]] || fail "no image in $CKPT"
  mkdir -p "$T/run/gens/gen-$round/host" && ln "$img" "$T/run/gens/gen-$round/host/" ||
    fail "cannot make a generation folder"
  restart_script
  start_coordinator --exit-on-last
  start_bg PID "$T/restart$round.out" "$T/restart$round.err" "$RS" -h "$COORD_HOST" -p "$PORT"
  wait_status RUNNING yes
  aside=$T/run.after-checkpoint
  ((round == 1)) || aside=$aside.1
  grep -qF "run goes back to the checkpoint" "$T/restart$round.err" ||
    fail "the restart did not say the folder went back: $(cat "$T/restart$round.err")"
  [[ $(cat "$aside/precious$round" 2>/dev/null) == "precious $round" ]] ||
    fail "precious$round, made after the checkpoint, is not in $aside"
  [[ -f $aside/state && -f $aside/log ]] || fail "the files changed after the checkpoint are not in $aside"
  [[ -f $T/run/gens/gen-$round/host/${img##*/} && -f $img && -f $CKPT/dmtcp_restart_script.sh ]] ||
    fail "the restart moved a checkpoint image, its generation folder or the restart script"
  last=$(last_num "$T/prog.out" 'turn')
  wait_line "$T/prog.out" "^turn $((last + 20))$" 60 "$PID"
  log "round $round: the folder went back to the checkpoint"
done
touch "$T/done"
wait_exit "$PID" 60
assert_rc "$WAIT_RC" 0 "the restarted program"
grep -q '^FAIL' "$T/prog.out" && fail "$(grep '^FAIL' "$T/prog.out" | head -n 1)"
grep -q '^done [0-9]*$' "$T/prog.out" || fail "the program did not end: $(tail -n 2 "$T/prog.out")"
[[ ! -e $T/run.after-checkpoint.2 ]] || fail "a third folder of moved files"
log "PASS"
