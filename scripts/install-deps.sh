#!/usr/bin/env bash
# Installs the Debian 12 packages pickle++ needs to build and test. Idempotent: when
# everything is present it only checks and returns.
set -euo pipefail
packages=(g++ clang cmake ninja-build libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev
          python3
          # tests/package compiles a consumer with `pkg-config --cflags --libs pickle`.
          pkg-config
          # Decompression for the io layer's containers (docs/containers.md).
          zlib1g-dev libbz2-dev liblzma-dev
          # The real libraries the interop tests ask, under Debian's python3
          # (tests/pickletests/torch_files.py: torch.save files loaded back by torch).
          python3-numpy python3-torch
          # pandas.to_pickle and joblib.dump with compression (tests/pickletests/cli_containers.py).
          python3-pandas python3-joblib
          # scikit-learn (and SciPy) models for the scanner's benign corpus
          # (tests/pickletests/scan_corpus.py).
          python3-sklearn
          # The JSON parser of from_json (docs/json.md), and nlohmann-json, which
          # scripts/bench-json-parsers.py compares it with.
          libsimdjson-dev nlohmann-json3-dev
          # docs/json.schema.json checked against what `pickle json` writes (json.schema).
          python3-jsonschema)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all packages present"
fi
