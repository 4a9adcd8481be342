#!/usr/bin/env bash
# The README's test command: installs the Debian 12 packages, builds everything with the
# `dev` preset (library, tool, tests, examples) and runs every test with ctest.
#   bash scripts/test.sh            PICKLE_JOBS=N to change the parallelism (default: nproc)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
jobs="${PICKLE_JOBS:-$(nproc)}"

echo "== test.sh: dependencies"
bash scripts/install-deps.sh
echo "== test.sh: configure (preset dev)"
cmake --preset dev
echo "== test.sh: build (-j$jobs)"
cmake --build --preset dev -j "$jobs"
echo "== test.sh: test"
ctest --preset dev -j "$jobs"
