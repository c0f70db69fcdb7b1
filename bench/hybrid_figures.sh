#!/usr/bin/env bash
# The hybrid and content figures of docs/benchmarks.md (docs/hybrid.md explains the models):
#   1. cold users and cold items on ml-100k: 20% of the users (items) held out with all their
#      ratings (`cofi data split --method cold-users|cold-items`), seeds 1..5; the hybrid (trained on
#      the rest with the users' and items' side data) beside the global mean, bias-only and
#      feature-group baselines and dotbias (whose cold rows are its average user or item);
#   2. the same on the synthetic set (synth-movielens --ratings 2000000 --users 20000 --items 10000),
#      seeds 1..SYNTH_SEEDS, trained with batches of 1024 at lr 1e-2 (2M ratings at batch 64 is slow);
#   3. warm: valid MSE of hybrid and dotbias on ml-latest-small's canonical 80/20 split;
#   4. ranking (cofi eval --ranking, k = 10) of content, hybrid and dotbias next to popularity on
#      ml-latest-small's canonical split and ml-100k's u1..u5.
# Usage: bench/hybrid_figures.sh [COFI] > table.md   (SYNTH_SEEDS=0 leaves the synthetic set out)
set -euo pipefail
cofi=${1:-build/release/bin/cofi}
data=${COFI_DATA_DIR:-../shared/data}
synth_tool=${SYNTH_MOVIELENS:-../shared/tools/synth-movielens}
synth_seeds=${SYNTH_SEEDS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export COFI_DATA_DIR=$data

# "model global bias group" RMSE of the cold-start table's row ROW ("cold users", "cold items").
cold_row() {  # MODEL TEST ROW
  "$cofi" eval --model "$1" --test "$2" | awk -v row="$3" '$0 ~ "^" row " " {print $4, $5, $6, $7}'
}

# One cold-start protocol: split, train hybrid and dotbias, score; appends
# "seed hybrid dotbias global bias group" to OUT.
cold_run() {  # DATA SIDE-DATA METHOD ROW SEED OUT [train options...]
  local set=$1 side=$2 method=$3 row=$4 seed=$5 out=$6
  shift 6
  local dir=$work/$method-$seed
  rm -rf "$dir"
  "$cofi" data split "$set" --method "$method" --valid-pct 0.2 --seed "$seed" --out "$dir" >/dev/null
  "$cofi" train --model hybrid --train "$dir/train.csv" --side-data "$side" --out "$dir/h.cofi" --quiet "$@" >/dev/null
  "$cofi" train --model dotbias --train "$dir/train.csv" --out "$dir/d.cofi" --quiet "$@" >/dev/null
  read -r h g b f < <(cold_row "$dir/h.cofi" "$dir/valid.csv" "$row")
  read -r d _ _ _ < <(cold_row "$dir/d.cofi" "$dir/valid.csv" "$row")
  echo "$seed $h $d $g $b $f" >> "$out"
}

# A markdown table of cold_run lines, with their mean and the hybrid's change against bias-only.
cold_table() {  # TITLE FILE
  echo
  echo "#### $1"
  echo
  echo "| seed | hybrid | dotbias (average row) | global mean | bias only | feature group | hybrid vs bias only |"
  echo "|---|---|---|---|---|---|---|"
  awk '{printf "| %s | %.4f | %.4f | %.4f | %.4f | %.4f | %+.2f%% |\n", $1, $2, $3, $4, $5, $6, 100 * ($2 / $5 - 1);
        for (i = 2; i <= 6; i++) s[i] += $i; n++}
       END {printf "| mean | %.4f | %.4f | %.4f | %.4f | %.4f | %+.2f%% |\n", s[2] / n, s[3] / n, s[4] / n, s[5] / n,
            s[6] / n, 100 * (s[2] / s[5] - 1)}' "$2"
}

echo "## Cold start (RMSE of the held-out users' or items' ratings)"
for seed in 1 2 3 4 5; do
  cold_run ml-100k ml-100k cold-users "cold users" "$seed" "$work/ml100k-users.txt"
  cold_run ml-100k ml-100k cold-items "cold items" "$seed" "$work/ml100k-items.txt"
