// Ratings for the large-data solvers' tests: a known low-rank model with biases plus Gaussian
// noise, as the synthetic benchmark set is made, small enough to train in well under a second.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "cofi/data/ratings.h"
#include "cofi/random.h"

namespace cofi::test {

struct LowRankData {
  Ratings train, valid;  // one id space: users < n_users, items < n_items
  double noise_mse = 0;  // the mean squared noise of the valid ratings: what the true model scores
};

// n_users x n_items, each pair rated with probability `density`, a tenth of them held out.
// r = 3.5 + b_u + b_i + p_u . q_i + noise(sd), rank `rank`.
inline LowRankData low_rank_data(uint32_t n_users, uint32_t n_items, double density, uint32_t rank, double sd,
                                 uint64_t seed) {
  SplitMix64 rng(seed);
  auto normal = [&] {
    const double u1 = 1.0 - rng.uniform(), u2 = rng.uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  };
  std::vector<double> p(static_cast<size_t>(n_users) * rank), q(static_cast<size_t>(n_items) * rank);
  std::vector<double> bu(n_users), bi(n_items);
  const double scale = 0.8 / std::sqrt(static_cast<double>(rank));
  for (auto& x : p) x = scale * normal();
  for (auto& x : q) x = scale * normal();
  for (auto& x : bu) x = 0.3 * normal();
  for (auto& x : bi) x = 0.4 * normal();
  std::vector<uint32_t> tu, ti, vu, vi;
  std::vector<float> tr, vr;
  double noise2 = 0;
  for (uint32_t u = 0; u < n_users; ++u)
    for (uint32_t i = 0; i < n_items; ++i) {
      if (rng.uniform() >= density) continue;
      double s = 3.5 + bu[u] + bi[i];
      for (uint32_t f = 0; f < rank; ++f) s += p[u * rank + f] * q[i * rank + f];
      const double e = sd * normal();
      const auto r = static_cast<float>(s + e);
      if (rng.uniform() < 0.1) {
        vu.push_back(u);
        vi.push_back(i);
        vr.push_back(r);
        noise2 += (r - s) * (r - s);
      } else {
        tu.push_back(u);
        ti.push_back(i);
        tr.push_back(r);
      }
    }
  std::vector<uint32_t> uid(n_users), iid(n_items);
  for (uint32_t k = 0; k < n_users; ++k) uid[k] = k + 1;
  for (uint32_t k = 0; k < n_items; ++k) iid[k] = k + 1;
  LowRankData d;
  d.train.user = Column<uint32_t>(tu);
  d.train.item = Column<uint32_t>(ti);
  d.train.rating = Column<float>(tr);
  d.train.users = IdMap::from_sorted_ints(uid);
  d.train.items = IdMap::from_sorted_ints(iid);
  d.valid.user = Column<uint32_t>(vu);
  d.valid.item = Column<uint32_t>(vi);
  d.valid.rating = Column<float>(vr);
  d.valid.users = d.train.users;
  d.valid.items = d.train.items;
  d.noise_mse = noise2 / static_cast<double>(vr.size());
  return d;
}

// The MSE of predicting the mean training rating for every valid rating.
inline double mean_predictor_mse(const LowRankData& d) {
  double sum = 0;
  for (float r : d.train.rating) sum += r;
  const double mean = sum / static_cast<double>(d.train.size());
  double s = 0;
  for (float r : d.valid.rating) s += (r - mean) * (r - mean);
  return s / static_cast<double>(d.valid.size());
}

}  // namespace cofi::test
