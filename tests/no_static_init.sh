#!/usr/bin/env bash
# no_static_init.sh LIB...  The injected libraries run no C++ dynamic initializer: they start (their
# constructor, the checkpoint thread) before such initializers would run, and one that ran later
# reset state a checkpoint was already using (a shell spawned during a checkpoint joined it at
# once, then exited halfway through it or hung in its resume). Their globals must be
# constant-initialized (constinit).
set -euo pipefail
status=0
for lib in "$@"; do
  [[ -f $lib ]] || { echo "FAIL: no library $lib" >&2; exit 1; }
  found=$(nm -C "$lib" | grep -E '_GLOBAL__sub_I|__static_initialization_and_destruction' || true)
  if [[ -n $found ]]; then
    echo "FAIL: $lib has dynamic initializers:" >&2
    printf '%s\n' "$found" >&2
    status=1
  else
    echo "$lib: no dynamic initializer"
  fi
done
exit "$status"
