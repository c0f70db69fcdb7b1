#include "cofi/train/content.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include "cofi/data/user_items.h"
#include "cofi/error.h"

namespace cofi {

namespace {

// Parameter indices of the content model (src/model/content_model.cpp).
constexpr size_t kProfile = 0, kMean = 1, kIdf = 2;

// Item profiles as unit TF-IDF rows, (feature, value) per entry, aligned with the features' rows.
struct Profiles {
  std::vector<uint64_t> offsets;
  std::vector<uint32_t> index;
  std::vector<double> value;
};

Profiles unit_profiles(const Features& f, const std::vector<float>& idf) {
  Profiles p;
  p.offsets.push_back(0);
  for (size_t r = 0; r < f.rows(); ++r) {
    const auto index = f.index_of(r);
    const auto weight = f.weight_of(r);
    // As the model computes it (float products), so that fitted and predicted cosines agree.
    double norm = 0;
    const size_t start = p.value.size();
    for (size_t j = 0; j < index.size(); ++j) {
      const float x = weight[j] * idf[index[j]];
      p.index.push_back(index[j]);
      p.value.push_back(x);
      norm += static_cast<double>(x) * x;
    }
    if (norm > 0) {
      const double inv = 1.0 / std::sqrt(norm);
      for (size_t e = start; e < p.value.size(); ++e) p.value[e] *= inv;
    } else {
      p.index.resize(start);
      p.value.resize(start);
    }
    p.offsets.push_back(p.index.size());
  }
  return p;
}

}  // namespace

EpochResult fit_content(Model& model, const Ratings& train, const Ratings* valid,
                        const ContentFitOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  const ModelConfig& c = model.config();
  if (c.kind != ModelKind::content)
    throw Error(std::string("fit_content: the model is ") + to_string(c.kind));
  if (train.size() == 0) throw Error("no training ratings");
  if (train.n_users() > c.n_users || train.n_items() > c.n_items)
    throw Error("training data has " + std::to_string(train.n_users()) + " users and " +
                std::to_string(train.n_items()) + " items; the model has " + std::to_string(c.n_users) +
                " and " + std::to_string(c.n_items));
  if (!(options.mean_damping >= 0)) throw Error("content: mean damping must be 0 or more");
  const uint32_t v = c.item_features;
  const Features& features = model.features(Side::item);
  auto& params = model.parameters();

  // idf over the model's items.
  std::vector<uint32_t> df(v, 0);
  for (uint32_t f : features.index) ++df[f];
  std::vector<float>& idf = params[kIdf].value;
  const double n_items = c.n_items;
  for (uint32_t f = 0; f < v; ++f)
    idf[f] = static_cast<float>(std::log((1.0 + n_items) / (1.0 + df[f])) + 1.0);
  const Profiles t = unit_profiles(features, idf);

  double mu = 0;
  for (float r : train.rating) mu += r;
  mu /= static_cast<double>(train.size());
  const UserItems by_user = group_by_user(train, c.n_users);

  // Per user: mean, profile P_u (dense V, double), and the leave-one-out cosines for the scale.
  double num = 0, den = 0;
  std::vector<double> p(v);
  std::vector<double> raw_norm(c.n_users, 0.0);
  for (uint32_t u = 0; u < c.n_users; ++u) {
    const auto items = by_user.items_of(u);
    const auto ratings = by_user.ratings_of(u);
    double sum = 0;
    for (float r : ratings) sum += r;
    const double mean =
        (sum + options.mean_damping * mu) / (static_cast<double>(items.size()) + options.mean_damping);
    params[kMean].value[u] = static_cast<float>(items.empty() ? mu : mean);
    std::fill(p.begin(), p.end(), 0.0);
    for (size_t j = 0; j < items.size(); ++j) {
      const double w = ratings[j] - mean;
      for (uint64_t e = t.offsets[items[j]]; e < t.offsets[items[j] + 1]; ++e)
        p[t.index[e]] += w * t.value[e];
    }
    double pp = 0;
    for (double x : p) pp += x * x;
    // Leave one out: P - w t has squared norm |P|^2 - 2 w (P . t) + w^2 |t|^2, and (P - w t) . t
    // = P . t - w |t|^2, with |t| 1 (or 0 for an item without features).
    for (size_t j = 0; j < items.size(); ++j) {
      const double w = ratings[j] - mean;
      double pt = 0, tt = 0;
      for (uint64_t e = t.offsets[items[j]]; e < t.offsets[items[j] + 1]; ++e) {
        pt += p[t.index[e]] * t.value[e];
        tt += t.value[e] * t.value[e];
      }
      const double norm2 = pp - 2 * w * pt + w * w * tt;
      if (tt <= 0 || norm2 <= 1e-12 * std::max(pp, 1e-300)) continue;
      const double cos = (pt - w * tt) / std::sqrt(norm2);
      num += w * cos;
      den += cos * cos;
    }
    raw_norm[u] = std::sqrt(pp);
    float* out = params[kProfile].row(u);
    for (uint32_t f = 0; f < v; ++f) out[f] = static_cast<float>(p[f]);  // scaled below
  }
  const double scale = den > 0 ? std::max(0.0, num / den) : 0.0;
  for (uint32_t u = 0; u < c.n_users; ++u) {
    float* out = params[kProfile].row(u);
    const double factor = raw_norm[u] > 0 ? scale / raw_norm[u] : 0.0;
    for (uint32_t f = 0; f < v; ++f) out[f] = static_cast<float>(out[f] * factor);
  }

  EpochResult r;
  r.epoch = 1;
  r.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.train_loss = mean_squared_error(model, train, options.threads);
  if (valid && valid->size() > 0) {
    r.has_valid = true;
    r.valid_mse = mean_squared_error(model, *valid, options.threads);
    r.valid_rmse = std::sqrt(r.valid_mse);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace cofi
