#!/usr/bin/env bash
# ci/fuzz.sh [SECONDS]  Fuzzes the image reader and the coordinator's message parser with
# libFuzzer (tests/fuzz): configures "$BUILD_DIR-fuzz" (default build-fuzz) with clang and
# -DDMTCP_FUZZ=ON, builds only the fuzz targets, and runs each for SECONDS (default 60; 0: just
# its seeds and saved regressions once) on a copy of its seeds. Exits non-zero if any run finds
# a crash, a sanitizer error, a leak, a hang or runaway memory, and prints the path of the input
# that did it (kept in "$BUILD_DIR-fuzz/artifacts"; once fixed, add it to
# tests/fuzz/regressions/<target>/). Prints the number of executions of each target.
# Environment: BUILD_DIR (default build), JOBS (build jobs, default 2).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
if [[ ! $seconds =~ ^[0-9]+$ ]]; then
  echo "usage: ci/fuzz.sh [SECONDS]" >&2
  exit 2
fi
build=${BUILD_DIR:-build}-fuzz
targets=(image_reader coordinator)
# Inputs no longer than this: a little more than the largest seed. Left to itself libFuzzer takes
# the largest saved input (a regression with 64 KiB frames), and runs ten times fewer inputs.
declare -A max_len=([image_reader]=32768 [coordinator]=8192)

start=$SECONDS
# CC and CXX count only when the build folder is new: it stays a clang build.
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DDMTCP_FUZZ=ON -DDMTCP_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j "${JOBS:-2}" --target "${targets[@]/#/fuzz_}"
echo "ci/fuzz.sh: built in $((SECONDS - start))s"

work=$(mktemp -d "${TMPDIR:-/tmp}/dmtcp-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
artifacts=$build/artifacts
mkdir -p "$artifacts"

limit=(-max_total_time="$seconds")
((seconds > 0)) || limit=(-runs=0)
status=0
for t in "${targets[@]}"; do
  corpus=$work/$t
  mkdir -p "$corpus"
  cp tests/fuzz/seeds/"$t"/* "$corpus"/
  log=$work/$t.log
  # New inputs go to the first folder (the copy); the regressions are only read.
  rc=0
  "$build/bin/fuzz_$t" "${limit[@]}" -max_len="${max_len[$t]}" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$artifacts/$t-" "$corpus" "tests/fuzz/regressions/$t" \
    >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1 || true)
  echo "ci/fuzz.sh: fuzz_$t: ${execs:-?} executions in ${seconds}s (${cov:-no coverage line})," \
    "corpus $(find "$corpus" -type f | wc -l) inputs"
  if ((rc != 0)); then
    status=1
    tail -n 60 "$log"
    crash=$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)
    echo "ci/fuzz.sh: fuzz_$t FAILED (exit $rc); input: ${crash:-(none written)}" >&2
  fi
done
exit "$status"
