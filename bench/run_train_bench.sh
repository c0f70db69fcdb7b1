#!/usr/bin/env bash
# Training benchmark: cofi against the PyTorch reference (bench/torch_reference.py, Debian's
# python3-torch), both with 2 threads, in one run, on the canonical split of ml-latest-small.
#   accuracy: dotbias at the recipe's settings, 3 seeds each side; nn at fastai's defaults, 1 seed
#   speed:    one epoch of dotbias and nn at batch sizes 64, 1024 and 8192, ratings per second
# Usage: bench/run_train_bench.sh [COFI_BINARY]   (make bench-train builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
cofi=${1:-build/release/bin/cofi}
split=${COFI_SPLIT:-../shared/data/splits/ml-latest-small-80-20}
py=/usr/bin/python3
seeds=${COFI_BENCH_SEEDS:-"1 2 3"}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$py" -c 'import torch' 2>/dev/null || {
  echo "run_train_bench: Debian's python3-torch is needed for the reference side (apt-get install python3-torch)" >&2
  exit 1
}
export COFI_CACHE_DIR="$work/cache"
# Debian's python3-torch runs on the reference BLAS, which makes nn (matrix products) about ten
# times slower at large batches than OpenBLAS. Point COFI_TORCH_BLAS at an unpacked OpenBLAS
# (see bench/torch_reference.py) to give the reference its best case; dotbias does no products.
if [[ -n "${COFI_TORCH_BLAS:-}" ]]; then export LD_LIBRARY_PATH="$COFI_TORCH_BLAS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; fi
# Both sides score every valid row in one id space (ids of train and valid joined), and both
# exempt BatchNorm parameters and biases from weight decay as fastai does.
ref=(--unseen shared --no-wd-bn-bias)
train=(--train "$split/train.csv" --valid "$split/valid.csv" --threads 2 --quiet)

echo "# torch BLAS: ${COFI_TORCH_BLAS:-Debian default}"
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"

# Accuracy and epoch time at the recipe's settings.
for s in $seeds; do
  "$cofi" train "${train[@]}" --seed "$s" --metrics "$work/cofi-dotbias-$s.json" > /dev/null
  "$py" bench/torch_reference.py "${ref[@]}" --model dotbias --data "$split" --seed "$s" --threads 2 > "$work/torch-dotbias-$s.jsonl"
done
"$cofi" train "${train[@]}" --model nn --seed 1 --metrics "$work/cofi-nn-1.json" > /dev/null
"$py" bench/torch_reference.py "${ref[@]}" --model nn --data "$split" --seed 1 --threads 2 > "$work/torch-nn-1.jsonl"

# Speed: one epoch at each batch size.
for model in dotbias nn; do
  for bs in 64 1024 8192; do
    "$cofi" train --train "$split/train.csv" --threads 2 --quiet --model "$model" --epochs 1 --batch-size "$bs" \
      --metrics "$work/cofi-speed-$model-$bs.json" > /dev/null
  done
  "$py" bench/torch_reference.py "${ref[@]}" --model "$model" --data "$split" --threads 2 --epochs-only-timing \
    > "$work/torch-speed-$model.jsonl"
done

"$py" - "$work" "$seeds" <<'PY'
import json, sys, statistics, glob, os
work, seeds = sys.argv[1], sys.argv[2].split()
def cofi(path): return json.load(open(path))
def torch(path): return [json.loads(l) for l in open(path) if l.strip()]
def last_valid(js): return [e for e in js if e.get("event") == "done"][0]["valid_mse"]
print("\n## Accuracy (valid MSE after 5 epochs, canonical split)\n")
print("| model | cofi | PyTorch | seeds |\n|---|---|---|---|")
for model, ss in (("dotbias", seeds), ("nn", ["1"])):
    c = [cofi(f"{work}/cofi-{model}-{s}.json")["epochs"][-1]["valid_mse"] for s in ss]
    t = [last_valid(torch(f"{work}/torch-{model}-{s}.jsonl")) for s in ss]
    print(f"| {model} | {statistics.mean(c):.4f} ({', '.join(f'{x:.4f}' for x in c)}) | "
          f"{statistics.mean(t):.4f} ({', '.join(f'{x:.4f}' for x in t)}) | {len(ss)} |")
print("\n## Epoch time at the recipe's settings (5 epochs, batch 64; mean over epochs and seeds)\n")
print("| model | cofi s/epoch | PyTorch s/epoch | speed-up |\n|---|---|---|---|")
for model, ss in (("dotbias", seeds), ("nn", ["1"])):
    c = statistics.mean(e["train_seconds"] for s in ss for e in cofi(f"{work}/cofi-{model}-{s}.json")["epochs"])
    t = statistics.mean(e["train_s"] for s in ss for e in torch(f"{work}/torch-{model}-{s}.jsonl") if e.get("event") == "epoch")
    print(f"| {model} | {c:.4f} | {t:.3f} | {t / c:.0f}x |")
print("\n## Ratings per second, one epoch (2 threads each)\n")
print("| model | batch | cofi | PyTorch | speed-up |\n|---|---|---|---|---|")
for model in ("dotbias", "nn"):
    t = {e["batch_size"]: e["ratings_per_s"] for e in torch(f"{work}/torch-speed-{model}.jsonl") if e.get("event") == "timing"}
    for bs in (64, 1024, 8192):
        c = cofi(f"{work}/cofi-speed-{model}-{bs}.json")["epochs"][0]["ratings_per_second"]
        print(f"| {model} | {bs} | {c:,.0f} | {t[bs]:,.0f} | {c / t[bs]:.0f}x |")
PY
