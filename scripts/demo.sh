#!/usr/bin/env bash
# The main job, end to end on ml-latest-small: what the data holds, a reproducible split, the
# recipe's model trained on it, how well it rates and ranks, what it learned, and what it
# recommends: ten movies for one user and ten movies like Toy Story.
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
"$cofi" train --train "$out/split/train.csv" --valid "$out/split/valid.csv" --items ml-latest-small \
  --out "$out/dotbias.cofi" --metrics "$out/dotbias.json" --plot "$out/dotbias-loss.svg"

step "cofi eval --model $out/dotbias.cofi --test $out/split/valid.csv"
"$cofi" eval --model "$out/dotbias.cofi" --test "$out/split/valid.csv"

step "cofi eval --ranking -k 10 (beside popularity and random)"
"$cofi" eval --ranking -k 10 --model "$out/dotbias.cofi" --test "$out/split/valid.csv"

step "cofi inspect $out/dotbias.cofi"
"$cofi" inspect "$out/dotbias.cofi"

step "cofi explain: item biases and principal components of the item factors"
"$cofi" explain --model "$out/dotbias.cofi" -n 5 --plot "$out/pca.svg"

step "cofi recommend --user 1: ten movies user 1 has not rated, and why"
"$cofi" recommend --model "$out/dotbias.cofi" --user 1 -n 10 --why

step "cofi recommend --rate: a new user who liked three Pixar films and disliked two action films"
"$cofi" recommend --model "$out/dotbias.cofi" --rate "1:5,2355:4.5,6377:5,1370:1.5,2571:2" -n 10

step "cofi similar --item \"toy story\": ten movies most like Toy Story"
"$cofi" similar --model "$out/dotbias.cofi" --item "toy story" -n 10
