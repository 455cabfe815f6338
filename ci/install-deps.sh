#!/usr/bin/env bash
# ci/install-deps.sh  Installs what the build and the tests need from Debian's archive.
# Idempotent and quiet: when every package is already installed it does nothing (and needs
# neither root nor the network). Otherwise it needs root (or password-less sudo).
set -euo pipefail

packages=(
  build-essential cmake pkg-config zlib1g-dev libdeflate-dev libxxhash-dev libhwloc-dev hwloc-nox libcli11-dev libgtest-dev
  python3 procps iproute2 clang-format shellcheck openssh-server openssh-client util-linux
  munge slurmctld slurmd slurm-client openmpi-bin libopenmpi-dev libpmix-dev
  clang libclang-rt-dev
  man-db groff-base
  dpkg-dev environment-modules bash-completion lua5.4
  # the real programs of the conformance corpus (tests/conformance/real)
  gfortran nodejs python3-numpy perl tcl sqlite3 xz-utils zstd bzip2 bc mawk git openjdk-17-jdk-headless r-base-core
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=()
if ((EUID != 0)); then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: not root and no password-less sudo; install them as root" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp "${TMPDIR:-/tmp}/install-deps.XXXXXX")
trap 'rm -f "$log"' EXIT
if ! { "${sudo[@]}" apt-get update -qq &&
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-deps: apt-get failed" >&2
  exit 1
fi
echo "install-deps: done"
