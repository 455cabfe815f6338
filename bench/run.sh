#!/usr/bin/env bash
# bench/run.sh [--quick] [--build DIR] [--out DIR] [--ckptdir DIR] [--only REGEX]
#
# Measures checkpoint and restart against the machine's own limits, measured in the same run:
#   - checkpoint time, program pause, image size and restart time of a program holding 256 MiB
#     and 1 GiB of random bytes, 1 GiB of text-like bytes, and 1 GiB of zeros (written, and only
#     read: the kernel's zero page), with and without compression;
#   - the limits beside them: writing the same bytes to the checkpoint folder (with fsync),
#     reading the images into new memory (from the page cache, also into huge pages, and from
#     the disk), one thread
#     of zlib deflating and inflating the same bytes (and of libdeflate, the checkpoint's own
#     encoder of the zlib format), copying them in memory;
#   - the same with forked checkpoints (the program's pause beside the checkpoint's time);
#   - an Open MPI job of 4 ranks holding 256 MiB in all, beside one process of 256 MiB;
#   - computations of 100, 500 and 2,000 idle processes: restart beside checkpoint, per process;
#   - `dmtcp_launch true` against `true`, and the wrapped calls in a tight loop against bare;
#   - the coordinator with 2,000 simulated processes: time of a checkpoint round (all barriers).
# Prints each result with its ratio to its limit, and writes results.csv and results.svg (a bar
# chart of the ratios) into the output folder (default: BUILD/bench). --quick uses small sizes
# (CI runs it so the harness cannot rot); the figures in the README come from a full run.
# --only REGEX runs only the programs whose label ("1024 MiB random uncompressed") matches it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build
OUT=""
CKPT_PARENT=""
QUICK=0
ONLY=""
while (($#)); do
  case $1 in
    --quick) QUICK=1 ;;
    --build) BUILD=$2; shift ;;
    --out) OUT=$2; shift ;;
    --ckptdir) CKPT_PARENT=$2; shift ;;
    --only) ONLY=$2; shift ;;
    -h | --help) sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
BUILD=$(cd "$BUILD" && pwd) || { echo "bench/run.sh: no folder $BUILD" >&2; exit 2; }
BIN=$BUILD/bin
BENCH=$BUILD/bench
for f in "$BIN/dmtcp_launch" "$BENCH/bench_memory" "$BENCH/bench_tool"; do
  [[ -x $f ]] || { echo "bench/run.sh: $f missing: build first (cmake --build $BUILD)" >&2; exit 2; }
done
OUT=${OUT:-$BUILD/bench}
mkdir -p "$OUT"
WORK=$(mktemp -d "${CKPT_PARENT:-${TMPDIR:-/tmp}}/dmtcp-bench.XXXXXX")
CSV=$OUT/results.csv
COORD_PID=""
PROGRAM_PID=""
cleanup() {
  [[ -n $PROGRAM_PID ]] && kill -9 "$PROGRAM_PID" 2>/dev/null
  [[ -n $COORD_PID ]] && kill "$COORD_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

if ((QUICK)); then
  SIZES=(16 32) BIG=32 RUNS=5 CALLS=20000 CLIENTS=200 REPS=1 MANY=(20)
else
  SIZES=(256 1024) BIG=1024 RUNS=21 CALLS=500000 CLIENTS=2000 REPS=5 MANY=(100 500 2000)
fi

die() { echo "bench/run.sh: $*" >&2; exit 1; }
now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "" }'; }

# median VALUE...: the middle one.
median() { printf '%s\n' "$@" | sort -g | sed -n "$((($# + 1) / 2))p"; }
# repeat CMD...: the median of REPS runs of a command that prints one number.
repeat() {
  local values=() i
  for ((i = 0; i < REPS; i++)); do values+=("$("$@")"); done
  median "${values[@]}"
}

