#!/usr/bin/env bash
# Loading ratings, side by side in one run: `wc -l` (the floor: reading the bytes and finding the
# line ends), `cofi data info` (parse; first load with a fresh binary cache; second load, a cache
# hit) and pandas.read_csv (default dtypes, explicit dtypes, and engine="pyarrow" when pyarrow is
# installed), all on the same synth-movielens ratings.csv (25M ratings, ~675 MB), with the page
# cache warm so that every tool reads from memory. Each is run N times, interleaved round by
# round; the table gives the best and the median wall time of the whole process, its CPU time and
# peak resident memory (/usr/bin/time), the CPU share other processes took meanwhile, and the
# ratios the load targets are stated in (verdicts on the best runs).
#
# Called by `make bench-load` (and `make bench`), after `make release`. Writes
# bench/results/load-<date>-<time>.md and prints the same markdown.
#
# Settings (environment):
#   COFI_BENCH_DATA     data folder, made by synth-movielens when it has no ratings.csv
#                       (default /tmp/cofi-bench/synth25m; never inside the repository)
#   COFI_BENCH_RUNS     runs of each command (default 3)
#   COFI_BENCH_COFI     the cofi binary (default build/release/bin/cofi)
#   COFI_BENCH_PYTHON   the Python with pandas (default /usr/bin/python3: Debian's python3-pandas)
#   COFI_BENCH_SYNTH    the generator (default ../shared/tools/synth-movielens beside the checkout)
#   COFI_BENCH_RESULTS  where the result file goes (default bench/results)
#   COFI_BENCH_QUIET    before each run, wait up to this many seconds (default 60; 0: no wait) for
#                       a second in which other processes use under 10% of the machine's CPU
set -euo pipefail
export LC_ALL=C

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
data_dir=${COFI_BENCH_DATA:-/tmp/cofi-bench/synth25m}
runs=${COFI_BENCH_RUNS:-3}
quiet_wait=${COFI_BENCH_QUIET:-60}
cofi=${COFI_BENCH_COFI:-$repo/build/release/bin/cofi}
python=${COFI_BENCH_PYTHON:-/usr/bin/python3}
synth=${COFI_BENCH_SYNTH:-$repo/../shared/tools/synth-movielens}
results_dir=${COFI_BENCH_RESULTS:-$repo/bench/results}

die() {
  echo "run_load_bench: $*" >&2
  exit 1
}

