# sort of a 2-million-line file with 1 MiB of memory: it spills sorted runs into temporary files in
# /tmp and merges them, by name, into larger ones. After each kill the temporary files are removed
# (a restart on a node that never had them): the image must hold those it had made and still
# names, at their size.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
CMD="export LC_ALL=C; tmp=/tmp/conformance-sort-\$\$; mkdir -p \$tmp; seq 1 2000000 | sed 's/\$/ line/' | tac > data; $(until_done 'echo "sum $(sort -S 1M -T $tmp data | md5sum | cut -c1-32)"'); rm -rf \$tmp"
READY='^iteration 1$'
AFTER_KILL_REMOVE='/tmp/conformance-sort-{pid}/*'
# A process with a temporary file larger than 1 MiB open writes its image itself.
export E2E_FORKED_IN_PLACE=some
check() { all_sums_are "$(LC_ALL=C sort data | md5sum | cut -c1-32)"; }
