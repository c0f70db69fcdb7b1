// The inner kernels of training and recommending at scale, one thread, no I/O:
//   BM_Dot      a . b for pairs of rows of a table (dot products per second)
//   BM_Update   the SGD training pass over one block: per rating a dot product, the error, and the
//               rule's update of both rows and biases (ratings per second); block shaped like one
//               of the 37 x 37 blocks of the 25M synthetic set
//   BM_TopK     the k best of n scores (scores scanned per second), n = 59,000 items as in that set
// Each kernel runs in its portable and (when the CPU has them) AVX2 + FMA builds.
//
//   build/release/bin/bench_kernels
//   build/release/bin/bench_kernels --benchmark_filter=Update
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "cofi/random.h"
#include "cofi/recommend/top_k.h"
#include "scale_impl.h"
#include "sgd_kernels_impl.h"

namespace {

using namespace cofi;
using namespace cofi::train_detail;

const SgdKernels* kernels_of(int64_t isa) { return isa == 0 ? &portable_kernels() : avx2_kernels(); }
const char* isa_name(int64_t isa) { return isa == 0 ? "portable" : "avx2"; }

// Rows of k factors (padded), filled with small random values.
AlignedArray<float> random_table(size_t rows, uint32_t k, uint64_t seed) {
  const uint32_t kv = padded_factors(k);
  AlignedArray<float> t(rows * kv);
  SplitMix64 rng(seed);
  for (size_t r = 0; r < rows; ++r)
    for (uint32_t f = 0; f < k; ++f) t[r * kv + f] = static_cast<float>(0.2 * (rng.uniform() - 0.5));
  return t;
}

// Arguments: isa (0 portable, 1 avx2), factors.
void BM_Dot(benchmark::State& state) {
  const SgdKernels* kern = kernels_of(state.range(0));
  if (!kern) return state.SkipWithError("no AVX2 + FMA on this CPU");
  const auto k = static_cast<uint32_t>(state.range(1));
  const uint32_t kv = padded_factors(k);
  // 4,096 rows: a table that stays in L2, so the kernel rather than memory is measured.
  constexpr size_t kRows = 4096, kPairs = 1 << 14;
  AlignedArray<float> a = random_table(kRows, k, 1), b = random_table(kRows, k, 2);
  std::vector<uint32_t> pairs(2 * kPairs);
  SplitMix64 rng(3);
  for (auto& p : pairs) p = static_cast<uint32_t>(rng.below(kRows));
  float sink = 0;
  for (auto _ : state) {
    for (size_t j = 0; j < kPairs; ++j)
      sink += kern->dot(a.data() + pairs[2 * j] * kv, b.data() + pairs[2 * j + 1] * kv, kv);
    benchmark::DoNotOptimize(sink);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kPairs));
  state.SetLabel(isa_name(state.range(0)));
}

// Arguments: isa, rule (0 sgd, 1 adagrad, 2 adam), factors.
void BM_Update(benchmark::State& state) {
  const SgdKernels* kern = kernels_of(state.range(0));
  if (!kern) return state.SkipWithError("no AVX2 + FMA on this CPU");
  const auto rule = static_cast<KernelRule>(state.range(1));
  const auto k = static_cast<uint32_t>(state.range(2));
  // One block of the 25M set on a 37 x 37 grid: 162,000 / 37 users, 59,000 / 37 items, 22.5M / 37^2
  // ratings, in (user, item) order.
  constexpr uint32_t kUsers = 4378, kItems = 1595;
  constexpr size_t kRatings = 16'435;
  std::vector<BlockEntry> block(kRatings);
  SplitMix64 rng(5);
  for (auto& e : block)
    e = {static_cast<uint32_t>(rng.below(kUsers)), static_cast<uint32_t>(rng.below(kItems)),
         static_cast<float>(0.5 * (1 + rng.below(10)))};
  std::sort(block.begin(), block.end(), [](const BlockEntry& x, const BlockEntry& y) {
    return x.user < y.user || (x.user == y.user && x.item < y.item);
  });
  AlignedArray<float> users = random_table(kUsers, k, 6), items = random_table(kItems, k, 7);
  AlignedArray<RowAux> ua(kUsers), ia(kItems);
  for (auto* aux : {&ua, &ia})
    for (size_t r = 0; r < aux->size(); ++r) {
      (*aux)[r].reg_f = 0.05f;
      (*aux)[r].reg_b = 0.02f;
      (*aux)[r].acc_f = (*aux)[r].acc_b = 1.0f;
    }
  const bool adam = rule == KernelRule::adam;
  AlignedArray<float> um(adam ? users.size() : 0), uv(adam ? users.size() : 0), im(adam ? items.size() : 0),
      iv(adam ? items.size() : 0);
  KernelTables t;
  t.user_factors = users.data();
  t.item_factors = items.data();
  t.user_aux = ua.data();
  t.item_aux = ia.data();
  if (adam) {
    t.user_m = um.data();
    t.user_v = uv.data();
    t.item_m = im.data();
    t.item_v = iv.data();
  }
  t.stride = padded_factors(k);
  KernelStep s;
  s.rule = rule;
  s.k = k;
  s.kv = padded_factors(k);
  s.lr = adam ? 1e-4f : 1e-3f;  // small: the tables stay near their start over many iterations
  s.offset = 3.5f;
  s.biases = true;
  double sink = 0;
  for (auto _ : state) {
    sink += kern->train_block(block.data(), block.size(), t, s);
    benchmark::DoNotOptimize(sink);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kRatings));
  state.SetLabel(std::string(isa_name(state.range(0))) + (rule == KernelRule::sgd       ? " sgd"
                                                          : rule == KernelRule::adagrad ? " adagrad"
                                                                                        : " adam"));
}

// Arguments: k.
void BM_TopK(benchmark::State& state) {
  constexpr size_t kItems = 59'000;
  std::vector<float> scores(kItems);
  SplitMix64 rng(9);
  for (auto& x : scores) x = static_cast<float>(rng.uniform());
  const auto k = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    std::vector<uint32_t> best = top_k(scores.data(), kItems, k);
    benchmark::DoNotOptimize(best.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kItems));
}

BENCHMARK(BM_Dot)->ArgNames({"isa", "k"})->ArgsProduct({{0, 1}, {16, 32, 64, 128}});
BENCHMARK(BM_Update)->ArgNames({"isa", "rule", "k"})->ArgsProduct({{0, 1}, {0, 1, 2}, {16, 32, 64}});
BENCHMARK(BM_TopK)->ArgNames({"k"})->Arg(10)->Arg(100);

}  // namespace

BENCHMARK_MAIN();