[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "COFI_BENCH_RUNS must be a positive integer, not '$runs'"
[[ "$quiet_wait" =~ ^[0-9]+$ ]] || die "COFI_BENCH_QUIET must be a whole number of seconds, not '$quiet_wait'"
[[ -x "$cofi" ]] || die "no cofi binary at $cofi: run 'make release' first"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (Debian package 'time')"
data_dir=$(realpath -m "$data_dir")
case "$data_dir/" in
  "$repo"/*) die "the bench data must live outside the repository, not in $data_dir" ;;
esac
ratings=$data_dir/ratings.csv

# The data: 25M ratings by default. Generated beside its final place and renamed, so that an
# interrupted generation never leaves a partial file to be measured next time.
if [[ ! -f "$ratings" ]]; then
  [[ -x "$synth" ]] || die "no $ratings and no generator at $synth"
  [[ ! -e "$data_dir" ]] || die "$data_dir exists but holds no ratings.csv; remove it or set COFI_BENCH_DATA"
  mkdir -p "$(dirname "$data_dir")"
  partial=$data_dir.partial.$$
  echo "run_load_bench: generating $data_dir with $synth (25M ratings, about half a minute)" >&2
  "$synth" "$partial" >&2
  mv "$partial" "$data_dir"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/cofi-load-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

have_pandas=0
have_pyarrow=0
if "$python" -c 'import pandas' 2>/dev/null; then
  have_pandas=1
  "$python" -c 'import pyarrow' 2>/dev/null && have_pyarrow=1
else
  echo "run_load_bench: $python cannot import pandas (apt-get install python3-pandas); its rows are left out" >&2
fi

warm_page_cache() {
  cat "$data_dir"/*.csv >/dev/null
}

declare -A wall=() rss=() inproc=() others=() cpu=()
source "$repo/bench/machine_load.sh"

# measure KEY CMD...: runs CMD once; appends to KEY's lists its wall seconds, its max RSS (KiB) and
# the share of the machine's CPU time that other processes took meanwhile (the machine's busy time
# less the command's own user + system time, over wall time x CPUs); leaves its standard output in
# $work/out.
measure() {
  local key=$1
  shift
  local t0 t1 b0 b1
  wait_for_quiet
  b0=$(busy_ticks)
  t0=$(date +%s%N)
  if ! /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" >"$work/out" 2>"$work/err"; then
    cat "$work/err" >&2
    die "'$*' failed"
  fi
  t1=$(date +%s%N)
  b1=$(busy_ticks)
  local wall_s user_s sys_s max_rss
  read -r _ user_s sys_s max_rss < <(tail -n 1 "$work/time")
  wall_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
  wall[$key]+="$wall_s "
  rss[$key]+="$max_rss "
  cpu[$key]+="$(awk -v u="$user_s" -v s="$sys_s" 'BEGIN { printf "%.2f", u + s }') "
  others[$key]+="$(awk -v busy=$((b1 - b0)) -v hz="$ticks_per_s" -v u="$user_s" -v s="$sys_s" -v w="$wall_s" \
    -v c="$cpus" 'BEGIN { x = (busy / hz - u - s) / (w * c); printf "%.0f", (x > 0 ? 100 * x : 0) }') "
}

# cofi's own "loaded in S s" (ratings and side data, without the summary and printing).
cofi_loaded_in() {
  sed -n 's/^loaded in \([0-9.]*\) s.*/\1/p' "$work/out"
}
cofi_ratings() {
  sed -n 's/^ratings  *\([0-9,]*\)$/\1/p' "$work/out" | tr -d ,
}

