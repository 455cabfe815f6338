# sqlite3 with an in-memory database: a stream of transactions (one row each, x = i * i) piped
# into the sqlite3 shell; at the end the table must hold rows 1..N with their values, and pass
# PRAGMA integrity_check. (With a database file see sqlite3_db.sh.)
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
CMD='{ echo "CREATE TABLE t(i INTEGER PRIMARY KEY, x INTEGER);"; i=0
  while [[ ! -e $CONFORMANCE_DONE ]]; do i=$((i + 1))
    echo "BEGIN; INSERT INTO t VALUES($i, $i * $i); COMMIT;"
    ((i % 500)) || echo "SELECT '\''rows '\'' || count(*) FROM t;"
  done
  echo "SELECT '\''final '\'' || count(*) || '\'' '\'' || max(i) || '\'' '\'' || sum(x) FROM t; PRAGMA integrity_check;"
} | sqlite3'
READY='^rows 500$'
check() {
  local n
  n=$(sed -n 's/^final \([0-9]*\) .*/\1/p' "$out")
  [[ -n $n ]] || fail "sqlite3_memory: no final line: $(tail -n 2 "$out")"
  grep -qx "final $n $n $((n * (n + 1) * (2 * n + 1) / 6))" "$out" ||
    fail "sqlite3_memory: rows and values disagree: $(grep '^final' "$out")"
  grep -qx ok "$out" || fail "sqlite3_memory: integrity_check failed: $(tail -n 3 "$out")"
}
