#!/usr/bin/env bash
# examples/demo.sh  A first look: builds the project if needed, then checkpoints a running
# program, kills it, and restarts it from its checkpoint.
#   1. start a coordinator on a free port (in a temporary folder)
#   2. dmtcp_launch examples/counter (prints "count i checksum" lines to a file)
#   3. dmtcp_command --bcheckpoint
#   4. kill -9 the program
#   5. restart it with the generated dmtcp_restart_script.sh: it continues where it was
# Environment: BUILD_DIR (default: <repo>/build).
# Installed (<prefix>/share/dmtcp/examples/demo.sh, next to the example programs), it builds
# nothing and runs the commands on PATH (after `module load dmtcp-ng`, say).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${BUILD_DIR:-$root/build}
bin=$build/bin
examples=$build/examples
installed=0
if [[ -z ${BUILD_DIR:-} && -x $here/counter && ! -f $root/CMakeLists.txt ]]; then
  installed=1
  examples=$here
fi

heading() { printf '\n\033[1m=== %s ===\033[0m\n' "$*"; }
say() { printf '%s\n' "$*"; }
die() {
  printf 'demo: %s\n' "$*" >&2
  exit 1
}

# --- Build (if needed) ------------------------------------------------------------------------
if ((installed)); then
  heading "Using the installed commands"
  launch=$(command -v dmtcp_launch) ||
    die "dmtcp_launch is not on PATH (module load dmtcp-ng, or add <prefix>/bin to PATH)"
  bin=$(cd "$(dirname "$launch")" && pwd)
else
  heading "Building (log: $build/demo-build.log)"
  mkdir -p "$build"
  if [[ ! -f $build/CMakeCache.txt ]]; then
    bash "$root/ci/install-deps.sh"
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build/demo-build.log" 2>&1 ||
      { tail -n 30 "$build/demo-build.log"; die "cmake configure failed"; }
  fi
  cmake --build "$build" -j 2 >>"$build/demo-build.log" 2>&1 ||
    { tail -n 30 "$build/demo-build.log"; die "build failed"; }
fi
for f in "$bin/dmtcp_coordinator" "$bin/dmtcp_launch" "$bin/dmtcp_command" "$bin/dmtcp_restart" \
  "$examples/counter"; do
  [[ -x $f ]] || die "$f was not built"
done
if ((installed)); then say "commands: $bin"; else say "built: $bin"; fi

# --- A private playground ---------------------------------------------------------------------
dir=$(mktemp -d "${TMPDIR:-/tmp}/dmtcp-demo.XXXXXX")
export DMTCP_TMPDIR=$dir/tmp DMTCP_CHECKPOINT_DIR=$dir/ckpt
unset DMTCP_COORD_HOST DMTCP_HOST DMTCP_COORD_PORT DMTCP_PORT
mkdir -p "$DMTCP_TMPDIR" "$DMTCP_CHECKPOINT_DIR"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf -- "$dir"
}
trap cleanup EXIT
cd "$dir"

# wait_for WHAT SECONDS CONDITION...  bounded wait for a condition to become true.
wait_for() {
  local what=$1 deadline=$((SECONDS + $2))
  shift 2
  until "$@"; do
    ((SECONDS < deadline)) || die "timed out waiting for $what"
    sleep 0.05
  done
}
has_line() { grep -Eq "$2" "$1" 2>/dev/null; }
no_peers() { "$bin/dmtcp_command" -h 127.0.0.1 -p "$port" -s 2>/dev/null | grep -qxE ' *NUM_PEERS=0'; }
lines() { wc -l <"$1"; }

N=40
DELAY_MS=200
out=$dir/counter.out

heading "1. Start a coordinator on a free port"
say "\$ dmtcp_coordinator --port 0 --port-file port --ckptdir ckpt &"
setsid "$bin/dmtcp_coordinator" --port 0 --port-file "$dir/port" --ckptdir "$DMTCP_CHECKPOINT_DIR" \
  --coord-logfile "$dir/coordinator.log" >"$dir/coordinator.out" 2>&1 </dev/null &
pids+=("$!")
wait_for "the coordinator's port file" 30 has_line "$dir/port" '^[0-9]+$'
port=$(tr -d ' \n' <"$dir/port")
say "coordinator listening on port $port"

heading "2. Launch a program under checkpoint control"
say "\$ dmtcp_launch -p $port --join counter $N $DELAY_MS > counter.out &"
setsid "$bin/dmtcp_launch" -h 127.0.0.1 -p "$port" --join "$examples/counter" "$N" "$DELAY_MS" \
  >"$out" 2>"$dir/launch.err" </dev/null &
pid=$!
pids+=("$pid")
wait_for "the counter's 10th line" 30 has_line "$out" '^count 10 '

heading "3. Checkpoint it"
say "\$ dmtcp_command -p $port --bcheckpoint"
"$bin/dmtcp_command" -h 127.0.0.1 -p "$port" --bcheckpoint
ckpt_line=$(lines "$out")
say "checkpoint written at about line $ckpt_line:"
ls -l "$DMTCP_CHECKPOINT_DIR"

wait_for "three more lines" 30 has_line "$out" "^count $((ckpt_line + 3)) "
heading "4. Kill the program (kill -9)"
kill -KILL -- "-$pid"
wait "$pid" 2>/dev/null || true
killed_at=$(lines "$out")
wait_for "the coordinator to see the process gone" 30 no_peers
say "Output before the kill ($killed_at lines):"
cat "$out"

heading "5. Restart from the checkpoint"
say "\$ ckpt/dmtcp_restart_script.sh -h 127.0.0.1 -p $port"
rc=0
"$DMTCP_CHECKPOINT_DIR/dmtcp_restart_script.sh" -h 127.0.0.1 -p "$port" </dev/null || rc=$?
[[ $rc == 0 ]] || die "the restarted program exited with $rc"
say "The restarted program reopened counter.out at its checkpoint offset (line $ckpt_line),"
say "rewrote the lines after it and continued to the end. Output after the restart:"
awk -v k="$killed_at" '{ printf "%s%s\n", $0, (NR > k ? "   <- after the restart" : "") }' "$out"

"$examples/counter" "$N" 0 >"$dir/uninterrupted.out"
if cmp -s "$out" "$dir/uninterrupted.out"; then
  heading "Identical to an uninterrupted run of: counter $N"
else
  diff "$dir/uninterrupted.out" "$out" || true
  die "the output differs from an uninterrupted run"
fi
