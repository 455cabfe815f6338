#!/usr/bin/env bash
# ci/test.sh  The project's test command (also what CI runs, through .ci/run): installs the
# dependencies, configures and builds ./build (RelWithDebInfo, -j2), and runs every CTest test.
# Exits non-zero if anything fails. ctest prints "N% tests passed, M tests failed out of K".
# Environment: BUILD_DIR (default build), BUILD_TYPE (default RelWithDebInfo), JOBS (default 2),
# CTEST_ARGS (extra ctest arguments, e.g. "-L e2e" or "-R counter").
set -euo pipefail
cd "$(dirname "$0")/.."

build=${BUILD_DIR:-build}
jobs=${JOBS:-2}

bash ci/install-deps.sh

start=$SECONDS
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" -DDMTCP_BUILD_TESTS=ON
cmake --build "$build" -j "$jobs"
echo "ci/test.sh: built in $((SECONDS - start))s"

start=$SECONDS
# shellcheck disable=SC2086  # CTEST_ARGS is a list of words
ctest --test-dir "$build" --output-on-failure -j1 ${CTEST_ARGS:-}
echo "ci/test.sh: tests passed in $((SECONDS - start))s"
