#!/usr/bin/env bash
# bench_quick.sh SOURCE_DIR BUILD_DIR: runs bench/run.sh --quick and checks what it wrote.
set -euo pipefail
src=$1 build=$2
out=$(mktemp -d "${TMPDIR:-/tmp}/dmtcp-bench-quick.XXXXXX")
trap 'rm -rf "$out"' EXIT
bash "$src/bench/run.sh" --quick --build "$build" --out "$out"
csv=$out/results.csv
fail() { echo "bench_quick: $*" >&2; exit 1; }
[[ $(head -1 "$csv") == "name,value,unit,limit,limit_value,ratio" ]] || fail "bad CSV header"
# 10 programs (2 sizes of random bytes, then random with gzip, text and zeros with and without,
# zero pages, random and text forked): checkpoint, pause and two restarts each, and the image
# size of 5; a second limit for the 2 compressed text checkpoints; a restart into huge pages for
# the 8 not gzip-compressed text; a restart --lazy of the 2 random uncompressed ones; an
# incremental checkpoint, its image and the restart from it;
# checkpoint, restart and restart per process of 20 idle
# processes; checkpoint and restart of the MPI job (with Open MPI); launch; 7 calls; 2
# coordinator rows.
mpi_rows=0
command -v mpirun >/dev/null && [[ -x $build/bench/bench_mpi_memory ]] && mpi_rows=2
expected=$((10 * 4 + 5 + 2 + 8 + 2 + 3 + 3 + mpi_rows + 1 + 7 + 2))
rows=$(($(wc -l <"$csv") - 1))
((rows == expected)) || fail "$rows rows in $csv, expected $expected"
awk -F, 'NR > 1 && !($2 + 0 > 0 && $5 + 0 > 0 && $6 + 0 > 0) { print "bad row: " $0; bad = 1 }
  END { exit bad }' "$csv" || fail "a row without a positive value, limit and ratio"
grep -q '<rect' "$out/results.svg" || fail "no bars in results.svg"
echo "bench_quick: $rows rows, all with a ratio"
