# xz with two threads (-T2) compressing, and decompressing, through a pipeline.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
CMD="seq 1 2000000 > data; $(until_done 'echo "sum $(xz -T2 -1 -c data | xz -dc | md5sum | cut -c1-32)"')"
READY='^iteration 1$'
check() { all_sums_are "$(md5sum < data | cut -c1-32)"; }
