#!/usr/bin/env bash
# ckpt_barrier_deadlock.sh  A checkpoint whose processes wait at barriers that not all of them reach
# (a plugin's dmtcp_global_barrier that only one process calls inside the checkpoint) fails within
# the coordinator's --checkpoint-timeout, naming each process and the barrier it waits at; every
# process runs on, the last complete checkpoint stays the newest, and the next checkpoint and a
# restart from it work. Before, every process waited at a barrier, none counted as stuck, and the
# checkpoint (and `dmtcp_command --bcheckpoint`) waited forever.
#
# Two counters under a coordinator started with --checkpoint-timeout 4; counter b runs the test
# plugin stall_plugin, which (armed, with "lonely") calls dmtcp_global_barrier("stall:lonely") at
# the image-writing step, while counter a writes its image and waits at ckpt:written.
. "$(dirname "$0")/lib.sh"
e2e_init "ckpt_barrier_deadlock"

N=400
DELAY=25
"$DMTCP_EXAMPLES/counter" "$N" 0 >"$T/native.txt" || fail "counter without dmtcp failed"

start_coordinator --checkpoint-timeout 4
stall="" pa="" pb="" # set by start_stalling_pair
start_stalling_pair "$N" "$DELAY"
checkpoint_blocking
before=$(saved_checkpoint)

touch "$stall/lonely" "$stall/arm"
t0=$SECONDS
msg=$(timeout 60 "$DMTCP_BIN/dmtcp_command" -h "$COORD_HOST" -p "$PORT" --bcheckpoint 2>&1)
rc=$?
took=$((SECONDS - t0))
((rc != 124)) || fail "dmtcp_command --bcheckpoint still waited 60 s later (timeout 4 s)"
((rc != 0)) || fail "the checkpoint succeeded while counter $pb waited at a barrier no one else reaches"
log "refused after ${took}s: $msg"
[[ $(cat "$stall/stalled") == "$pb" ]] || fail "the process at the lonely barrier is not counter b"
[[ $msg == *"not all of them reach"* ]] || fail "the message does not say why: $msg"
[[ $msg == *"counter[$pb]@"*" at 'plugin:stall:lonely'"* ]] || fail "the message does not say where b waits: $msg"
[[ $msg == *"counter[$pa]@"*" at 'ckpt:written'"* ]] || fail "the message does not say where a waits: $msg"
for p in a b; do
  pid=p$p
  at=$(last_num "$T/run/$p.out" count)
  wait_line "$T/run/$p.out" "^count $((at + 5)) " 10 "${!pid}"
done
[[ $(saved_checkpoint) == "$before" ]] || fail "the images or the restart script changed: $(saved_checkpoint)"
wait_status RUNNING yes
checkpoint_blocking
[[ $(saved_checkpoint) != "$before" ]] || fail "the checkpoint after the abandoned one wrote no new images"
restart_stalling_pair
log "abandoned after ${took}s at barriers that never pass, then checkpointed and restarted"
