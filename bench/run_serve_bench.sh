#!/usr/bin/env bash
# Load and soak of `cofi serve` with wrk on loopback, against a model trained on ml-latest-small:
#
#   1. GET /v1/recommend?user=U&n=10 (U cycling over every user), 32 connections, 2 server threads;
#   2. POST /v1/recommend with 20 ratings (fold-in; 8 different visitors in turn), the same setup;
#   3. soak: GET and POST in turns until at least 1,000,000 requests, the server's resident memory
#      read from /proc before (after a warm-up) and after, and between rounds.
#
# Targets (issue 6): GET at least 10,000 requests/s with p99 at most 10 ms and no errors; POST
# reported the same way; memory within 5% over 1,000,000 requests. The result goes to
# bench/results/serve-<date>-<time>.md (and standard output), with the machine, its load, and the
# share of the CPU that other processes took during each run: on a busy machine the figures are
# lower bounds.
#
# Called by `make bench-serve` after `make release`. Settings (environment):
#   COFI_BENCH_COFI      the cofi binary (default build/release/bin/cofi)
#   COFI_BENCH_SECONDS   length of each measured run (default 30)
#   COFI_BENCH_SOAK      requests in the soak (default 1000000)
#   COFI_BENCH_THREADS   server threads (default 2)
#   COFI_BENCH_CONNS     wrk connections (default 32)
#   COFI_BENCH_WRK_THREADS  wrk threads (default 2)
#   COFI_DATA_DIR        where ml-latest-small is (default ../shared/data beside the checkout)
#   COFI_BENCH_RESULTS   where the result file goes (default bench/results)
set -euo pipefail
export LC_ALL=C

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cofi=${COFI_BENCH_COFI:-$repo/build/release/bin/cofi}
seconds=${COFI_BENCH_SECONDS:-30}
soak=${COFI_BENCH_SOAK:-1000000}
threads=${COFI_BENCH_THREADS:-2}
conns=${COFI_BENCH_CONNS:-32}
wrk_threads=${COFI_BENCH_WRK_THREADS:-2}
export COFI_DATA_DIR=${COFI_DATA_DIR:-$(realpath -m "$repo/../shared/data")}
results_dir=${COFI_BENCH_RESULTS:-$repo/bench/results}

die() {
  echo "run_serve_bench: $*" >&2
  exit 1
}

[[ -x "$cofi" ]] || die "no cofi binary at $cofi: run 'make release' first"
command -v wrk >/dev/null || die "wrk is missing (apt-get install wrk; scripts/install-deps.sh installs it)"
[[ -d "$COFI_DATA_DIR/ml-latest-small" ]] || die "ml-latest-small is not in $COFI_DATA_DIR"
for v in seconds soak threads conns wrk_threads; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, not '${!v}'"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/cofi-serve-bench.XXXXXX")
server_pid=
cleanup() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "run_serve_bench: training the model (ml-latest-small, the recipe)" >&2
COFI_CACHE_DIR="$work/cache" "$cofi" train --data ml-latest-small --out "$work/m.cofi" --quiet >"$work/train.txt"

"$cofi" serve --model "$work/m.cofi" --port 0 --threads "$threads" >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
url=
for _ in $(seq 1 300); do
  url=$(sed -n 's|.*listening on \(http://[^ ]*/\).*|\1|p' "$work/serve.out")
  [[ -n "$url" ]] && break
  kill -0 "$server_pid" 2>/dev/null || die "cofi serve exited: $(cat "$work/serve.err")"
  sleep 0.1
done
[[ -n "$url" ]] || die "cofi serve did not start"
url=${url%/}
echo "run_serve_bench: serving at $url (pid $server_pid, $threads threads)" >&2

# The users to cycle through: ml-latest-small's user ids are 1..n.
n_users=$(curl -sf "$url/v1/model" | grep -o '"users":[0-9]*' | cut -d: -f2)
[[ -n "$n_users" ]] || die "GET /v1/model does not answer"
users=$(seq 1 "$n_users" | paste -sd, -)

# wrk scripts: each request from a list, and a done() that prints one line of figures.
cat >"$work/report.lua" <<'EOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d " ..
                         "p50_us=%.0f p90_us=%.0f p99_us=%.0f p999_us=%.0f max_us=%.0f mean_us=%.0f\n",
                         summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
                         latency:percentile(50), latency:percentile(90), latency:percentile(99),
                         latency:percentile(99.9), latency.max, latency.mean))
