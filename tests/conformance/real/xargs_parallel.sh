# find and xargs -P2 running sha1sum over 300 files in parallel batches (many short-lived
# processes, two at a time), the sorted list of checksums compared with an uninterrupted run's.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
mkdir -p tree
for i in $(seq 1 300); do seq "$i" $((i * 300)) > "tree/f$i"; done
CMD="export LC_ALL=C; $(until_done 'echo "sum $(find tree -type f | sort | xargs -P2 -n 10 sha1sum | sort | md5sum | cut -c1-32)"')"
READY='^iteration 1$'
check() { all_sums_are "$(export LC_ALL=C && find tree -type f | sort | xargs sha1sum | sort | md5sum | cut -c1-32)"; }
