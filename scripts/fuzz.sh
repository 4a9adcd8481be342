#!/usr/bin/env bash
# Fuzz smoke run: builds the libFuzzer targets (the `fuzz` preset, clang, ASan+UBSan),
# makes a seed corpus on first use, and runs each target for SECONDS on one core.
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]     # default: 60 s, every target
#
# Targets: load_fuzzer roundtrip_fuzzer graph_fuzzer dis_fuzzer builders_fuzzer typed_fuzzer
# decompress_fuzzer zip_fuzzer tensor_file_fuzzer scan_fuzzer json_fuzzer
# (fuzz/targets.hpp).
# The corpus of a target lives in build/fuzz-corpus/<target> and grows from run to
# run; the seeds come from scripts/fuzz-corpus.py. Crashes, timeouts and leaks are
# written to build/fuzz-artifacts/<target>/ and make the script exit 1; replay one
# with `build/fuzz/fuzz/<target> FILE`, then add it to tests/regressions/.
# Environment: FUZZ_BUILD_DIR (default build/fuzz), FUZZ_JOBS for the build (default 2),
# FUZZ_SEED to fix libFuzzer's random seed (CI does, so a run can be repeated),
# FUZZ_REPORT_ONLY=1 to print findings without failing (for a long exploratory run).
set -euo pipefail

cd "$(dirname "$0")/.."
ALL_TARGETS=(load_fuzzer roundtrip_fuzzer graph_fuzzer dis_fuzzer builders_fuzzer typed_fuzzer
             decompress_fuzzer zip_fuzzer tensor_file_fuzzer scan_fuzzer json_fuzzer)

seconds=60
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${ALL_TARGETS[@]}")
for t in "${targets[@]}"; do
  case " ${ALL_TARGETS[*]} " in
    *" $t "*) ;;
    *) echo "fuzz.sh: unknown target '$t' (known: ${ALL_TARGETS[*]})" >&2; exit 2 ;;
  esac
done

build=${FUZZ_BUILD_DIR:-build/fuzz}
corpus_root=build/fuzz-corpus
artifacts_root=build/fuzz-artifacts

echo "== build ($build)"
cmake --preset fuzz -B "$build" >/dev/null
cmake --build "$build" -j "${FUZZ_JOBS:-2}" --target "${targets[@]}"

seed=$corpus_root/.seed
if [[ ! -d $seed ]]; then
  echo "== seed corpus ($seed)"
  python3 scripts/fuzz-corpus.py "$seed.tmp"
  mv "$seed.tmp" "$seed"
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
summary=()
total_runs=0
total_secs=0
for t in "${targets[@]}"; do
  corpus=$corpus_root/$t
  if [[ ! -d $corpus && $t == decompress_fuzzer ]]; then
    python3 scripts/fuzz-corpus.py --compressed "$seed" "$corpus"
  elif [[ ! -d $corpus && $t == zip_fuzzer ]]; then
    python3 scripts/fuzz-corpus.py --zip "$seed" "$corpus"
  elif [[ ! -d $corpus && $t == tensor_file_fuzzer ]]; then
    python3 scripts/fuzz-corpus.py --tensors "$seed" "$corpus"
  elif [[ ! -d $corpus && $t == scan_fuzzer ]]; then
    # The files a scan opens: pickles, and the containers tensors live in.
    python3 scripts/fuzz-corpus.py --tensors "$seed" "$corpus"
    cp "$seed"/* "$corpus"/
  elif [[ ! -d $corpus && $t == json_fuzzer ]]; then
    python3 scripts/fuzz-corpus.py --json "$corpus"
  elif [[ ! -d $corpus ]]; then
    mkdir -p "$corpus"
    cp "$seed"/* "$corpus"/
  fi
  artifacts=$artifacts_root/$t
  mkdir -p "$artifacts"
  log=$artifacts/fuzz.log
  echo "== $t: ${seconds}s, corpus $corpus ($(find "$corpus" -type f | wc -l) files)"
  start=$(date +%s)
  rc=0
  dict=fuzz/pickle.dict
  [[ $t == json_fuzzer ]] && dict=fuzz/json.dict
  "$build/fuzz/$t" "$corpus" -dict="$dict" -max_total_time="$seconds" ${FUZZ_SEED:+-seed="$FUZZ_SEED"} \
    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" >"$log" 2>&1 || rc=$?
  secs=$(($(date +%s) - start))
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  runs=${runs:-0}
  total_runs=$((total_runs + runs))
  total_secs=$((total_secs + secs))
  line="$t: $runs runs in ${secs}s"
  if [[ $rc -ne 0 ]]; then
    line+=" -- FAILED (exit $rc), see $log"
    failed+=("$t")
    grep -E "^(==[0-9]+==ERROR|SUMMARY|.*runtime error|.*Test unit written to|.*[a-z_]+_target: )" \
      "$log" | head -n 20 || true
  fi
  echo "$line"
  summary+=("$line")
done

echo "== summary"
printf '%s\n' "${summary[@]}"
echo "total: $total_runs runs in ${total_secs}s on one core ($((total_secs / 60)) CPU-minutes)"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz.sh: findings in: ${failed[*]} (artifacts in $artifacts_root/)" >&2
  if [[ ${FUZZ_REPORT_ONLY:-0} == 1 ]]; then
    echo "fuzz.sh: FUZZ_REPORT_ONLY=1: reported, not failed" >&2
    exit 0
  fi
  exit 1
fi
