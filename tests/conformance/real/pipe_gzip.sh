# gzip compressing and decompressing 20 MB through a pipeline, again and again.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
CMD="seq 1 3000000 > data; $(until_done 'echo "sum $(gzip -c data | gzip -dc | md5sum | cut -c1-32)"')"
READY='^iteration 1$'
check() { all_sums_are "$(md5sum < data | cut -c1-32)"; }
