#!/usr/bin/env bash
# The main job, end to end on ml-latest-small: what the data holds, a reproducible split, the
# recipe's model trained on it, and what is inside the saved model. Later stages (recommend,
# explain, serve) extend this script.
set -euo pipefail
cofi=${1:-build/dev/bin/cofi}
out=${COFI_DEMO_DIR:-build/demo}
mkdir -p "$out"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "cofi data info ml-latest-small"
"$cofi" data info ml-latest-small

step "cofi data split ml-latest-small --valid-pct 0.2 --seed 42 --out $out/split"
"$cofi" data split ml-latest-small --method random --valid-pct 0.2 --seed 42 --out "$out/split"
wc -l "$out/split/train.csv" "$out/split/valid.csv"

step "cofi train: dotbias, 50 factors, y_range 0..5.5, Adam wd 0.1, one-cycle 5e-3, 5 epochs, batch 64"
"$cofi" train --train "$out/split/train.csv" --valid "$out/split/valid.csv" \
  --out "$out/dotbias.cofi" --metrics "$out/dotbias.json" --plot "$out/dotbias-loss.svg"

step "cofi eval --model $out/dotbias.cofi --test $out/split/valid.csv"
"$cofi" eval --model "$out/dotbias.cofi" --test "$out/split/valid.csv"

step "cofi inspect $out/dotbias.cofi"
"$cofi" inspect "$out/dotbias.cofi"
