#!/usr/bin/env bash
# The README's first command: installs the Debian 12 packages, builds the `pickle` tool
# with the `release` preset and shows the example pickle CPython wrote
# (examples/record.pkl; examples/make_example.py made it).
#   bash scripts/show-example.sh [FILE]       PICKLE_JOBS=N for the parallelism
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
jobs="${PICKLE_JOBS:-$(nproc)}"
file="${1:-examples/record.pkl}"

echo "== show-example.sh: dependencies" >&2
bash scripts/install-deps.sh >&2
echo "== show-example.sh: build the pickle tool (preset release, -j$jobs)" >&2
cmake --preset release >&2
cmake --build --preset release --target pickle_cli -j "$jobs" >&2
echo "== show-example.sh: build/release/pickle show $file" >&2
build/release/pickle show "$file"
