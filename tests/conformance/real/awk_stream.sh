# awk (mawk) summing a stream of numbers from seq through a pipe, the sum compared with the
# formula for the count it saw.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
CMD='seq 1 1000000000 | awk -v done="$CONFORMANCE_DONE" '\''{ s += $1; if ($1 % 200000 == 0) { printf "at %d\n", $1; fflush(); if (system("test -e " done) == 0) { printf "final %d %.0f\n", $1, s; exit } } }'\'''
READY='^at 200000$'
check() {
  local k s
  read -r _ k s < <(grep '^final' "$out")
  [[ -n $k ]] || fail "awk_stream: no final line: $(tail -n 2 "$out")"
  [[ $s == $((k * (k + 1) / 2)) ]] || fail "awk_stream: sum $s for 1..$k"
}
