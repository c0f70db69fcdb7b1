#!/usr/bin/env bash
# Runs cofi's main commands under valgrind's memcheck: any invalid read or write, use of an
# uninitialised value, or leak (definite, indirect or possible) fails the script.
#   scripts/valgrind-check.sh [COFI_BINARY]     (default build/dev/bin/cofi; `make valgrind`)
# Data: ml-100k from $COFI_DATA_DIR (else ../shared/data). Logs go to $VALGRIND_LOGS (default
# build/valgrind), one per command. To cover a new command, add a `check` line below.
set -euo pipefail
cd "$(dirname "$0")/.."
cofi=${1:-build/dev/bin/cofi}
data=${COFI_DATA_DIR:-$(cd .. && pwd)/shared/data}
logs=${VALGRIND_LOGS:-build/valgrind}
command -v valgrind >/dev/null || { echo "valgrind-check: valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
[[ -x $cofi ]] || { echo "valgrind-check: no $cofi; build it first" >&2; exit 2; }
[[ -d $data/ml-100k ]] || { echo "valgrind-check: no ml-100k in $data" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$logs"
export COFI_DATA_DIR=$data
# A cache of its own: the first read of each file parses and stores it, later reads map it.
export COFI_CACHE_DIR=$work/cache

failed=0
# check NAME ARGS...: runs `cofi ARGS...` under memcheck; its log is $logs/NAME.log. With
# STOP_AFTER=S in the environment, the run gets a Ctrl-C (SIGINT) after S seconds.
check() {
  local name=$1
  shift
  local start=$SECONDS
  local stop=()
  [[ -n ${STOP_AFTER:-} ]] && stop=(timeout --preserve-status --signal=INT "$STOP_AFTER")
  if "${stop[@]}" valgrind --tool=memcheck --error-exitcode=99 --leak-check=full --show-leak-kinds=all \
      --errors-for-leak-kinds=definite,indirect,possible --track-origins=yes \
      --log-file="$logs/$name.log" "$cofi" "$@" >"$logs/$name.out" 2>&1; then
    echo "valgrind-check: $name: clean ($((SECONDS - start)) s): $(grep -h 'ERROR SUMMARY' "$logs/$name.log" | sed 's/^==[0-9]*== //')"
  else
    echo "valgrind-check: $name: FAILED (exit $?), see $logs/$name.log" >&2
    grep -h -A3 'ERROR SUMMARY\|definitely lost\|indirectly lost\|possibly lost' "$logs/$name.log" >&2 || true
    failed=1
  fi
}

u1=$data/ml-100k
model=$work/m.cofi
# The data layer: every reader of a MovieLens folder (ratings, items, users, genres, occupations).
check data-info data info ml-100k
# The recipe end to end: a checkpoint after each epoch, metrics and plot, validation every
# epoch, stopped by Ctrl-C in its second epoch (an epoch takes about 15 s under memcheck) and
# saved with the run's state; then `--resume` alone finishes it from that state.
STOP_AFTER=25 check train train --train "$u1/u1.base" --valid "$u1/u1.test" --epochs 3 --out "$model" \
  --metrics "$work/m.json" --plot "$work/m.svg" --quiet
# (On a fast machine the run can end before the Ctrl-C; then there is no unfinished run to resume.)
if grep -q "stopped by Ctrl-C" "$logs/train.out"; then
  check resume train --resume "$model" --quiet
else
  echo "valgrind-check: note: the run ended before the Ctrl-C, so there was no run to resume" >&2
fi
# The finished model trained some more (a new run from its weights), then scored and inspected.
check train-more train --train "$u1/u1.base" --resume "$model" --epochs 1 --quiet
check eval eval --model "$model" --test "$u1/u1.test"
check inspect inspect "$model"
# The recommend layer: a user's top 10 with explanations, a new user folded in, a batch for every
# user, similar movies, the model explained, ranking evaluation and an incremental update.
check recommend recommend --model "$model" --items ml-100k --user 1 --why
check recommend-new recommend --model "$model" --items ml-100k --rate "50:5,181:4.5,1:2"
check recommend-all recommend --model "$model" --users all --out "$work/recs.csv"
check similar similar --model "$model" --items ml-100k --item "star wars"
check explain explain --model "$model" --items ml-100k --plot "$work/pca.svg"
check eval-ranking eval --model "$model" --test "$u1/u1.test" --ranking
check update update --model "$model" --ratings "$u1/u1.test" --out "$work/m2.cofi" --quiet

exit $failed
