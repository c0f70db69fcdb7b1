#!/usr/bin/env bash
# Recommendation speed (docs/benchmarks.md): batch top-10 for every user against the bare Eigen
# product of the same shapes, and fold-in + top-10 latency, on
#   - the recipe's dotbias model of ml-latest-small (canonical split, 50 factors), and
#   - a 64-factor dotbias model of synth-movielens's 25M ratings (162k users, 59k items).
# Models are trained once into $COFI_BENCH_DIR (default /tmp/cofi-bench). Results go to
# bench/results/recommend-DATE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cofi=${1:-build/release/bin/cofi}
bench=$(dirname "$cofi")/bench_recommend
dir=${COFI_BENCH_DIR:-/tmp/cofi-bench}
export COFI_DATA_DIR=${COFI_DATA_DIR:-$(cd .. && pwd)/shared/data}
mkdir -p "$dir"
split=$COFI_DATA_DIR/splits/ml-latest-small-80-20
small=$dir/ml-latest-small-dotbias.cofi
[ -f "$small" ] || "$cofi" train --train "$split/train.csv" --valid "$split/valid.csv" --items ml-latest-small \
  --out "$small" --quiet >/dev/null
synth=$dir/synth25m
[ -f "$synth/ratings.csv" ] || ../shared/tools/synth-movielens "$synth"
big=$dir/synth25m-64.cofi
# Two epochs are enough for timing: the shapes, not the accuracy, set the cost.
[ -f "$big" ] || "$cofi" train --data "$synth" --valid-pct 0.1 --epochs 2 --factors 64 --batch-size 1024 --lr 1e-2 \
  --out "$big" --quiet >/dev/null
out=bench/results/recommend-$(date +%Y-%m-%d-%H%M).md
{
  echo "# Recommendation speed, $(date '+%Y-%m-%d %H:%M')"
  echo
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo '```'
  "$bench" "$small" --fold-in-calls 10000
  echo
  "$bench" "$big" --fold-in-calls 10000
  echo '```'
} | tee "$out"
echo "written to $out"
