#!/usr/bin/env bash
# check_scripts.sh  Syntax check of the project's shell scripts: `bash -n` on every *.sh (and
# .ci/run, the Slurm and PBS wrappers, the user guide's job scripts) outside build folders, and
# the warnings and worse of ShellCheck on the scripts of the demo, CI, the commands, the guide and
# the end-to-end tests when it is installed.
set -u -o pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
status=0
mapfile -d '' scripts < <(find . -path './build*' -prune -o -path ./.git -prune -o \
  -type f -name '*.sh' -print0)
scripts+=(./.ci/run ./slurm/dmtcp_sbatch ./slurm/dmtcp_srun_ssh ./slurm/dmtcp_slurm_site ./pbs/dmtcp_qsub)
# The user guide's job scripts.
scripts+=(./docs/jobs/*.sbatch ./docs/jobs/*.pbs)
# The bash completion (sourced, not run).
scripts+=(./packaging/bash-completion/dmtcp)
for s in "${scripts[@]}"; do
  [[ -f $s ]] || continue
  if ! bash -n "$s"; then
    echo "bash -n failed: $s"
    status=1
  fi
done
echo "bash -n: ${#scripts[@]} scripts checked"
if command -v shellcheck >/dev/null; then
  mine=()
  for s in "${scripts[@]}"; do
    case $s in
      ./tests/* | ./bench/* | ./ci/* | ./examples/* | ./.ci/run | ./launchers/* | ./slurm/* | ./pbs/* | ./docs/* | \
        ./packaging/*)
        [[ -f $s ]] && mine+=("$s")
        ;;
    esac
  done
  if ! shellcheck -x -S warning "${mine[@]}"; then
    status=1
  fi
  echo "shellcheck: ${#mine[@]} scripts checked"
else
  echo "shellcheck not installed: skipped"
fi
exit "$status"
