# bash itself: arrays, an associative array, subshells and command substitution in a loop; the
# state is checked against a recomputation at the end.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
CMD='declare -a a; declare -A h; n=0
while [[ ! -e $CONFORMANCE_DONE ]]; do n=$((n + 1)); a[n % 100]=$(( (${a[n % 100]:-0} * 31 + n) % 1000003 ))
  h[k$((n % 37))]=$(echo $((n * 7)) | (read -r v; echo $((v + 1)))); ((n % 500)) || echo "at $n"; done
s=0; for v in "${a[@]}"; do s=$((s + v)); done
echo "final $n $s ${h[k$((n % 37))]}"'
READY='^at 500$'
check() {
  local n s last b=() i t=0
  read -r _ n s last < <(grep '^final' "$out")
  [[ -n $n ]] || fail "bash_state: no final line: $(tail -n 2 "$out")"
  for ((i = 1; i <= n; i++)); do b[i % 100]=$(( (${b[i % 100]:-0} * 31 + i) % 1000003 )); done
  for i in "${b[@]}"; do t=$((t + i)); done
  [[ $s == "$t" && $last == $((n * 7 + 1)) ]] || fail "bash_state: $s vs $t, $last vs $((n * 7 + 1))"
}
