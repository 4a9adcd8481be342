#!/usr/bin/env bash
# Installs what scripts/bench-compare.py needs on Debian 12, beyond scripts/install-deps.sh:
# numpy (the ndarray workload, for the system Python 3.11) and matplotlib (the bar chart).
# Kept apart from install-deps.sh so that CI, which does not run the comparison, stays lean.
# Idempotent: when everything is present it only checks and returns.
set -euo pipefail
bash "$(dirname "$0")/install-deps.sh"
packages=(python3-numpy python3-matplotlib)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-bench-deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-bench-deps: all packages present"
fi
