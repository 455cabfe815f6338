# awk (mawk) running a command with system() again and again, each one's exit code checked: a
# restart while awk waits in glibc's system() must hand it its command's exit code, not -1.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
CMD='awk -v done="$CONFORMANCE_DONE" '\''BEGIN { while (1) { n++; r = system("test -e " done); if (r == 0) { printf "final %d\n", n; exit } if (r != 1) { printf "FAIL: system returned %d at call %d\n", r, n; exit 3 } if (n % 100 == 0) { printf "at %d\n", n; fflush() } } }'\'''
READY='^at 100$'
ROUNDS=6 # the restart must catch awk between its child's start and its wait (one in a few)
check() {
  local n
  read -r _ n < <(grep '^final' "$out")
  [[ -n $n ]] || fail "awk_system: no final line: $(tail -n 2 "$out")"
  log "awk_system: $n system() calls, each with its command's exit code"
}
