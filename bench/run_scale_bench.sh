#!/usr/bin/env bash
# Training at scale (issue 8): cofi's large-data solvers on the synthetic 25M set, in one run.
#
#   data      synth-movielens' default set (25M ratings, 162k users, 59k items; generated when
#             missing, outside the repository) and a seeded random 90/10 split of it, written by
#             `cofi data split --method random --valid-pct 0.1 --seed S`
#   speed     ratings per second of `cofi train --solver sgd-blocks` at 32 and 64 factors, with
#             1 and 2 threads, for each update rule (sgd, adagrad, adam), dotbias without y-range;
#             the median of the epochs' training times (validation not included); the portable
#             kernels beside the AVX2 ones; ALS's sweeps
#   accuracy  test RMSE on the held-out 10% after at most 20 epochs (sweeps) at the documented
#             settings, with each run's wall time and peak memory (/usr/bin/time)
#   end to end  one command: load the CSV (no binary cache), split, train 20 epochs, evaluate each
#             epoch, save; then `cofi eval` of the saved model on the split's valid.csv
#   kernels   build/release/bin/bench_kernels (Google Benchmark), when built
#
# Usage: bench/run_scale_bench.sh          (after `make release`; about 10 minutes on 2 cores)
# Writes bench/results/scale-<date>.md and prints the same markdown.
#
# Settings (environment):
#   COFI_BENCH_DATA        data folder (default /tmp/cofi-bench/synth25m), made when it has no ratings.csv
#   COFI_BENCH_SPLIT_SEED  seed of the 90/10 split (default 42)
#   COFI_BENCH_COFI        the cofi binary (default build/release/bin/cofi)
#   COFI_BENCH_THREADS     the thread counts of the speed table (default "1 2")
#   COFI_BENCH_QUIET       before each run, wait up to this many seconds (default 60; 0: no wait) for a
#                          second in which other processes use under 10% of the CPU
#   COFI_BENCH_RESULTS     where the result file goes (default bench/results)
#   COFI_BENCH_PARTS       which parts to run (default "speed accuracy e2e kernels"); the report has
#                          only those
set -euo pipefail
export LC_ALL=C

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
data_dir=${COFI_BENCH_DATA:-/tmp/cofi-bench/synth25m}
split_seed=${COFI_BENCH_SPLIT_SEED:-42}
cofi=${COFI_BENCH_COFI:-$repo/build/release/bin/cofi}
bench_kernels=$(dirname "$cofi")/bench_kernels
thread_counts=${COFI_BENCH_THREADS:-"1 2"}
quiet_wait=${COFI_BENCH_QUIET:-60}
results_dir=${COFI_BENCH_RESULTS:-$repo/bench/results}
parts=" ${COFI_BENCH_PARTS:-speed accuracy e2e kernels} "
part() { [[ "$parts" == *" $1 "* ]]; }
synth=$repo/../shared/tools/synth-movielens

die() {
  echo "run_scale_bench: $*" >&2
  exit 1
}
say() { echo "run_scale_bench: $*" >&2; }

