# 1 GiB of zeros through dd and sha256sum: a pipe streaming at full speed across checkpoints.
# iflag=fullblock: a read of /dev/zero that a signal interrupts (the checkpoint's, as any other)
# returns what it has, and dd without it counts that short read as a whole block.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
CMD="$(until_done 'echo "sum $(dd if=/dev/zero bs=1M count=1024 iflag=fullblock status=none | sha256sum | cut -c1-64)"')"
READY='^iteration 1$'
check() { all_sums_are "$(head -c 1073741824 /dev/zero | sha256sum | cut -c1-64)"; }
