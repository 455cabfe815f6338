# zstd with two worker threads, and bzip2, in one pipeline.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
CMD="seq 1 1500000 > data; $(until_done 'echo "sum $(zstd -T2 -q -c data | zstd -dq | bzip2 -1 | bzip2 -d | md5sum | cut -c1-32)"')"
READY='^iteration 1$'
check() { all_sums_are "$(md5sum < data | cut -c1-32)"; }
