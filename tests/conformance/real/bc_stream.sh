# bc: a stream of arbitrary-precision sums piped into bc -q, the running total checked by the
# program that feeds it.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
CMD='i=0; t=0; { while [[ ! -e $CONFORMANCE_DONE ]]; do i=$((i + 1)); echo "$i * 1000"; done; } |
  bc -q | { while read -r v; do t=$((t + v)); k=$((k + 1)); ((k % 2000)) || echo "at $k"; done; echo "final $k $t"; }'
READY='^at 2000$'
check() {
  local k t
  read -r _ k t < <(grep '^final' "$out")
  [[ -n $k ]] || fail "bc_stream: no final line: $(tail -n 2 "$out")"
  [[ $t == $((k * (k + 1) / 2 * 1000)) ]] || fail "bc_stream: total $t for $k lines"
}
