#!/usr/bin/env bash
# One fuzz target for a long run (default 600 s), with the flags ctest uses for its short runs
# (fuzz/CMakeLists.txt): the working corpus in the build tree first (new inputs go there), the
# committed seeds second (only read). Crashes go to build/fuzz/fuzz/artifacts/. Prints libFuzzer's
# final statistics; the exit status is libFuzzer's (0: no finding).
#   fuzz/run-long.sh fuzz_ratings_csv [SECONDS]
# FUZZ_TIMEOUT (seconds, default 5 as under ctest) is libFuzzer's per-input limit, in wall-clock
# time: raise it when the run is niced on a busy machine, where a starved input can take seconds.
# Build first: cmake --preset fuzz && cmake --build --preset fuzz
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: fuzz/run-long.sh TARGET [SECONDS]}
seconds=${2:-600}
bin=build/fuzz/fuzz/$target
[[ -x $bin ]] || { echo "no $bin: build the fuzz preset first" >&2; exit 2; }
work=build/fuzz/fuzz/corpus/$target
mkdir -p "$work" build/fuzz/fuzz/artifacts
# Seeds in the current formats, as the ctest fixtures write them.
if [[ $target == fuzz_binary_cache ]]; then build/fuzz/fuzz/fuzz_make_cache_seeds "$work"; fi
if [[ $target == fuzz_run_checkpoint ]]; then build/fuzz/fuzz/fuzz_make_checkpoint_seeds "$work"; fi
# The dictionary a target's ctest run uses (fuzz/CMakeLists.txt, cofi_fuzz ... DICT).
dict=()
if [[ $target == fuzz_serve_request ]]; then dict=(-dict=fuzz/serve.dict); fi
export UBSAN_OPTIONS=print_stacktrace=1
exec "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout="${FUZZ_TIMEOUT:-5}" -max_len=4096 -print_final_stats=1 \
  "${dict[@]}" -artifact_prefix="build/fuzz/fuzz/artifacts/$target-" "$work" "fuzz/corpus/$target"
