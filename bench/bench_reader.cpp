// The ratings parser alone, on a MovieLens-shaped buffer generated in memory: no file, no page
// cache, no binary cache, so that a change to the parse loop shows here without the noise of the
// end-to-end load (bench/run_load_bench.sh measures that).
//
//   build/release/bin/bench_reader                       # 1 and 2 threads
//   build/release/bin/bench_reader --benchmark_filter=/1  # one thread only
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "cofi/data/dataset.h"
#include "cofi/data/ratings_reader.h"

namespace {

// `n` records of "userId,movieId,rating,timestamp" with a header, 100 ratings a user, distinct
// items per user (no duplicate pairs), half-star ratings and 10-digit timestamps: about 27 bytes a
// line, like ml-25m.
std::string make_ratings_csv(uint64_t n) {
  std::string out = "userId,movieId,rating,timestamp\n";
  out.reserve(out.size() + n * 28);
  char line[64];
  uint64_t state = 0x9e3779b97f4a7c15ull;
  for (uint64_t i = 0; i < n; ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;  // LCG: fixed, portable
    const uint64_t user = i / 100 + 1;
    const uint64_t item = (user * 7 + (i % 100) * 131) % 60000 + 1;
    const unsigned half_stars = static_cast<unsigned>((state >> 33) % 10) + 1;  // 0.5 .. 5.0
    const uint64_t ts = 1000000000 + (state >> 35) % 600000000;
    int len = std::snprintf(line, sizeof line, "%llu,%llu,%u.%u,%llu\n", static_cast<unsigned long long>(user),
                            static_cast<unsigned long long>(item), half_stars / 2, half_stars % 2 ? 5u : 0u,
                            static_cast<unsigned long long>(ts));
    out.append(line, static_cast<size_t>(len));
  }
  return out;
}

const std::string& buffer() {
  static const std::string bytes = make_ratings_csv(2'000'000);
  return bytes;
}

// Argument: the number of threads.
void BM_ParseRatings(benchmark::State& state) {
  const std::string& bytes = buffer();
  const cofi::RatingsFormat format = cofi::movielens_format(cofi::Layout::ml_latest);
  cofi::ReadOptions options;
  options.threads = static_cast<unsigned>(state.range(0));
  size_t records = 0;
  for (auto _ : state) {
    cofi::Ratings r = cofi::parse_ratings(bytes, "generated ratings.csv", format, options);
    records = r.size();
    benchmark::DoNotOptimize(r.rating.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * records));
  state.counters["records"] = static_cast<double>(records);
}
BENCHMARK(BM_ParseRatings)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
