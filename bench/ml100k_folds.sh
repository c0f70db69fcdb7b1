#!/usr/bin/env bash
# ml-100k's canonical protocol: train on each uN.base, score uN.test, report the mean test RMSE
# over u1..u5. Extra arguments go to `cofi train` (e.g. --lr 3e-3 --wd 0.1 --factors 50).
# Usage: bench/ml100k_folds.sh [--cofi BINARY] [TRAIN OPTIONS...]
set -euo pipefail
cd "$(dirname "$0")/.."
cofi=build/release/bin/cofi
if [[ "${1:-}" == "--cofi" ]]; then cofi=$2; shift 2; fi
data=${COFI_DATA_DIR:-../shared/data}/ml-100k
sum=0
line=""
for k in 1 2 3 4 5; do
  rmse=$("$cofi" train --train "$data/u$k.base" --valid "$data/u$k.test" --quiet "$@" | tail -1 | awk '{print $4}')
  line+=" u$k=$rmse"
  sum=$(awk -v a="$sum" -v b="$rmse" 'BEGIN {print a + b}')
done
echo "mean_rmse=$(awk -v s="$sum" 'BEGIN {printf "%.4f", s / 5}')$line  [$*]"