echo "name,value,unit,limit,limit_value,ratio" >"$CSV"
# row NAME VALUE UNIT LIMIT_NAME LIMIT_VALUE
row() {
  local r name=${1//,/;} limit=${4//,/;}  # no commas inside CSV fields
  r=$(ratio "$2" "$5")
  echo "$name,$2,$3,$limit,$5,$r" >>"$CSV"
  printf '%-46s %10s %-3s  %-34s %10s  ratio %s\n' "$1" "$2" "$3" "$4" "$5" "$r"
}

# ask DIR OUT: has the program report its longest stop since the last time; prints it (ms).
ask() {
  local before deadline=$((SECONDS + 120))
  before=$(grep -c '^pause ' "$2" || true)
  : >"$1/request"
  # Answered once the checksum after the pause line is printed: the clock loop runs again.
  until awk -v k="$((before + 1))" '/^pause /{ p++ } p == k && /^verified /{ f = 1 }
    END { exit !f }' "$2"; do
    ((SECONDS < deadline)) || die "the program did not answer in $2"
    sleep 0.01
  done
  grep '^pause ' "$2" | sed -n "$((before + 1))p" | cut -d' ' -f2
}

# wait_for FILE REGEX [SKIP]: the first line matching after the first SKIP ones, within 120 s.
wait_for() {
  local deadline=$((SECONDS + 120)) line
  while ((SECONDS < deadline)); do
    line=$(grep -E "$2" "$1" 2>/dev/null | sed -n "$((${3:-0} + 1))p" || true)
    [[ -n $line ]] && { echo "$line"; return 0; }
    [[ -n $PROGRAM_PID ]] && ! kill -0 "$PROGRAM_PID" 2>/dev/null && die "the program ended: $(tail -3 "$1")"
    sleep 0.01
  done
  die "no line matching '$2' in $1"
}

# Started in $WORK: its restart scripts go there, not to the folder the bench was started in
# (--ckptdir would also send the images there).
(cd "$WORK" && exec "$BIN/dmtcp_coordinator" --port 0 --port-file "$WORK/port") >"$WORK/coord.log" 2>&1 &
COORD_PID=$!
for _ in $(seq 200); do [[ -s $WORK/port ]] && break; sleep 0.05; done
PORT=$(cat "$WORK/port")
dc() { "$BIN/dmtcp_command" -h 127.0.0.1 -p "$PORT" "$@"; }

# timed_restart DIR SUM LABEL IMAGE...: restarts the images (PROGRAM_PID), requires the memory
# checksum SUM after it, and sets RESTART_S to the time until the program ran again.
timed_restart() {
  local dir=$1 sum=$2 label=$3 t0 r_ns
  shift 3
  t0=$(now)
  "$BIN/dmtcp_restart" -h 127.0.0.1 -p "$PORT" --join "$@" >"$dir/restart.out" \
    2>"$dir/restart.err" &
  PROGRAM_PID=$!
  r_ns=$(wait_for "$dir/restart.out" '^resumed ' | cut -d' ' -f3)
  [[ $(wait_for "$dir/restart.out" '^verified ') == "verified $sum" ]] ||
    die "$label: memory differs after the restart"
  RESTART_S=$(awk -v a="$t0" -v n="$r_ns" 'BEGIN { printf "%.4f", n / 1e9 - a }')
}

# One program through checkpoint, kill and restart: rows for checkpoint time, pause, image size
# and restart time, each beside its limit.
measure() {
  local mib=$1 pattern=$2 gzip=$3 forked=${4:-0} label dir out t0 t1 ready sum images bytes
  label="$mib MiB $pattern $([[ $gzip == 1 ]] && echo gzip || echo uncompressed)"
  ((forked)) && label="$label forked"
  [[ -z $ONLY || $label =~ $ONLY ]] || return 0
  dir=$WORK/$mib-$pattern-$gzip-$forked
  mkdir -p "$dir"
  # Through a pipe: after the restart the program writes into dmtcp_restart's output.
  out=$dir/out.txt
  # Whole images: the repeated checkpoints are of the same memory (incremental ones are below).
  DMTCP_GZIP=$gzip DMTCP_FORKED_CHECKPOINT=$forked DMTCP_INCREMENTAL=0 "$BIN/dmtcp_launch" \
    -h 127.0.0.1 -p "$PORT" --join --ckptdir "$dir" \
    "$BENCH/bench_memory" "$mib" "$pattern" "$dir/request" > >(cat >"$out") 2>"$dir/err.txt" &
  PROGRAM_PID=$!
  ready=$(wait_for "$out" '^ready ')
  sum=${ready#ready }
  sleep 0.2
  local ckpts=() pauses=() writes=() rep
  for ((rep = 0; rep < REPS; rep++)); do
    # Writing the same amount, alternating with the checkpoints: both meet the same state of
    # the page cache and the disk.
    sync
    writes+=("$("$BENCH/bench_tool" write "$WORK" "$mib")")
    sync  # the previous measurement's writeback is not this one's
    # The pause is the longest stop the program saw between two requests around the checkpoint.
    ask "$dir" "$out" >/dev/null
    t0=$(now)
    dc --bcheckpoint >/dev/null || die "checkpoint of $label failed"
    t1=$(now)
    ckpts+=("$(elapsed "$t0" "$t1")")
    pauses+=("$(ask "$dir" "$out")")
  done
  grep '^verified ' "$out" | grep -qv "verified $sum" && die "$label: memory changed by the checkpoint"
  images=("$dir"/ckpt_*.dmtcp)
  bytes=$(stat -c %s "${images[@]}" | awk '{ s += $1 } END { print s }')
  dc --kill >/dev/null
  wait "$PROGRAM_PID" 2>/dev/null || true
  PROGRAM_PID=""

  local ckpt_s limit_s pause_s read_s huge_s restart_s inflate_s=""
  ckpt_s=$(median "${ckpts[@]}")
  pause_s=$(awk -v p="$(median "${pauses[@]}")" 'BEGIN { printf "%.4f", p / 1000 }')
  if [[ $pattern == zero* ]]; then
    limit_s=$(repeat "$BENCH/bench_tool" memcpy "$mib")
    row "checkpoint: $label" "$ckpt_s" s "memory copy of $mib MiB" "$limit_s"
    row "image size: $label" "$(awk -v b="$bytes" 'BEGIN { printf "%.3f", b / 1048576 }')" MiB \
      "memory size" "$mib"
  elif [[ $gzip == 1 && $pattern == text ]]; then
    limit_s=$(repeat "$BENCH/bench_tool" zlib "$mib" "$pattern" 1)
    row "checkpoint: $label" "$ckpt_s" s "zlib level 1 on one thread" "$limit_s"
    # The checkpoint's own encoder (libdeflate) on one thread: what the helper threads add.
    row "checkpoint: $label" "$ckpt_s" s "its encoder (libdeflate level 1) on one thread" \
      "$(repeat "$BENCH/bench_tool" deflate "$mib" "$pattern" 1)"
    row "image size: $label" "$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')" MiB \
      "memory size" "$mib"
  else
    limit_s=$(median "${writes[@]}")
    row "checkpoint: $label" "$ckpt_s" s "write $mib MiB + fsync" "$limit_s"
  fi
  row "program pause: $label" "$pause_s" s "checkpoint time" "$ckpt_s"

  # Restarts: with the images in the page cache (as right after the checkpoint), and from the
  # disk (as on another node), each beside reading the images the same way.
  local where
  for where in cache disk; do
    if [[ $where == disk ]]; then
      "$BENCH/bench_tool" evict "${images[@]}"
      read_s=$("$BENCH/bench_tool" read "${images[@]}")
      "$BENCH/bench_tool" evict "${images[@]}"
    else
      read_s=$("$BENCH/bench_tool" read "${images[@]}")
      huge_s=$("$BENCH/bench_tool" read-huge "${images[@]}")
    fi
    timed_restart "$dir" "$sum" "$label" "${images[@]}"
    restart_s=$RESTART_S
    if [[ $gzip == 1 && $pattern == text ]]; then
      # Compressed: beside one thread inflating the same bytes into new memory.
      [[ -n ${inflate_s:-} ]] || inflate_s=$(repeat "$BENCH/bench_tool" inflate "$mib" "$pattern" 1)
      row "$([[ $where == disk ]] && echo "restart from disk" || echo restart): $label" \
        "$restart_s" s "inflate on one thread" "$inflate_s"
    elif [[ $where == disk ]]; then
      row "restart from disk: $label" "$restart_s" s "read the image from disk" "$read_s"
    else
      row "restart: $label" "$restart_s" s "read the image into new memory" "$read_s"
      row "restart: $label" "$restart_s" s "read it into huge pages" "$huge_s"
    fi
    dc --kill >/dev/null
    wait "$PROGRAM_PID" 2>/dev/null || true
    PROGRAM_PID=""
  done
  if [[ $pattern == random && $gzip == 0 && $forked == 0 ]]; then
    # Mapped from the images (in the page cache): running again before any page is read.
    timed_restart "$dir" "$sum" "$label (--lazy)" --lazy "${images[@]}"
    row "restart --lazy: $label" "$RESTART_S" s "read it into huge pages" "$huge_s"
    dc --kill >/dev/null
    wait "$PROGRAM_PID" 2>/dev/null || true
    PROGRAM_PID=""
  fi
  rm -rf "$dir"
}

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -n), $(nproc) cores, images in $WORK"
for mib in "${SIZES[@]}"; do
  measure "$mib" random 0
done
measure "$BIG" random 1
measure "$BIG" text 0
measure "$BIG" text 1
measure "$BIG" zero 0
measure "$BIG" zero 1
measure "$BIG" zeropage 0
# Forked checkpoints: the program runs again as soon as a child holds its memory.
measure "$BIG" random 0 1
measure "$BIG" text 1 1

# Incremental checkpoints: after a whole one, the program changes 1% of its memory (one run)
# and is checkpointed again: that checkpoint's time and image beside the whole one's, and the
# restart from it (following its reference to the first image) beside reading both into huge
# pages.
measure_incremental() {
  local mib=$1 label="$1 MiB random, 1% changed" dir out sum t0 t1 full_s inc_s full_b inc_b
  local images restart_s huge_s
  [[ -z $ONLY || $label =~ $ONLY ]] || return 0
  dir=$WORK/incremental-$mib
  mkdir -p "$dir"
  out=$dir/out.txt
  DMTCP_GZIP=0 DMTCP_INCREMENTAL=1 "$BIN/dmtcp_launch" -h 127.0.0.1 -p "$PORT" --join \
    --ckptdir "$dir" "$BENCH/bench_memory" "$mib" random "$dir/request" > >(cat >"$out") \
    2>"$dir/err.txt" &
  PROGRAM_PID=$!
  wait_for "$out" '^ready ' >/dev/null
  sleep 0.2
  sync
  t0=$(now)
  dc --bcheckpoint >/dev/null || die "checkpoint of $label failed"
  t1=$(now)
  full_s=$(elapsed "$t0" "$t1")
  images=("$dir"/ckpt_*.dmtcp)
  full_b=$(stat -c %s "${images[@]}")
  : >"$dir/request.change"
  sum=$(wait_for "$out" '^changed ' | cut -d' ' -f2)
  sync
  t0=$(now)
  dc --bcheckpoint >/dev/null || die "incremental checkpoint of $label failed"
  t1=$(now)
  inc_s=$(elapsed "$t0" "$t1")
  inc_b=$(stat -c %s "${images[@]}")
  dc --kill >/dev/null
  wait "$PROGRAM_PID" 2>/dev/null || true
  # The earlier image it refers to: every kept one but its own (the newest, the same file).
  local bases
  mapfile -t bases < <(ls "${images[0]}".gen* | sort -V | head -n -1)
  huge_s=$("$BENCH/bench_tool" read-huge "${images[@]}" "${bases[@]}")
  timed_restart "$dir" "$sum" "$label (incremental)" "${images[@]}"
  restart_s=$RESTART_S
  row "incremental checkpoint: $label" "$inc_s" s "the whole checkpoint before it" "$full_s"
  row "incremental image: $label" "$(awk -v b="$inc_b" 'BEGIN { printf "%.3f", b / 1048576 }')" \
    MiB "the whole image" "$(awk -v b="$full_b" 'BEGIN { printf "%.3f", b / 1048576 }')"
  row "restart from incremental: $label" "$restart_s" s "read both images into huge pages" \
    "$huge_s"
  dc --kill >/dev/null
  wait "$PROGRAM_PID" 2>/dev/null || true
  PROGRAM_PID=""
  rm -rf "$dir"
}
measure_incremental "$BIG"

# A computation of many small processes (a shell and N idle children): checkpoint time, and
# restart time until the coordinator sees all of them running again, per process and beside
# the checkpoint.
measure_many() {
  local n=$1 dir=$WORK/many-$1 label="$1 idle processes" t0 t1 ckpt_s restart_s start_s deadline
  [[ -z $ONLY || $label =~ $ONLY ]] || return 0
  mkdir -p "$dir"
  DMTCP_GZIP=0 "$BIN/dmtcp_launch" -h 127.0.0.1 -p "$PORT" --join --ckptdir "$dir" \
    bash -c "for ((i = 0; i < $n; i++)); do sleep 100000 & done; wait" >/dev/null 2>&1 &
  PROGRAM_PID=$!
  deadline=$((SECONDS + 300))
  until dc -s 2>/dev/null | grep -qx "  NUM_PEERS=$((n + 1))"; do
    ((SECONDS < deadline)) || die "$label did not start"
    sleep 0.05
  done
  dc --ckptdir "$dir" >/dev/null  # the restart script too
  t0=$(now)
  dc --bcheckpoint >/dev/null || die "checkpoint of $label failed"
  t1=$(now)
  ckpt_s=$(elapsed "$t0" "$t1")
  dc --kill >/dev/null
  wait "$PROGRAM_PID" 2>/dev/null || true
  until dc -s 2>/dev/null | grep -qx "  NUM_PEERS=0"; do sleep 0.05; done
  t0=$(now)
  bash "$dir/dmtcp_restart_script.sh" -h 127.0.0.1 -p "$PORT" >"$dir/restart.out" 2>&1 &
  PROGRAM_PID=$!
  until dc -s 2>/dev/null | grep -qx "  NUM_PEERS=$((n + 1))" && dc -s 2>/dev/null | grep -q 'RUNNING=yes'; do
    kill -0 "$PROGRAM_PID" 2>/dev/null || die "$label did not restart: $(tail -3 "$dir/restart.out")"
    sleep 0.02
  done
  t1=$(now)
  restart_s=$(elapsed "$t0" "$t1")
  # The machine's own cost of making them: bash starting and killing as many sleeps.
  start_s=$("$BENCH/bench_tool" spawn 1 bash -c \
    "for ((i = 0; i < $n; i++)); do sleep 100000 & done; kill \$(jobs -p); wait; exit 0")
  per_ms() { awk -v t="$1" -v n="$n" 'BEGIN { printf "%.3f", t * 1000 / (n + 1) }'; }
  row "checkpoint: $label" "$ckpt_s" s "start and kill them" "$start_s"
  row "restart: $label" "$restart_s" s "start and kill them" "$start_s"
  row "restart per process (ms): $label" "$(per_ms "$restart_s")" ms "start and kill one" \
    "$(per_ms "$start_s")"
  dc --kill >/dev/null
  wait "$PROGRAM_PID" 2>/dev/null || true
  PROGRAM_PID=""
  rm -rf "$dir"
}
for n in "${MANY[@]}"; do measure_many "$n"; done

[[ -z $ONLY ]] || exit 0

# An MPI job of 4 ranks holding the same memory in all as the smallest program above:
# checkpoint time and restart time (until the coordinator sees all 5 processes running again)
# beside that one process's.
measure_mpi() {
  local mib=$1 dir=$WORK/mpi label ckpts=() rep t0 t1 ckpt_s restart_s one
  label="$mib MiB in 4 MPI ranks"
  dir=$WORK/mpi
  mkdir -p "$dir"
  ((EUID == 0)) && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  DMTCP_GZIP=0 OMPI_MCA_rmaps_base_oversubscribe=1 "$BIN/dmtcp_launch" -h 127.0.0.1 -p "$PORT" \
    --join --ckptdir "$dir" mpirun -np 4 "$BENCH/bench_mpi_memory" "$mib" >"$dir/out.txt" \
    2>"$dir/err.txt" &
  PROGRAM_PID=$!
  wait_for "$dir/out.txt" '^ready' >/dev/null
  dc --ckptdir "$dir" >/dev/null  # the restart script too
  sleep 0.2
  for ((rep = 0; rep < REPS; rep++)); do
    t0=$(now)
    dc --bcheckpoint >/dev/null || die "checkpoint of $label failed"
    t1=$(now)
    ckpts+=("$(elapsed "$t0" "$t1")")
  done
  ckpt_s=$(median "${ckpts[@]}")
  dc --kill >/dev/null
  wait "$PROGRAM_PID" 2>/dev/null || true
  t0=$(now)
  bash "$dir/dmtcp_restart_script.sh" -h 127.0.0.1 -p "$PORT" >"$dir/restart.out" 2>&1 &
  PROGRAM_PID=$!
  until dc -s 2>/dev/null | grep -q 'NUM_PEERS=5' && dc -s 2>/dev/null | grep -q 'RUNNING=yes'; do
    kill -0 "$PROGRAM_PID" 2>/dev/null || die "the MPI job did not restart: $(tail -3 "$dir/restart.out")"
    sleep 0.005
  done
  t1=$(now)
  restart_s=$(elapsed "$t0" "$t1")
  one=$(awk -F, -v n="checkpoint: $mib MiB random uncompressed" '$1 == n { print $2; exit }' "$CSV")
  row "checkpoint: $label" "$ckpt_s" s "one process of $mib MiB" "$one"
  one=$(awk -F, -v n="restart: $mib MiB random uncompressed" '$1 == n { print $2; exit }' "$CSV")
  row "restart: $label" "$restart_s" s "one process of $mib MiB" "$one"
  dc --kill >/dev/null
  wait "$PROGRAM_PID" 2>/dev/null || true
  PROGRAM_PID=""
  rm -rf "$dir"
}
if command -v mpirun >/dev/null && [[ -x $BENCH/bench_mpi_memory ]]; then
  measure_mpi "${SIZES[0]}"
else
  echo "# no Open MPI (ci/install-deps.sh installs it): the MPI rows are left out"
fi

# Launch overhead, with a coordinator running.
bare=$("$BENCH/bench_tool" spawn "$RUNS" true)
launched=$("$BENCH/bench_tool" spawn "$RUNS" "$BIN/dmtcp_launch" -h 127.0.0.1 -p "$PORT" --join true)
row "dmtcp_launch true" "$launched" s "true" "$bare"

# Wrapped calls: nanoseconds per call under dmtcp_launch against bare.
"$BENCH/bench_syscalls" "$CALLS" >"$WORK/bare.txt"
"$BIN/dmtcp_launch" -h 127.0.0.1 -p "$PORT" --join "$BENCH/bench_syscalls" "$CALLS" >"$WORK/wrapped.txt"
while read -r call ns; do
  row "call $call (ns)" "$(awk -v c="$call" '$1 == c { print $2 }' "$WORK/wrapped.txt")" ns \
    "bare $call" "$ns"
done <"$WORK/bare.txt"

if [[ -x $BENCH/bench_coordinator_load ]]; then
  "$BENCH/bench_coordinator_load" --clients "$CLIENTS" --rounds 5 >"$WORK/load.txt" ||
    die "coordinator load: $(cat "$WORK/load.txt")"
  while IFS=$'\t' read -r name value limit_name limit_value; do
    row "$name" "$value" s "$limit_name" "$limit_value"
  done <"$WORK/load.txt"
fi

"$BENCH/bench_tool" plot "$CSV" "$OUT/results.svg"
echo "# wrote $CSV and $OUT/results.svg"
