#!/usr/bin/env bash
# exec_clean_env.sh  A job script that execs its program with a clean environment (env -i) and
# leaves a static program running beside it (started through env, a process that has joined),
# under a coordinator started with --exit-on-last.
#
# The runtime must follow the exec whatever environment the program passes: `env -i` drops
# LD_PRELOAD and the coordinator's address, and the new program must still be checkpointed (DMTCP
# does the same). A static program cannot load the runtime: it runs unchecked, and must not keep
# the connection it would inherit, or every checkpoint would wait for it until it ends. The
# program then execs the loop with a preload of its own longer than 8 KiB (module systems and
# profilers set long ones): the runtime must come first in it, whatever its length. The
# computation is checkpointed, killed and restarted twice (the second time from the restarted
# one's checkpoint); its output must equal an uninterrupted run's.
. "$(dirname "$0")/lib.sh"
e2e_init exec_clean_env

[[ -x ${E2E_STATIC_SLEEP:-} ]] || fail "E2E_STATIC_SLEEP does not name the static test program"
ROUNDS=150
cat >"$T/loop.sh" <<EOF
for i in \$(seq 1 $ROUNDS); do
  echo "round \$i \$(echo \$i | md5sum | cut -c1-8)"; sleep 0.05
done
EOF
libc=$(ldd /bin/sleep | awk '/libc\.so/ { print $3 }')
[[ -f $libc ]] || fail "cannot find the C library /bin/sleep loads"
long_preload=$libc
while ((${#long_preload} < 12000)); do long_preload+=":$libc"; done
cat >"$T/job.sh" <<EOF
#!/bin/bash
env -i "$E2E_STATIC_SLEEP" 300 &
exec env -i PATH=/usr/bin:/bin bash -c 'LD_PRELOAD=$long_preload exec bash "$T/loop.sh"'
EOF
chmod +x "$T/job.sh"
env -i PATH=/usr/bin:/bin bash "$T/loop.sh" >"$T/expected.txt" || fail "the loop without dmtcp failed"

out=$T/run/out.txt
start_coordinator --exit-on-last
start_bg PID "$out" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" -p "$PORT" \
  --join "$T/job.sh"
for round in 1 2; do
  at=$(last_num "$out" round)
  wait_line "$out" "^round $((at + 15)) " "" "$PID"
  # Before the fix, the static program held the connection: the checkpoint waited for it.
  restart_on_new_coordinator "$round"
  log "round $round: restarted at round $(last_num "$out" round)"
done
wait_exit "$PID" 90
assert_rc "$WAIT_RC" 0 "the restarted loop (bash after env -i)"
assert_same "$T/expected.txt" "$out" "the output"
grep -q "e2e_static_sleep is static or privileged: it runs unchecked" "$T/launch.err" ||
  fail "no warning that the static program runs unchecked"
# Its parent says, at the first checkpoint, that the restart will not bring it back.
grep -q "(e2e_static_slee) runs without the runtime: checkpoints leave it out" "$T/launch.err" ||
  fail "no warning at the checkpoint that the static child is left out"
