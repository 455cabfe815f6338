#!/usr/bin/env bash
# pipeline_stream.sh  Pipelines of Debian's own programs, streaming while they are checkpointed.
#
# One computation (bash -c) runs two pipelines at once, each checksumming what reaches its end:
#   slow consumer:  seq 1 N | gzip -1 | gzip -dc | throttle R 1MiB | md5sum
#                   the producers are fast, so every pipe before throttle is full (the one into
#                   it holds 1 MiB);
#   slow producer:  seq 1 N | throttle R | gzip -1 | gzip -dc | md5sum
#                   the consumers are fast and wait in read on pipes that are nearly empty.
# It is checkpointed 5 times while the data streams, without a kill: the pipelines must simply go
# on (a refill that raced a writer already resumed froze them, or put old data after new). Then it
# is checkpointed once more, killed and restarted from the images: the restart's pipes are new,
# and a writer that ran before its reader had refilled would put its data ahead of older data.
# Each md5sum must print the checksum of seq's whole output, and bash must exit 0.
. "$(dirname "$0")/lib.sh"
e2e_init pipeline_stream

N=3000000 # seq's output is 22.9 MB
RATE=1500000
expected=$(seq 1 "$N" | md5sum) || fail "seq | md5sum failed"
throttle=$DMTCP_EXAMPLES/throttle
pipeline="seq 1 $N | gzip -1 | gzip -dc | '$throttle' $RATE 1048576 | md5sum >'$T/run/slow_consumer.md5' &
seq 1 $N | '$throttle' $RATE | gzip -1 | gzip -dc | md5sum >'$T/run/slow_producer.md5'
wait"

start_coordinator
start_bg PID "$T/run/out.txt" "$T/launch.err" "$DMTCP_BIN/dmtcp_launch" -h "$COORD_HOST" \
  -p "$PORT" --join bash -c "$pipeline"
# bash and the five processes of each pipeline.
wait_peers 11
still_streaming() {
  is_alive "$PID" || fail "the pipelines ended before $1"
  [[ ! -s $T/run/slow_consumer.md5 && ! -s $T/run/slow_producer.md5 ]] ||
    fail "a pipeline finished before $1: the test no longer checkpoints it mid-stream"
}

for round in 1 2 3 4 5; do
  sleep 0.5
  checkpoint_blocking
  wait_status RUNNING yes
  log "checkpoint $round while streaming, no kill"
done
sleep 0.5
checkpoint_blocking
still_streaming "the last checkpoint"
kill_and_restart "restarted pipelines (bash)"
for which in slow_consumer slow_producer; do
  got=$(cat "$T/run/$which.md5")
  [[ $got == "$expected" ]] || fail "$which pipeline: md5sum printed '$got', expected '$expected'"
done
log "both pipelines checksummed seq's output correctly"
wait_peers 0
