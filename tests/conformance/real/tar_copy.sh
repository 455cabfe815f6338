# tar copying a tree through a pipe (tar -c | tar -x) into a new folder each time, compared
# file by file. (A file removed after a checkpoint comes back empty up to its offset, so the
# copies are not removed while it runs: see README, What is not supported.)
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
CMD="export LC_ALL=C; mkdir -p src; for i in \$(seq 1 200); do seq 1 \$((i * 500)) > src/f\$i; done; $(until_done 'mkdir -p dst$n; tar -C src -cf - . | tar -C dst$n -xf -; echo "sum $(cd dst$n && ls | sort | xargs cat | md5sum | cut -c1-32)"')"
READY='^iteration 1$'
check() { all_sums_are "$(cd src && export LC_ALL=C && ls | sort | xargs cat | md5sum | cut -c1-32)"; }
