#!/usr/bin/env bash
# The main job, end to end on ml-latest-small: what the data holds and a reproducible split.
# Later stages (train, evaluate, recommend) extend this script.
set -euo pipefail
cofi=${1:-build/dev/bin/cofi}
out=${COFI_DEMO_DIR:-build/demo}

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "cofi data info ml-latest-small"
"$cofi" data info ml-latest-small

step "cofi data split ml-latest-small --valid-pct 0.2 --seed 42 --out $out/split"
"$cofi" data split ml-latest-small --method random --valid-pct 0.2 --seed 42 --out "$out/split"
wc -l "$out/split/train.csv" "$out/split/valid.csv"

step "the train file, read back"
"$cofi" data info "$out/split/train.csv" --top 3 | sed -n '1,4p;$p'
