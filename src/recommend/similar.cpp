#include "cofi/recommend/similar.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "cofi/error.h"
#include "cofi/recommend/rank.h"

namespace cofi {

SimilarityIndex::SimilarityIndex(const Model& model, Side side)
    : side_(side),
      rows_(side == Side::user ? model.config().n_users : model.config().n_items),
      dims_(model.representation_size(side)) {
  // Every row's representation (rows x dims: the embedding table's size for dot, dotbias and nn),
  // and 1 / |row| per row once; a zero row gets NaN, which the ranker never ranks.
  reps_.resize(static_cast<size_t>(rows_) * dims_);
  inv_norm_.resize(rows_);
  for (uint32_t r = 0; r < rows_; ++r) {
    float* v = reps_.data() + static_cast<size_t>(r) * dims_;
    model.representation(side, r, v);
    double s = 0;
    for (size_t f = 0; f < dims_; ++f) s += static_cast<double>(v[f]) * v[f];
    inv_norm_[r] = s > 0 ? static_cast<float>(1.0 / std::sqrt(s)) : std::nanf("");
  }
}

std::vector<std::pair<float, uint32_t>> SimilarityIndex::most_similar(uint32_t row, size_t n,
                                                                      const std::vector<uint8_t>& allowed,
                                                                      unsigned threads) const {
  if (row >= rows_)
    throw Error(std::string(side_ == Side::user ? "user" : "item") + " row " + std::to_string(row) +
                " is outside the model's " + std::to_string(rows_));
  if (!allowed.empty() && allowed.size() != rows_)
    throw Error("similar: the filter has " + std::to_string(allowed.size()) + " entries for " +
                std::to_string(rows_) + " rows");
  const float* q = reps_.data() + static_cast<size_t>(row) * dims_;
  const float q_inv = inv_norm_[row];
  RankRequest req;
  req.queries = 1;
  req.items = rows_;
  req.k = n;
  req.allowed = &allowed;
  req.threads = threads;
  req.tile = 8192;
  req.score = [&](size_t, size_t, uint32_t begin, uint32_t end, float* out) {
    for (uint32_t r = begin; r < end; ++r) {
      const float* v = reps_.data() + static_cast<size_t>(r) * dims_;
      float dot = 0;
      for (size_t f = 0; f < dims_; ++f) dot += q[f] * v[f];
      out[r - begin] = dot * q_inv * inv_norm_[r];
    }
  };
  req.excluded = [&](size_t) { return std::span<const uint32_t>(&row, 1); };
  return std::move(rank_top_k(req).front());
}

std::vector<std::pair<float, uint32_t>> most_similar(const Model& model, Side side, uint32_t row, size_t n,
                                                     const std::vector<uint8_t>& allowed, unsigned threads) {
  return SimilarityIndex(model, side).most_similar(row, n, allowed, threads);
}

namespace {

std::string lower(const std::string& s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "Toy Story (1995)" -> "toy story"; "Matrix, The (1999)" -> "matrix, the".
std::string bare_title(const std::string& title) {
  std::string t = lower(title);
  size_t open = t.rfind(" (");
  if (open != std::string::npos && !t.empty() && t.back() == ')') t.erase(open);
  return t;
}

}  // namespace

std::vector<uint32_t> find_titles(const Catalog& catalog, const std::string& query) {
  std::vector<uint32_t> hits;
  const std::string q = lower(query);
  if (q.empty()) return hits;
  for (uint32_t i = 0; i < catalog.titles.size(); ++i)
    if (lower(catalog.titles[i]).find(q) != std::string::npos) hits.push_back(i);
  auto count = [&](uint32_t i) { return i < catalog.rating_counts.size() ? catalog.rating_counts[i] : 0u; };
  // (exact, count, row) per hit, worked out once rather than in every comparison.
  struct Hit {
    bool exact;
    uint32_t count, row;
  };
  std::vector<Hit> keyed;
  keyed.reserve(hits.size());
  for (uint32_t i : hits) keyed.push_back({bare_title(catalog.titles[i]) == q, count(i), i});
  std::stable_sort(keyed.begin(), keyed.end(), [](const Hit& a, const Hit& b) {
    if (a.exact != b.exact) return a.exact;
    return a.count > b.count;
  });
  for (size_t k = 0; k < keyed.size(); ++k) hits[k] = keyed[k].row;
  return hits;
}

}  // namespace cofi