done
cold_table "ml-100k, 20% of the users held out" "$work/ml100k-users.txt"
cold_table "ml-100k, 20% of the items held out" "$work/ml100k-items.txt"

if [ "$synth_seeds" -gt 0 ]; then
  "$synth_tool" "$work/synth" --ratings 2000000 --users 20000 --items 10000 >/dev/null
  fast=(--batch-size 1024 --lr 1e-2)
  for seed in $(seq 1 "$synth_seeds"); do
    cold_run "$work/synth" "$work/synth" cold-users "cold users" "$seed" "$work/synth-users.txt" "${fast[@]}"
    cold_run "$work/synth" "$work/synth" cold-items "cold items" "$seed" "$work/synth-items.txt" "${fast[@]}"
  done
  cold_table "synthetic 2M, 20% of the users held out" "$work/synth-users.txt"
  cold_table "synthetic 2M, 20% of the items held out" "$work/synth-items.txt"
fi

echo
echo "## Warm: ml-latest-small canonical 80/20 split (valid MSE after 5 epochs)"
echo
echo "| seed | dotbias | hybrid | hybrid - dotbias |"
echo "|---|---|---|---|"
split=$data/splits/ml-latest-small-80-20
for seed in 1 2 3; do
  d=$("$cofi" train --model dotbias --train "$split/train.csv" --valid "$split/valid.csv" --seed "$seed" --quiet |
      awk '/^4 / {print $3}')
  h=$("$cofi" train --model hybrid --train "$split/train.csv" --valid "$split/valid.csv" --side-data ml-latest-small \
      --seed "$seed" --quiet | awk '/^4 / {print $3}')
  awk -v s="$seed" -v d="$d" -v h="$h" 'BEGIN {printf "| %s | %.4f | %.4f | %+.4f |\n", s, d, h, h - d}'
done

# Ranking: "name p r ndcg map mrr hit cov" lines of the model and popularity.
rank() {  # MODEL TEST NAME [data options...]
  local model=$1 test=$2 name=$3
  shift 3
  "$cofi" eval --ranking -k 10 --model "$model" --test "$test" "$@" |
    awk -v name="$name" '/^(model|popularity) +[0-9]/ {if ($1 == "model") $1 = name; print $1, $2, $3, $4, $5, $6, $7, $8}'
}
mean_rows() { awk '{if (!($1 in n)) order[++k] = $1; n[$1]++; for (i = 2; i <= 8; i++) s[$1, i] += $i}
  END {for (j = 1; j <= k; j++) {name = order[j]; printf "| %s", name; for (i = 2; i <= 8; i++) printf " | %.4f", s[name, i] / n[name]; print " |"}}'; }
rank_header() {
  echo
  echo "#### $1"
  echo
  echo "| ranker | precision@10 | recall@10 | NDCG@10 | MAP@10 | MRR@10 | hit rate@10 | coverage |"
  echo "|---|---|---|---|---|---|---|---|"
}

echo
echo "## Ranking (k = 10, relevant: held-out rating >= 4)"
for kind in content hybrid dotbias; do
  "$cofi" train --model "$kind" --train "$split/train.csv" --side-data ml-latest-small --out "$work/ls-$kind.cofi" \
    --quiet >/dev/null
  rank "$work/ls-$kind.cofi" "$split/valid.csv" "$kind" >> "$work/ls-rank.txt"
done
rank_header "ml-latest-small, canonical 80/20 split"
awk '$1 != "popularity" || !seen++' "$work/ls-rank.txt" | mean_rows

tab=(--layout delimited --delimiter '\t' --columns 0,1,2,3)
for f in 1 2 3 4 5; do
  for kind in content hybrid dotbias; do
    "$cofi" train --model "$kind" --train "$data/ml-100k/u$f.base" --side-data ml-100k --out "$work/u$f-$kind.cofi" \
      --quiet "${tab[@]}" >/dev/null
    rank "$work/u$f-$kind.cofi" "$data/ml-100k/u$f.test" "$kind" "${tab[@]}" |
      awk -v kind="$kind" '$1 != "popularity" || kind == "dotbias"' >> "$work/u-rank.txt"
  done
done
rank_header "ml-100k u1..u5 (mean of the five folds)"
mean_rows < "$work/u-rank.txt"
