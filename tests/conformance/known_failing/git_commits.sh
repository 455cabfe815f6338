# git: commits in a loop into a new repository (git forks helpers, writes objects and its
# index); at the end git fsck must pass and the log must hold every commit.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
CMD='export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t
git init -q repo && cd repo && i=0
while [[ ! -e $CONFORMANCE_DONE ]]; do i=$((i + 1)); echo "$i" > "f$((i % 50))"; git add -A && git commit -qm "c$i"; echo "commit $i"; done
git fsck --strict 2>&1 && echo "commits $(git rev-list --count HEAD) of $i"'
READY='^commit 5$'
check() {
  grep -qE '^commits ([0-9]+) of \1$' "$out" || fail "git_commits: $(tail -n 3 "$out")"
}