[[ -x "$cofi" ]] || die "no cofi binary at $cofi: run 'make release' first"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (Debian package 'time')"
command -v python3 >/dev/null || die "python3 is needed to read the metrics files"
[[ "$quiet_wait" =~ ^[0-9]+$ ]] || die "COFI_BENCH_QUIET must be a whole number of seconds"
data_dir=$(realpath -m "$data_dir")
case "$data_dir/" in
  "$repo"/*) die "the bench data must live outside the repository, not in $data_dir" ;;
esac
split_dir=$data_dir-split-$split_seed

# The data, generated beside its final place and renamed, so an interrupted run leaves nothing
# half-written to be measured next time; likewise the split.
if [[ ! -f "$data_dir/ratings.csv" ]]; then
  [[ -x "$synth" ]] || die "no $data_dir/ratings.csv and no generator at $synth"
  [[ ! -e "$data_dir" ]] || die "$data_dir exists but holds no ratings.csv; remove it or set COFI_BENCH_DATA"
  mkdir -p "$(dirname "$data_dir")"
  say "generating $data_dir (25M ratings, about half a minute)"
  "$synth" "$data_dir.partial.$$" >&2
  mv "$data_dir.partial.$$" "$data_dir"
fi
if [[ ! -f "$split_dir/valid.csv" ]]; then
  say "splitting into $split_dir (seed $split_seed)"
  rm -rf "$split_dir.partial.$$"
  "$cofi" data split "$data_dir" --method random --valid-pct 0.1 --seed "$split_seed" --no-cache \
    --out "$split_dir.partial.$$" >&2
  mv "$split_dir.partial.$$" "$split_dir"
fi
bayes=$(sed -n 's/^bayes_rmse //p' "$data_dir/truth.txt")

work=$(mktemp -d "${TMPDIR:-/tmp}/cofi-scale-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The runs share one binary cache of the split's files (parsed once, then mapped).
export COFI_CACHE_DIR=$work/cache

source "$repo/bench/machine_load.sh"

# run NAME CMD...: runs CMD under /usr/bin/time after waiting for a quiet second; keeps its output in
# $work/NAME.out and one line "wall_s max_rss_kib others_pct" in $work/NAME.time, where others_pct is
# the share of the machine's CPU that other processes took meanwhile.
run() {
  local name=$1
  shift
  local b0 b1 t0 t1
  wait_for_quiet
  b0=$(busy_ticks)
  t0=$(date +%s%N)
  /usr/bin/time -f '%U %S %M' -o "$work/$name.rusage" "$@" >"$work/$name.out" 2>"$work/$name.err" ||
    { cat "$work/$name.err" >&2; die "'$*' failed"; }
  t1=$(date +%s%N)
  b1=$(busy_ticks)
  local user_s sys_s rss
  read -r user_s sys_s rss < <(tail -n 1 "$work/$name.rusage")
  awk -v a="$t0" -v b="$t1" -v busy=$((b1 - b0)) -v hz="$ticks_per_s" -v u="$user_s" -v s="$sys_s" \
    -v c="$cpus" -v rss="$rss" 'BEGIN { w = (b - a) / 1e9; x = (busy / hz - u - s) / (w * c);
      printf "%.2f %d %.0f\n", w, rss, (x > 0 ? 100 * x : 0) }' >"$work/$name.time"
}

train=(--train "$split_dir/train.csv" --quiet)
valid=(--valid "$split_dir/valid.csv")
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# The binary cache entries of the split (ratings without timestamps), so that no speed run parses.
say "loading the split once"
run warm "$cofi" train "${train[@]}" "${valid[@]}" --solver sgd-blocks --epochs 1 --factors 8

# ---- speed ----
for k in 32 64; do
  part speed || break
  for rule in sgd adagrad adam; do
    for t in $thread_counts; do
      name=speed-$rule-$k-$t
      say "speed: $rule, $k factors, $t threads"
      run "$name" "$cofi" train "${train[@]}" --solver sgd-blocks --rule "$rule" --factors "$k" --threads "$t" \
        --y-range none --epochs 3 --metrics "$work/$name.json"
    done
  done
done
for rule in sgd adagrad; do
  part speed || break
  name=speed-$rule-32-2-portable
  say "speed: $rule, 32 factors, 2 threads, portable kernels"
  run "$name" env COFI_KERNELS=portable "$cofi" train "${train[@]}" --solver sgd-blocks --rule "$rule" \
    --factors 32 --threads 2 --y-range none --epochs 3 --metrics "$work/$name.json"
done

# ---- accuracy (the settings documented in docs/training.md) ----
declare -A acc_cmd=(
  [adagrad-16]="--solver sgd-blocks --factors 16 --y-range 0,5.5 --threads 2"
  [adagrad-16-1t]="--solver sgd-blocks --factors 16 --y-range 0,5.5 --threads 1"
  [sgd-16]="--solver sgd-blocks --rule sgd --factors 16 --y-range none --threads 2"
  [adam-16]="--solver sgd-blocks --rule adam --factors 16 --y-range none --threads 2"
  [als-16]="--solver als --factors 16 --threads 2"
)
acc_order=(adagrad-16 adagrad-16-1t sgd-16 adam-16 als-16)
for name in "${acc_order[@]}"; do
  part accuracy || break
  say "accuracy: ${acc_cmd[$name]}"
  # shellcheck disable=SC2086
  run "acc-$name" "$cofi" train "${train[@]}" "${valid[@]}" ${acc_cmd[$name]} --metrics "$work/acc-$name.json"
done

# ---- end to end: from the CSV (no binary cache) to a saved model, then cofi eval ----
e2e_cmd=("$cofi" train --data "$data_dir" --valid-pct 0.1 --split-seed "$split_seed" --no-cache
  --solver sgd-blocks --factors 16 --y-range 0,5.5 --epochs 20 --threads 2 --quiet --out "$work/model.cofi")
if part e2e; then
  say "end to end: ${e2e_cmd[*]}"
  run e2e "${e2e_cmd[@]}"
  run e2e-eval "$cofi" eval --model "$work/model.cofi" --test "$split_dir/valid.csv" --no-cache
fi

# ---- kernels ----
if part kernels && [[ -x "$bench_kernels" ]]; then
  say "kernels: $bench_kernels"
  run kernels "$bench_kernels" --benchmark_format=json --benchmark_min_time=0.3
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the report ----
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
mem_gib=$(awk '/^MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=
git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && dirty=" (with uncommitted changes)"
kernels=$(sed -n 's/.* \([a-z0-9]*\) kernels$/\1/p' "$work/warm.out" | head -n 1)
mkdir -p "$results_dir"
result=$results_dir/scale-$(date +%Y-%m-%d).md

python3 - "$work" "$bayes" "${e2e_cmd[*]}" >"$result" <<PY
import json, statistics, sys, os
work, bayes, e2e_cmd = sys.argv[1], float(sys.argv[2]), sys.argv[3]
def metrics(name): return json.load(open(f"{work}/{name}.json"))
def timing(name):
    w, rss, others = open(f"{work}/{name}.time").read().split()
    return float(w), int(rss) / 1024, int(others)
def speed(name):
    return statistics.median(e["ratings_per_second"] for e in metrics(name)["epochs"])

print("# Training at scale (bench/run_scale_bench.sh)")
print()
print(f"Machine: {os.cpu_count()} CPUs ($cpu_model), $mem_gib GiB; cofi $commit$dirty, SGD kernels: $kernels.")
print(f"Load average before: $load_before; after: $load_after. Each run waited up to ${quiet_wait} s for a quiet")
print("second first; 'others' is the share of the machine's CPU other processes took during the run.")
print(f"Data: $data_dir (Bayes RMSE {bayes}), split $split_dir (random 90/10, seed $split_seed).")
print()
def have(name): return os.path.exists(f"{work}/{name}.time")
threads = "$thread_counts".split()
ratio = threads == ["1", "2"]

if have(f"speed-sgd-32-{threads[0]}"):
    print("## Speed: sgd-blocks, dotbias, no y-range (median epoch of 3; ratings per second)")
    print()
    print("| factors | rule | " + " | ".join(f"{t} thread{'s' if t != '1' else ''}" for t in threads) +
          (" | 2 threads / 1 thread" if ratio else "") + " | others |")
    print("|---|---|" + "---:|" * len(threads) + ("---:|" if ratio else "") + "---:|")
    for k in ("32", "64"):
        for rule in ("sgd", "adagrad", "adam"):
            s = [speed(f"speed-{rule}-{k}-{t}") for t in threads]
            others = max(timing(f"speed-{rule}-{k}-{t}")[2] for t in threads)
            row = f"| {k} | {rule} | " + " | ".join(f"{x / 1e6:.1f}M" for x in s)
            if ratio: row += f" | {s[1] / s[0]:.2f}x"
            print(row + f" | {others}% |")
    print()
    print("Portable kernels (COFI_KERNELS=portable), 32 factors, 2 threads: " + ", ".join(
        f"{rule} {speed(f'speed-{rule}-32-2-portable') / 1e6:.1f}M ratings/s" for rule in ("sgd", "adagrad")) + ".")
    print()

if have("acc-adagrad-16"):
    print("## Accuracy: test RMSE on the held-out 10%")
    print()
    print("| settings | epochs | final RMSE | best (epoch) | ratings/s (median epoch) | wall s | peak RSS MiB | others |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in "${acc_order[*]}".split():
        m = metrics(f"acc-{name}")
        r = [e["valid_rmse"] for e in m["epochs"]]
        b = min(range(len(r)), key=lambda i: r[i])
        w, rss, others = timing(f"acc-{name}")
        s = m["settings"]
        y = "none" if s["y_range"] is None else ",".join(f"{x:g}" for x in s["y_range"])
        desc = (s["solver"] + (f" {s['rule']} lr {s['lr']:g}" if "rule" in s else "") +
                f", {s['user_factors']} factors, y-range {y}, lambda_f {s['lambda_f']:g}, lambda_b {s['lambda_b']:g}, " +
                f"{s['threads']} thread{'s' if s['threads'] != 1 else ''}")
        rps = statistics.median(e["ratings_per_second"] for e in m["epochs"])
        print(f"| {desc} | {len(r)} | **{r[-1]:.4f}** | {r[b]:.4f} ({b + 1}) | {rps / 1e6:.1f}M | {w:.1f} | {rss:.0f} | {others}% |")
    r1 = metrics("acc-adagrad-16-1t")["epochs"][-1]["valid_rmse"]
    r2 = metrics("acc-adagrad-16")["epochs"][-1]["valid_rmse"]
    print()
    print(f"1 thread against 2 threads (adagrad, 16 factors): {r1:.4f} vs {r2:.4f}, difference {abs(r1 - r2):.4f}.")
    print()

if have("e2e"):
    print("## End to end")
    print()
    w, rss, others = timing("e2e")
    print(f"\`{e2e_cmd.replace(work, '\$TMP')}\`")
    print()
    print(f"Wall **{w:.1f} s**, peak RSS **{rss:.0f} MiB**, others {others}%. Its output:")
    print()
    print("\`\`\`")
    print(open(f"{work}/e2e.out").read().rstrip())
    print("\`\`\`")
    print()
    print("\`cofi eval\` of the saved model on the split's valid.csv:")
    print()
    print("\`\`\`")
    print(open(f"{work}/e2e-eval.out").read().rstrip())
    print("\`\`\`")
    print()

if have("kernels"):
    print("## Kernels (bench_kernels, one thread, items per second)")
    print()
    print("| benchmark | items/s |")
    print("|---|---:|")
    for b in json.load(open(f"{work}/kernels.out"))["benchmarks"]:
        if b.get("error_occurred"): continue
        label = (" " + b["label"]) if b.get("label") else ""
        print(f"| {b['name']}{label} | {b['items_per_second'] / 1e6:.1f}M |")
PY
cat "$result"
say "written to $result"