end
EOF
cat >"$work/get.lua" <<EOF
local users = { $users }
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/v1/recommend?user=" .. users[(i % #users) + 1] .. "&n=10")
end
EOF
cat "$work/report.lua" >>"$work/get.lua"
# Eight visitors with 20 ratings each, of the 160 most-rated movies (raw ids from the model's
# own explain map, which lists the most rated first).
items=$(curl -sf "$url/v1/explain?n=1&pca_items=160" | sed 's/.*"points"://' | grep -o '"item":[0-9]*' | cut -d: -f2 | paste -sd' ' -)
read -r -a top <<<"$items"
((${#top[@]} >= 160)) || die "could not read 160 item ids from /v1/explain"
{
  echo "local bodies = {"
  for v in 0 1 2 3 4 5 6 7; do
    body='{"ratings": ['
    for k in $(seq 0 19); do
      item=${top[$((v * 20 + k))]}
      rating=$(((v + k) % 5 + 1))
      if ((k > 0)); then body+=", "; fi
      body+='{"item": '"$item"', "rating": '"$rating"'}'
    done
    body+='], "n": 10}'
    echo "  '$body',"
  done
  echo "}"
  cat <<'EOF'
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i + 1
  return wrk.format(nil, "/v1/recommend", nil, bodies[(i % #bodies) + 1])
end
EOF
  cat "$work/report.lua"
} >"$work/post.lua"
# One request of each, checked, before any load.
curl -sf "$url/v1/recommend?user=1&n=10" | grep -q '"items":\[{' || die "GET /v1/recommend does not answer"
body=$(sed -n "2p" "$work/post.lua" | sed "s/^  '//; s/',\$//")
curl -sf -X POST -H 'Content-Type: application/json' -d "$body" "$url/v1/recommend" | grep -q '"rated":20' ||
  die "POST /v1/recommend with 20 ratings does not answer"

cpus=$(nproc)
ticks_per_s=$(getconf CLK_TCK)
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
proc_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$server_pid/status"; }

# run NAME SCRIPT SECONDS: one wrk run; leaves its RESULT line in $work/NAME.result, plus the
# server's and wrk's CPU time and the share other processes took.
run() {
  local name=$1 script=$2 secs=$3
  local b0 b1 s0 s1
  b0=$(busy_ticks)
  s0=$(proc_ticks "$server_pid")
  /usr/bin/time -f '%U %S' -o "$work/$name.time" \
    wrk -t"$wrk_threads" -c"$conns" -d"${secs}s" --timeout 5s -s "$script" "$url" >"$work/$name.wrk" 2>&1 ||
    die "wrk failed: $(cat "$work/$name.wrk")"
  b1=$(busy_ticks)
  s1=$(proc_ticks "$server_pid")
  grep '^RESULT' "$work/$name.wrk" >"$work/$name.result" || die "no result from wrk: $(cat "$work/$name.wrk")"
  read -r wu ws <"$work/$name.time"
  awk -v busy=$((b1 - b0)) -v srv=$((s1 - s0)) -v hz="$ticks_per_s" -v wu="$wu" -v ws="$ws" -v c="$cpus" -v s="$secs" \
    'BEGIN { server = srv / hz; wrk = wu + ws; others = busy / hz - server - wrk; if (others < 0) others = 0;
             printf "server_cpu=%.2f wrk_cpu=%.2f others_pct=%.0f\n", server, wrk, 100 * others / (s * c) }' \
    >>"$work/$name.result"
}

field() { sed -n "s/.* $2=\([0-9.]*\).*/\1/p; s/^$2=\([0-9.]*\).*/\1/p" "$work/$1.result" | head -n 1; }
rps() { awk -v r="$(field "$1" requests)" -v d="$(field "$1" duration_us)" 'BEGIN { printf "%.0f", r / (d / 1e6) }'; }
ms() { awk -v u="$(field "$1" "$2")" 'BEGIN { printf "%.2f", u / 1000 }'; }
errors() {
  local n=0 f
  for f in connect read write status timeout; do n=$((n + $(field "$1" $f))); done
  echo $n
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "run_serve_bench: warm-up (5 s each)" >&2
run warm_get "$work/get.lua" 5
run warm_post "$work/post.lua" 5
echo "run_serve_bench: GET /v1/recommend, $seconds s" >&2
run get "$work/get.lua" "$seconds"
echo "run_serve_bench: POST /v1/recommend (20 ratings), $seconds s" >&2
run post "$work/post.lua" "$seconds"

echo "run_serve_bench: soak, at least $soak requests" >&2
rss_start=$(rss_kib)
soak_total=0
soak_errors=0
soak_rss="$rss_start"
round=0
while ((soak_total < soak)); do
  if ((round % 2 == 0)); then script=get.lua; else script=post.lua; fi
  run "soak$round" "$work/$script" 10
  soak_total=$((soak_total + $(field "soak$round" requests)))
  soak_errors=$((soak_errors + $(errors "soak$round")))
  soak_rss+=" $(rss_kib)"
  round=$((round + 1))
done
rss_end=$(rss_kib)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
metrics=$(curl -sf "$url/metrics")

kill -TERM "$server_pid"
wait "$server_pid" || die "cofi serve did not exit cleanly on SIGTERM"
server_pid=

verdict() { awk "BEGIN { print ($1) ? \"**met**\" : \"**missed**\" }"; }
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
mem_gib=$(awk '/^MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=
git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && dirty=" (with uncommitted changes)"
rss_change=$(awk -v a="$rss_start" -v b="$rss_end" 'BEGIN { printf "%+.1f", 100 * (b - a) / a }')
rss_max=$(tr ' ' '\n' <<<"$soak_rss" | sort -n | tail -n 1)
rss_max_change=$(awk -v a="$rss_start" -v b="$rss_max" 'BEGIN { printf "%+.1f", 100 * (b - a) / a }')
others_max=0
for f in "$work"/*.result; do
  o=$(sed -n 's/.*others_pct=\([0-9]*\).*/\1/p' "$f")
  ((o > others_max)) && others_max=$o
done

report=$work/report.md
{
  echo "# cofi serve under load (wrk, loopback)"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- machine: $cpu_model, nproc $cpus, $mem_gib GiB memory, Linux $(uname -r)"
  echo "- load average (1, 5, 15 min): $load_before before, $load_after after"
  if ((others_max >= 10)); then
    echo "- **the machine was busy**: other processes took up to $others_max% of its CPU time during a run"
    echo "  (column \"others\"); wrk and the server share the same CPUs, so these figures are lower bounds"
  fi
  echo "- cofi: commit $commit$dirty, \`$cofi\`"
  echo "- model: \`cofi train --data ml-latest-small\` (dotbias, the recipe: $(awk '/^[0-9]+ / { e = $1 + 1; r = $4 } END { printf "valid RMSE %s after %d epochs", r, e }' "$work/train.txt"))"
  echo "- server: \`cofi serve --model m.cofi --port 0 --threads $threads\`"
  echo "- client: \`wrk -t$wrk_threads -c$conns -d${seconds}s --timeout 5s -s SCRIPT\` ($(wrk --version 2>&1 | head -n 1 | cut -d' ' -f1-2)),"
  echo "  GET cycling over users 1..$n_users, POST cycling over 8 visitors with 20 ratings each"
  echo "  (the 160 most-rated movies); 5 s of each first as warm-up"
  echo
  echo "| run | requests/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors | server CPU s | wrk CPU s | others' CPU % |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for r in get post; do
    label="GET /v1/recommend?user=U&n=10"
    [[ $r == post ]] && label="POST /v1/recommend, 20 ratings"
    echo "| $label | $(rps $r) | $(ms $r p50_us) | $(ms $r p90_us) | $(ms $r p99_us) | $(ms $r p999_us) | $(ms $r max_us) |" \
      "$(errors $r) | $(field $r server_cpu) | $(field $r wrk_cpu) | $(field $r others_pct) |"
  done
  echo
  echo "Soak: $round runs of 10 s, GET and POST in turns, $soak_total requests, $soak_errors errors."
  echo "Server resident memory (VmRSS) after the warm-up $((rss_start / 1024)) MiB, after the soak"
  echo "$((rss_end / 1024)) MiB (**${rss_change}%**); the largest between runs $((rss_max / 1024)) MiB (${rss_max_change}%)."
  echo "Every reading, KiB: $soak_rss"
  echo
  echo "## Targets"
  echo
  echo "| target | measured | verdict |"
  echo "|---|---|---|"
  echo "| GET: at least 10,000 requests/s | $(rps get) | $(verdict "$(rps get) >= 10000") |"
  echo "| GET: p99 at most 10 ms | $(ms get p99_us) ms | $(verdict "$(field get p99_us) <= 10000") |"
  echo "| GET: zero errors | $(errors get) | $(verdict "$(errors get) == 0") |"
  echo "| POST (20 ratings): reported | $(rps post) requests/s, p99 $(ms post p99_us) ms, $(errors post) errors | - |"
  echo "| memory flat (within 5%) over $soak_total requests | ${rss_change}% (largest reading ${rss_max_change}%) |" \
    "$(verdict "${rss_change#+} <= 5 && ${rss_change#+} >= -5 && ${rss_max_change#+} <= 5") |"
  echo "| soak: zero errors | $soak_errors | $(verdict "$soak_errors == 0") |"
  echo
  echo "The server's own count (/metrics, request time inside the service, whole run):"
  echo
  echo '```'
  grep -E '^cofi_http_requests_total|^cofi_http_request_duration_seconds_(sum|count)\{endpoint="recommend' <<<"$metrics" || true
  echo '```'
} >"$report"

mkdir -p "$results_dir"
out=$results_dir/serve-$(date -u +%Y-%m-%d-%H%M).md
cp "$report" "$out"
cat "$report"
echo "run_serve_bench: written to $out" >&2
