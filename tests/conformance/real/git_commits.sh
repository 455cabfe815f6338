# git: commits in a loop into a new repository (git forks helpers, writes objects, its index and
# refs), launched with --checkpoint-folder on the repository: a restart takes the repository back
# to the checkpoint with the program, and what git wrote after it is moved aside. At the end git
# fsck must pass and the log must hold every commit, c1..cN in order.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
mkdir -p repo
CMD='export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t
git init -q repo && cd repo && i=0
while [[ ! -e $CONFORMANCE_DONE ]]; do i=$((i + 1)); echo "$i" > "f$((i % 50))"; git add -A && git commit -qm "c$i"; echo "commit $i"; done
git fsck --strict 2>&1 && echo "commits $(git rev-list --count HEAD) of $i"
git log --reverse --format=%s | awk '\''$0 != "c" NR { print "out of order at " NR ": " $0; exit 1 }'\'' && echo "in order"'
READY='^commit 5$'
LAUNCH_ARGS=(--checkpoint-folder repo)
RUN_ON=0.5 # dozens of commits after the checkpoint, the last one cut short by the kill
export E2E_FORKED_IN_PLACE=some # the folder's saver writes in place, and a git process with files of the
# node's temporary folder open for writing (the repository is in the test's folder, in /tmp) too
check() {
  grep -qE '^commits ([0-9]+) of \1$' "$out" || fail "git_commits: $(tail -n 3 "$out")"
  grep -qx 'in order' "$out" || fail "git_commits: the log is not c1..cN: $(tail -n 1 "$out")"
  [[ -d repo.after-checkpoint ]] || fail "git_commits: nothing of the commits after a checkpoint was moved aside"
}
