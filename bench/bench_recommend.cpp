// Recommendation speed against its reference in the same run (docs/benchmarks.md):
//   batch: top-k for every user of a model, against the bare Eigen matrix product of the same
//          shapes (all users x all items, computed in row blocks on the same threads, the result
//          discarded block by block: a dense users x items result would not fit in memory);
//   fold-in: a new user with R ratings fitted and given a top-k, p50 and p99 over N calls.
// Usage: bench_recommend MODEL [--k 10] [--threads 0] [--fold-in-calls 10000] [--ratings 20]
#include <Eigen/Core>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cofi/io/model_file.h"
#include "cofi/parallel.h"
#include "cofi/random.h"
#include "cofi/recommend/explain.h"
#include "cofi/recommend/recommender.h"

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(
        stderr,
        "usage: bench_recommend MODEL [--k 10] [--threads 0] [--fold-in-calls 10000] [--ratings 20]\n");
    return 2;
  }
  size_t k = 10, calls = 10000, n_ratings = 20;
  unsigned threads = 0;
  for (int a = 2; a + 1 < argc; a += 2) {
    std::string opt = argv[a];
    unsigned long v = std::stoul(argv[a + 1]);
    if (opt == "--k")
      k = v;
    else if (opt == "--threads")
      threads = static_cast<unsigned>(v);
    else if (opt == "--fold-in-calls")
      calls = v;
    else if (opt == "--ratings")
      n_ratings = v;
  }
  threads = cofi::resolve_threads(threads);
  auto t_load = Clock::now();
  cofi::SavedModel m = cofi::load_model(argv[1]);
  const double load_s = seconds_since(t_load);
  const cofi::Model& model = *m.model;
  const auto& c = model.config();
  std::printf("model %s: %s, %u users, %u items, %u factors (loaded in %.2f s); %u threads\n", argv[1],
              cofi::to_string(c.kind), c.n_users, c.n_items, c.item_factors, load_s, threads);

  // --- The reference: U (users x k) . V^T (k x items), in blocks of 256 users. ---
  using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const cofi::Parameter& ue = model.embedding(cofi::Side::user);
  const cofi::Parameter& ie = model.embedding(cofi::Side::item);
  Eigen::Map<const Matrix> v(ie.value.data(), ie.rows, ie.cols);
  const size_t block = 256;
  const size_t blocks = (c.n_users + block - 1) / block;
  std::vector<double> checksums(blocks, 0.0);
  auto t_gemm = Clock::now();
  cofi::parallel_for(blocks, threads, [&](size_t b) {
    const size_t first = b * block, rows = std::min(block, c.n_users - first);
    Eigen::Map<const Matrix> u(ue.row(static_cast<uint32_t>(first)), static_cast<Eigen::Index>(rows),
                               ue.cols);
    Matrix s = u * v.transpose();
    checksums[b] = s(0, 0);  // keeps the product from being optimised away
  });
  const double gemm_s = seconds_since(t_gemm);

  // --- Batch top-k for every user. ---
  cofi::Recommender rec(m);
  cofi::RecommendOptions o;
  o.n = k;
  o.threads = threads;
  std::vector<uint32_t> users(c.n_users);
  for (uint32_t u = 0; u < c.n_users; ++u) users[u] = u;
  auto t_rank = Clock::now();
  auto lists = rec.for_users(users, o);
  const double rank_s = seconds_since(t_rank);
  size_t listed = 0;
  for (const auto& l : lists) listed += l.size();
  const double flops = 2.0 * c.n_users * c.n_items * c.item_factors;
  std::printf("\nbatch top-%zu, every user\n", k);
  std::printf("  bare Eigen product  %8.3f s  (%.1f GFLOP/s)\n", gemm_s, flops / gemm_s * 1e-9);
  std::printf("  cofi top-k          %8.3f s  (%.0f users/s, %zu items listed)\n", rank_s, c.n_users / rank_s,
              listed);
  std::printf("  ratio               %8.2fx the bare product (target: at most 1.5x)\n", rank_s / gemm_s);

  // --- Fold-in of a new user with n_ratings ratings of popular items, then a top-k. ---
  std::vector<uint32_t> popular = cofi::most_rated_items(m.catalog, 2000);
  if (popular.empty()) {
    popular.resize(std::min<uint32_t>(c.n_items, 2000));
    for (uint32_t i = 0; i < popular.size(); ++i) popular[i] = i;
  }
  cofi::SplitMix64 rng(42);
  std::vector<double> ms(calls);
  std::vector<uint32_t> items(n_ratings);
  std::vector<float> ratings(n_ratings);
  o.threads = 1;
  for (size_t call = 0; call < calls; ++call) {
    for (size_t j = 0; j < n_ratings; ++j) {
      items[j] = popular[rng.below(popular.size())];
      ratings[j] = 0.5f * static_cast<float>(1 + rng.below(10));
    }
    auto t = Clock::now();
    cofi::Newcomer who = rec.fold_in(items, ratings);
    auto recs = rec.for_newcomer(who, o);
    ms[call] = seconds_since(t) * 1e3;
    if (recs.empty()) std::abort();
  }
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(p * static_cast<double>(ms.size())))];
  };
  std::printf("\nfold-in of a new user with %zu ratings + top-%zu, %zu calls, one thread\n", n_ratings, k,
              calls);
  std::printf("  p50 %.3f ms   p99 %.3f ms   max %.3f ms\n", pct(0.50), pct(0.99), ms.back());
  return 0;
}
