#include "cofi/train/scale.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "cofi/error.h"
#include "cofi/parallel.h"
#include "scale_impl.h"

namespace cofi {

const char* to_string(Solver s) {
  switch (s) {
    case Solver::minibatch:
      return "minibatch";
    case Solver::sgd_blocks:
      return "sgd-blocks";
    case Solver::als:
      return "als";
  }
  return "?";
}

Solver parse_solver(const std::string& text) {
  for (Solver s : {Solver::minibatch, Solver::sgd_blocks, Solver::als})
    if (text == to_string(s)) return s;
  throw Error("unknown solver " + quote_token(text) + " (expected minibatch, sgd-blocks or als)");
}

const char* to_string(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::automatic:
      return "auto";
    case KernelIsa::portable:
      return "portable";
    case KernelIsa::avx2:
      return "avx2";
  }
  return "?";
}

KernelIsa parse_kernel_isa(const std::string& text) {
  for (KernelIsa k : {KernelIsa::automatic, KernelIsa::portable, KernelIsa::avx2})
    if (text == to_string(k)) return k;
  throw Error("unknown kernel instruction set " + quote_token(text) + " (expected auto, portable or avx2)");
}

KernelIsa resolve_kernel_isa(KernelIsa isa) {
  const bool have_avx2 = train_detail::avx2_kernels() != nullptr;
  switch (isa) {
    case KernelIsa::automatic:
      return have_avx2 ? KernelIsa::avx2 : KernelIsa::portable;
    case KernelIsa::portable:
      return KernelIsa::portable;
    case KernelIsa::avx2:
      if (!have_avx2)
        throw Error("the AVX2 kernels need a CPU with AVX2 and FMA and an x86-64 build of cofi");
      return KernelIsa::avx2;
  }
  return KernelIsa::portable;
}

