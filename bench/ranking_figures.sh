#!/usr/bin/env bash
# Ranking quality (precision, recall, NDCG, MAP, MRR, hit rate, coverage at k=10) of dotbias and nn
# next to popularity and random, on the canonical protocols:
#   ml-100k u1..u5 (mean over the five folds), ml-100k per-user 20% holdout (seed 42), and
#   ml-latest-small's canonical 80/20 split.
# Relevant: held-out rating >= 4. Candidates: every item the user did not rate in training.
# Usage: bench/ranking_figures.sh [COFI] > table.md
set -euo pipefail
cofi=${1:-build/release/bin/cofi}
data=${COFI_DATA_DIR:-../shared/data}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Prints "name p r ndcg map mrr hit cov" lines for model, popularity and random.
rank() {  # MODEL TEST [data options...]
  local model=$1 test=$2
  shift 2
  "$cofi" eval --ranking -k 10 --model "$model" --test "$test" "$@" |
    awk '/^(model|popularity|random) +[0-9]/ {print $1, $2, $3, $4, $5, $6, $7, $8}'
}

train() {  # KIND OUT TRAIN [data options...]
  local kind=$1 out=$2 train=$3
  shift 3
  "$cofi" train --model "$kind" --train "$train" --out "$out" --quiet "$@" >/dev/null
}

# Means of the rows of several rank() outputs, by name.
mean_rows() { awk '{n[$1]++; for (i = 2; i <= 8; i++) s[$1, i] += $i}
  END {for (name in n) {printf "%s", name; for (i = 2; i <= 8; i++) printf " %.4f", s[name, i] / n[name]; print ""}}'; }

table() {  # TITLE ROWS-FILE-FOR-DOTBIAS ROWS-FILE-FOR-NN
  echo
  echo "### $1"
  echo
  echo "| ranker | precision@10 | recall@10 | NDCG@10 | MAP@10 | MRR@10 | hit rate@10 | coverage |"
  echo "|---|---|---|---|---|---|---|---|"
  awk '$1 == "model" {$1 = "dotbias"; print}' "$2" | mean_rows
  awk '$1 == "model" {$1 = "nn"; print}' "$3" | mean_rows
  awk '$1 != "model"' "$2" | mean_rows | sort -r
} 2>/dev/null

to_md() { awk '/^[|#]/ {print; next} NF == 8 {printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8; next} {print}'; }

tab=(--layout delimited --delimiter '\t' --columns 0,1,2,3)
for f in 1 2 3 4 5; do
  for kind in dotbias nn; do
    train "$kind" "$work/u$f-$kind.cofi" "$data/ml-100k/u$f.base" "${tab[@]}"
    rank "$work/u$f-$kind.cofi" "$data/ml-100k/u$f.test" "${tab[@]}" >> "$work/u-$kind.txt"
  done
done
table "ml-100k u1..u5 (mean of the five folds)" "$work/u-dotbias.txt" "$work/u-nn.txt" | to_md

"$cofi" data split ml-100k --method user-fraction --fraction 0.2 --seed 42 --out "$work/peruser" >/dev/null
for kind in dotbias nn; do
  train "$kind" "$work/pu-$kind.cofi" "$work/peruser/train.csv"
  rank "$work/pu-$kind.cofi" "$work/peruser/valid.csv" > "$work/pu-$kind.txt"
done
table "ml-100k, 20% of each user's ratings held out (seed 42)" "$work/pu-dotbias.txt" "$work/pu-nn.txt" | to_md

split=$data/splits/ml-latest-small-80-20
for kind in dotbias nn; do
  train "$kind" "$work/ls-$kind.cofi" "$split/train.csv" --valid "$split/valid.csv"
  rank "$work/ls-$kind.cofi" "$split/valid.csv" > "$work/ls-$kind.txt"
done
table "ml-latest-small, canonical 80/20 split" "$work/ls-dotbias.txt" "$work/ls-nn.txt" | to_md
