# sqlite3 with a database file: a stream of transactions (one row each, x = i * i) piped into
# the sqlite3 shell, launched with --checkpoint-open-files; at the end the table must hold rows
# 1..N with their values, and pass PRAGMA integrity_check.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
CMD='{ echo "CREATE TABLE t(i INTEGER PRIMARY KEY, x INTEGER);"; i=0
  while [[ ! -e $CONFORMANCE_DONE ]]; do i=$((i + 1))
    echo "BEGIN; INSERT INTO t VALUES($i, $i * $i); COMMIT;"
    ((i % 500)) || echo "SELECT '\''rows '\'' || count(*) FROM t;"
  done
  echo "SELECT '\''final '\'' || count(*) || '\'' '\'' || max(i) || '\'' '\'' || sum(x) FROM t; PRAGMA integrity_check;"
} | sqlite3 test.db'
READY='^rows 500$'
# The database and its journal go back to the checkpoint with the program; a journal left by a
# transaction after the checkpoint is moved aside.
LAUNCH_ARGS=(--checkpoint-open-files)
RUN_ON=0.5  # hundreds of transactions after the checkpoint, the last one cut short by the kill
export E2E_FORKED_IN_PLACE=1  # a file it saves changes while a forked child would write
check() {
  local n
  n=$(sed -n 's/^final \([0-9]*\) .*/\1/p' "$out")
  [[ -n $n ]] || fail "sqlite3_db: no final line: $(tail -n 2 "$out")"
  grep -qx "final $n $n $((n * (n + 1) * (2 * n + 1) / 6))" "$out" ||
    fail "sqlite3_db: rows and values disagree: $(grep '^final' "$out")"
  grep -qx ok "$out" || fail "sqlite3_db: integrity_check failed: $(tail -n 3 "$out")"
  [[ $(sqlite3 test.db 'SELECT count(*) FROM t') == "$n" ]] || fail "sqlite3_db: the file lost rows"
}