echo "run_load_bench: $runs rounds on $ratings" >&2
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
load_rounds=
n_ratings=
for ((round = 1; round <= runs; ++round)); do
  echo "run_load_bench: round $round of $runs" >&2
  load_rounds+="$(cut -d' ' -f1 /proc/loadavg) "
  warm_page_cache

  measure wc wc -l "$ratings"
  lines=$(awk '{ print $1 }' "$work/out")

  # Parse only: --no-cache neither reads nor writes an entry (an empty cache folder all the same).
  mkdir "$work/cache-none"
  measure parse env COFI_CACHE_DIR="$work/cache-none" "$cofi" data info --no-cache "$ratings"
  inproc[parse]+="$(cofi_loaded_in) "
  n=$(cofi_ratings)
  [[ -n "$n" ]] || die "cannot find the ratings count in cofi's output"
  [[ -z "$n_ratings" || "$n" == "$n_ratings" ]] || die "cofi read $n ratings, earlier $n_ratings"
  n_ratings=$n
  [[ -z "$(ls -A "$work/cache-none")" ]] || die "cofi data info --no-cache wrote a cache entry"
  rm -rf "$work/cache-none"

  # The binary cache, from an empty folder: the first load parses and stores, the second maps.
  mkdir "$work/cache"
  measure first env COFI_CACHE_DIR="$work/cache" "$cofi" data info "$ratings"
  inproc[first]+="$(cofi_loaded_in) "
  grep -q 'from the binary cache' "$work/out" && die "the first load with an empty cache folder was a hit"
  [[ "$(cofi_ratings)" == "$n_ratings" ]] || die "the first cached load read a different count"
  measure second env COFI_CACHE_DIR="$work/cache" "$cofi" data info "$ratings"
  inproc[second]+="$(cofi_loaded_in) "
  grep -q 'from the binary cache' "$work/out" || die "the second load did not hit the binary cache"
  [[ "$(cofi_ratings)" == "$n_ratings" ]] || die "the cache hit gave a different count"
  rm -rf "$work/cache"

  if ((have_pandas)); then
    variants=(default dtypes)
    ((have_pyarrow)) && variants+=(pyarrow)
    for v in "${variants[@]}"; do
      measure "pandas_$v" "$python" "$repo/bench/pandas_read_csv.py" "$ratings" "$v"
      inproc[pandas_$v]+="$(sed -n 's/.*read_csv_s=\([0-9.]*\).*/\1/p' "$work/out") "
      rows=$(sed -n 's/^rows=\([0-9]*\).*/\1/p' "$work/out")
      [[ "$rows" == "$n_ratings" ]] || die "pandas ($v) read $rows rows, cofi $n_ratings"
    done
  fi
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# Statistics of a space-separated list of numbers.
best() { tr ' ' '\n' <<<"$1" | grep . | sort -g | head -n 1; }
median() {
  tr ' ' '\n' <<<"$1" | grep . | sort -g |
    awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.4f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
maximum() { tr ' ' '\n' <<<"$1" | grep . | sort -g | tail -n 1; }
# calc FORMAT EXPRESSION
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
mib() { calc '%.0f' "$1 / 1048576"; }
verdict() { awk "BEGIN { print ($1) ? \"**met**\" : \"**missed**\" }"; }

# The machine and the software.
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
mem_gib=$(awk '/^MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=
git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && dirty=" (with uncommitted changes)"
compiler=$(sed -n 's/^CMAKE_CXX_COMPILER:[^=]*=//p' "$(dirname "$cofi")/../CMakeCache.txt" 2>/dev/null || true)
[[ -n "$compiler" ]] && compiler=$("$compiler" --version | head -n 1)
python_versions="pandas not installed"
((have_pandas)) && python_versions=$("$python" -c \
  'import sys, numpy, pandas; print(f"pandas {pandas.__version__}, numpy {numpy.__version__}, Python {sys.version.split()[0]}")')
bytes=$(stat -c %s "$ratings")
others_max=0
for key in "${!others[@]}"; do
  m=$(maximum "${others[$key]}")
  if ((m > others_max)); then others_max=$m; fi
done

labels=(
  "wc:\`wc -l\` (reference: read the bytes, count the line ends)"
  "parse:\`cofi data info --no-cache\` (parse)"
  "first:\`cofi data info\`, 1st load, empty cache folder (parse + store)"
  "second:\`cofi data info\`, 2nd load (binary cache hit)"
  "pandas_default:\`pandas.read_csv(path)\` (inferred int64/float64)"
  "pandas_dtypes:\`pandas.read_csv(path, dtype=u32/u32/f32/i64)\`"
  "pandas_pyarrow:\`pandas.read_csv(path, engine=\"pyarrow\", dtype=u32/u32/f32/i64)\`"
)

# Medians and bests of the wall times, and the ratios between them.
declare -A best_of=() med_of=()
for key in "${!wall[@]}"; do
  best_of[$key]=$(best "${wall[$key]}")
  med_of[$key]=$(median "${wall[$key]}")
done
# ratio A B: A/B on the bests, then on the medians
ratio() {
  echo "$(calc '%.1f' "${best_of[$1]} / ${best_of[$2]}") $(calc '%.1f' "${med_of[$1]} / ${med_of[$2]}")"
}

report=$work/report.md
{
  echo "# Loading ratings: cofi vs \`wc -l\` vs pandas.read_csv"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- data: \`$ratings\`: $bytes bytes, $lines lines, $n_ratings ratings"
  echo "- machine: $cpu_model, nproc $cpus, $mem_gib GiB memory, Linux $(uname -r)"
  echo "- load average (1, 5, 15 min): $load_before before, $load_after after; 1 min at each round's start:" \
    "${load_rounds% }"
  if ((others_max >= 10)); then
    echo "- **other processes were busy**: they took up to $others_max% of the machine's CPU time during a"
    echo "  measured run (column \"others\"), which inflates those runs; the best runs are the least disturbed"
  fi
  echo "- cofi: commit $commit$dirty, \`$cofi\`${compiler:+, $compiler}, parsing on all $cpus threads"
  echo "- Python: \`$python\`: $python_versions; pyarrow $( ((have_pyarrow)) && echo installed || echo 'not installed (its row is left out)')"
  echo "- method: $runs runs of each, interleaved round by round; page cache warmed (\`cat > /dev/null\`)"
  echo "  before each round; time = wall clock of the whole process; max RSS = \`/usr/bin/time -f %M\`,"
  echo "  the largest of the runs. \`cofi data info\` also reads movies.csv and users.csv (the side data beside"
  echo "  ratings.csv), summarises and prints. \"In-process load\" is cofi's own \"loaded in\" figure (ratings and"
  echo "  side data) and, for pandas, the read_csv call alone (interpreter start and \`import pandas\` excluded)."
  echo "  \"CPU s\" is the command's user + system time (all its threads): more than the wall time when it"
  echo "  ran on several CPUs at once. \"Others' CPU\" is, run by run, the share of the machine's CPU time that"
  echo "  other processes took while the command ran (from /proc/stat, less the command's own user and"
  if ((quiet_wait > 0)); then
    echo "  system time); each run waited up to $quiet_wait s for a second with the machine at least 90% idle."
  else
    echo "  system time); runs did not wait for a quiet machine (COFI_BENCH_QUIET=0)."
  fi
  echo
  echo "| command | best s | median s | in-process load, median s | CPU s, median | max RSS MiB | best / \`wc -l\` best | others' CPU % |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for entry in "${labels[@]}"; do
    key=${entry%%:*}
    [[ -n "${wall[$key]:-}" ]] || continue
    load=-
    [[ -n "${inproc[$key]:-}" ]] && load=$(calc '%.3f' "$(median "${inproc[$key]}")")
    echo "| ${entry#*:} | $(calc '%.3f' "${best_of[$key]}") | $(calc '%.3f' "${med_of[$key]}") | $load | $(calc '%.2f' "$(median "${cpu[$key]}")") |" \
      "$(calc '%.0f' "$(maximum "${rss[$key]}") / 1024") | $(calc '%.1fx' "${best_of[$key]} / ${best_of[wc]}") |" \
      "$(tr ' ' '\n' <<<"${others[$key]% }" | paste -sd/) |"
  done
  echo

  echo "## Targets"
  echo
  echo "Ratios of the best runs (noise on a shared machine only ever adds time, so the best run is the"
  echo "closest to the true cost), the medians' ratio in brackets; the verdict goes by the best runs."
  echo
  echo "| target | measured | verdict |"
  echo "|---|---|---|"
  if ((have_pandas)); then
    # The fastest pandas variant, and its read_csv call alone: the comparison kindest to pandas.
    fastest=
    for key in pandas_default pandas_dtypes pandas_pyarrow; do
      [[ -n "${inproc[$key]:-}" ]] || continue
      if [[ -z "$fastest" ]] || awk "BEGIN { exit !($(best "${inproc[$key]}") < $(best "${inproc[$fastest]}")) }"; then
        fastest=$key
      fi
    done
    call_best=$(best "${inproc[$fastest]}")
    call_med=$(median "${inproc[$fastest]}")
    call_ratio=$(calc '%.1f' "$call_best / ${best_of[parse]}")
    read -r proc_ratio proc_ratio_med < <(ratio "$fastest" parse)
    echo "| \`cofi data info\` at least 10x faster than pandas.read_csv |" \
      "fastest pandas (${fastest#pandas_}), its read_csv call alone $(calc '%.2f' "$call_best") s vs the whole" \
      "cofi process $(calc '%.2f' "${best_of[parse]}") s: **${call_ratio}x** ($(calc '%.1fx' "$call_med / ${med_of[parse]}"));" \
      "whole process vs whole process: ${proc_ratio}x (${proc_ratio_med}x); read_csv call vs cofi's" \
      "in-process load ($(calc '%.3f' "$(best "${inproc[parse]}")") s): $(calc '%.1fx' "$call_best / $(best "${inproc[parse]}")") |" \
      "$(verdict "$call_ratio >= 10") |"
  else
    echo "| \`cofi data info\` at least 10x faster than pandas.read_csv | pandas not installed | not measured |"
  fi
  read -r wc_ratio wc_ratio_med < <(ratio parse wc)
  wc_in=$(calc '%.1f' "$(best "${inproc[parse]}") / ${best_of[wc]}")
  echo "| \`cofi data info\` within 5x of \`wc -l\` | whole process $(calc '%.2f' "${best_of[parse]}") s vs" \
    "$(calc '%.3f' "${best_of[wc]}") s: **${wc_ratio}x** (${wc_ratio_med}x); cofi's in-process load" \
    "$(calc '%.3f' "$(best "${inproc[parse]}")") s: **${wc_in}x** | whole process: $(verdict "$wc_ratio <= 5");" \
    "load alone: $(verdict "$wc_in <= 5") |"
  parse_rss=$(($(maximum "${rss[parse]}") * 1024))
  second_rss=$(($(maximum "${rss[second]}") * 1024))
  r12=$(calc '%.2f' "$parse_rss / ($n_ratings * 12)")
  r20=$(calc '%.2f' "$parse_rss / ($n_ratings * 20)")
  echo "| peak memory at most 2x the dense arrays (12 B a rating) | parse: max RSS $(mib "$parse_rss") MiB;" \
    "12 B x n = $(mib "$((n_ratings * 12))") MiB: **${r12}x**. The arrays cofi holds (u32 user, u32 item," \
    "f32 rating, i64 timestamp: 20 B x n = $(mib "$((n_ratings * 20))") MiB): **${r20}x**. Cache hit: max RSS" \
    "$(mib "$second_rss") MiB | $(verdict "$r12 <= 2") against 12 B; $(verdict "$r20 <= 2") against 20 B |"
  read -r cache_ratio cache_ratio_med < <(ratio first second)
  first_in=$(best "${inproc[first]}")
  second_in=$(best "${inproc[second]}")
  in_ratio=$(calc '%.1f' "$first_in / $second_in")
  echo "| the binary cache makes the 2nd load at least 10x faster than the 1st | whole process" \
    "$(calc '%.2f' "${best_of[first]}") s then $(calc '%.3f' "${best_of[second]}") s: **${cache_ratio}x** (${cache_ratio_med}x);" \
    "the load alone (cofi's \"loaded in\": ratings and side data) $(calc '%.3f' "$first_in") s then" \
    "$(calc '%.3f' "$second_in") s: **${in_ratio}x** ($(calc '%.1fx' "$(median "${inproc[first]}") / $(median "${inproc[second]}")"));" \
    "the parse alone (no store) vs the hit, whole process: $(ratio parse second | cut -d' ' -f1)x |" \
    "whole process: $(verdict "$cache_ratio >= 10"); load alone: $(verdict "$in_ratio >= 10") |"
  echo
  echo "Every run (wall s; max RSS KiB; CPU s; in-process load s; others' CPU %):"
  echo
  for entry in "${labels[@]}"; do
    key=${entry%%:*}
    [[ -n "${wall[$key]:-}" ]] || continue
    echo "- $key: ${wall[$key]% }; ${rss[$key]% }; ${cpu[$key]% }${inproc[$key]:+; ${inproc[$key]% }}; ${others[$key]% }"
  done
} >"$report"

mkdir -p "$results_dir"
out=$results_dir/load-$(date -u +%Y-%m-%d-%H%M).md
cp "$report" "$out"
cat "$report"
echo "run_load_bench: written to $out" >&2