namespace train_detail {

const SgdKernels& kernels_for(KernelIsa isa) {
  return resolve_kernel_isa(isa) == KernelIsa::avx2 ? *avx2_kernels() : portable_kernels();
}

KernelTables FactorTables::kernel_tables() {
  KernelTables t;
  t.user_factors = user.data();
  t.item_factors = item.data();
  t.user_aux = user_aux.data();
  t.item_aux = item_aux.data();
  t.user_m = user_m.size() ? user_m.data() : nullptr;
  t.user_v = user_v.size() ? user_v.data() : nullptr;
  t.item_m = item_m.size() ? item_m.data() : nullptr;
  t.item_v = item_v.size() ? item_v.data() : nullptr;
  t.stride = stride;
  return t;
}

float FactorTables::predict(uint32_t u, uint32_t i,
                            float (*dot)(const float*, const float*, uint32_t)) const {
  float x = dot(user.data() + u * stride, item.data() + i * stride, kv) + offset;
  if (biases) x += user_aux[u].bias + item_aux[i].bias;
  if (!y_range) return x;
  return y_lo + y_scale / (1.0f + std::exp(-x));
}

void check_scale_inputs(const ModelConfig& model, const Ratings& train, const Ratings* valid,
                        const char* solver) {
  const std::string who = solver;
  if (model.kind != ModelKind::dot && model.kind != ModelKind::dotbias)
    throw Error(who + ": trains dot and dotbias models, not " + to_string(model.kind));
  validate(model);
  if (model.user_factors > 1024)
    throw Error(who + ": at most 1024 factors, found " + std::to_string(model.user_factors));
  if (train.size() == 0) throw Error(who + ": no training ratings");
  auto check = [&](const Ratings& r, const char* what) {
    if (r.n_users() > model.n_users || r.n_items() > model.n_items)
      throw Error(who + ": the " + what + " data has " + std::to_string(r.n_users()) + " users and " +
                  std::to_string(r.n_items()) + " items; the model has " + std::to_string(model.n_users) +
                  " and " + std::to_string(model.n_items));
  };
  check(train, "training");
  if (valid) check(*valid, "validation");
}

FactorTables make_tables(const ModelConfig& model, const Ratings& train, bool adam) {
  FactorTables t;
  t.k = model.user_factors;
  t.kv = padded_factors(t.k);
  t.stride = t.kv >= 16 ? (t.kv + 15) / 16 * 16 : t.kv;
  t.n_users = model.n_users;
  t.n_items = model.n_items;
  t.user = AlignedArray<float>(static_cast<size_t>(t.n_users) * t.stride);
  t.item = AlignedArray<float>(static_cast<size_t>(t.n_items) * t.stride);
  t.user_aux = AlignedArray<RowAux>(t.n_users);
  t.item_aux = AlignedArray<RowAux>(t.n_items);
  if (adam) {
    t.user_m = AlignedArray<float>(t.user.size());
    t.user_v = AlignedArray<float>(t.user.size());
    t.item_m = AlignedArray<float>(t.item.size());
    t.item_v = AlignedArray<float>(t.item.size());
  }
  t.biases = model.kind == ModelKind::dotbias;
  t.y_range = model.y_range;
  t.y_lo = model.y_min;
  t.y_scale = model.y_max - model.y_min;
  if (t.biases) {
    double sum = 0;
    for (float r : train.rating) sum += r;
    const double mean = sum / static_cast<double>(train.size());
    if (t.y_range) {
      // The sigmoid's inverse at the mean, kept away from the ends where it is infinite.
      const double share = std::clamp((mean - model.y_min) / (model.y_max - model.y_min), 1e-3, 1.0 - 1e-3);
      t.offset = static_cast<float>(std::log(share / (1.0 - share)));
    } else {
      t.offset = static_cast<float>(mean);
    }
  }
  return t;
}

void fill_normal_rows(float* rows, size_t n, size_t stride, uint32_t k, double std, const uint32_t* counts,
                      SplitMix64& rng) {
  // Box-Muller, both values of each pair used; u1 in (0, 1] keeps log(u1) finite. Every row draws
  // k values, used or not, so a row's values do not depend on which rows have data.
  constexpr double kTwoPi = 6.283185307179586476925;
  double spare = 0;
  bool have_spare = false;
  for (size_t r = 0; r < n; ++r) {
    float* row = rows + r * stride;
    for (uint32_t f = 0; f < k; ++f) {
      double z;
      if (have_spare) {
        z = spare;
        have_spare = false;
      } else {
        const double u1 = 1.0 - rng.uniform(), u2 = rng.uniform();
        const double radius = std::sqrt(-2.0 * std::log(u1));
        z = radius * std::cos(kTwoPi * u2);
        spare = radius * std::sin(kTwoPi * u2);
        have_spare = true;
      }
      row[f] = counts[r] ? static_cast<float>(z * std) : 0.0f;
    }
  }
}

double tables_mse(const FactorTables& t, const Ratings& data, const std::vector<uint32_t>& user_slot,
                  const std::vector<uint32_t>& item_slot, const SgdKernels& kernels, unsigned threads) {
  constexpr size_t kChunk = 1 << 16;
  const size_t n = data.size();
  if (n == 0) return 0;
  const auto dot = kernels.dot;
  const size_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<double> sums(chunks, 0.0);
  parallel_for(chunks, threads, [&](size_t c) {
    const size_t lo = c * kChunk, hi = std::min(n, lo + kChunk);
    double s = 0;
    for (size_t k = lo; k < hi; ++k) {
      const uint32_t u = user_slot.empty() ? data.user[k] : user_slot[data.user[k]];
      const uint32_t i = item_slot.empty() ? data.item[k] : item_slot[data.item[k]];
      const double d = static_cast<double>(t.predict(u, i, dot)) - data.rating[k];
      s += d * d;
    }
    sums[c] = s;
  });
  return std::accumulate(sums.begin(), sums.end(), 0.0) / static_cast<double>(n);
}

std::unique_ptr<Model> export_model(const FactorTables& t, const ModelConfig& config,
                                    const std::vector<uint32_t>& user_slot,
                                    const std::vector<uint32_t>& item_slot) {
  std::unique_ptr<Model> model = Model::create(config, 0);
  for (Parameter& p : model->parameters()) {
    const bool user = p.key == RowKey::user;
    const uint32_t rows = user ? t.n_users : t.n_items;
    const std::vector<uint32_t>& slot = user ? user_slot : item_slot;
    COFI_ASSERT(p.rows == rows);
    const bool weight = p.name == "u_weight" || p.name == "i_weight";
    COFI_ASSERT(weight || p.name == "u_bias" || p.name == "i_bias");
    for (uint32_t r = 0; r < rows; ++r) {
      const uint32_t s = slot.empty() ? r : slot[r];
      if (weight) {
        const float* src = (user ? t.user.data() : t.item.data()) + s * t.stride;
        std::copy(src, src + t.k, p.row(r));
      } else {
        const RowAux& aux = user ? t.user_aux[s] : t.item_aux[s];
        p.row(r)[0] = user ? aux.bias : aux.bias + t.offset;
      }
    }
  }
  return model;
}

}  // namespace train_detail
}  // namespace cofi
