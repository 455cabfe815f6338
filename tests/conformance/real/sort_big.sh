# sort of a 3-million-line file (40 MB) with two threads, in memory.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
CMD="export LC_ALL=C; seq 1 3000000 | sed 's/\$/ line/' | tac > data; $(until_done 'echo "sum $(sort --parallel=2 data | md5sum | cut -c1-32)"')"
READY='^iteration 1$'
check() { all_sums_are "$(LC_ALL=C sort data | md5sum | cut -c1-32)"; }
