#include "cofi/recommend/similar.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "cofi/error.h"
#include "cofi/recommend/rank.h"

namespace cofi {

std::vector<std::pair<float, uint32_t>> most_similar(const Model& model, Side side, uint32_t row, size_t n,
                                                     const std::vector<uint8_t>& allowed, unsigned threads) {
  const uint32_t rows = side == Side::user ? model.config().n_users : model.config().n_items;
  if (row >= rows)
    throw Error(std::string(side == Side::user ? "user" : "item") + " row " + std::to_string(row) +
                " is outside the model's " + std::to_string(rows));
  if (!allowed.empty() && allowed.size() != rows)
    throw Error("similar: the filter has " + std::to_string(allowed.size()) + " entries for " +
                std::to_string(rows) + " rows");
  // Every row's representation (rows x dims: the embedding table's size for dot, dotbias and nn),
  // and 1 / |row| per row once; a zero row gets NaN, which the ranker never ranks.
  const size_t dims = model.representation_size(side);
  std::vector<float> reps(static_cast<size_t>(rows) * dims);
  std::vector<float> inv_norm(rows);
  for (uint32_t r = 0; r < rows; ++r) {
    float* v = reps.data() + static_cast<size_t>(r) * dims;
    model.representation(side, r, v);
    double s = 0;
    for (size_t f = 0; f < dims; ++f) s += static_cast<double>(v[f]) * v[f];
    inv_norm[r] = s > 0 ? static_cast<float>(1.0 / std::sqrt(s)) : std::nanf("");
  }
  const float* q = reps.data() + static_cast<size_t>(row) * dims;
  const float q_inv = inv_norm[row];
  RankRequest req;
  req.queries = 1;
  req.items = rows;
  req.k = n;
  req.allowed = &allowed;
  req.threads = threads;
  req.tile = 8192;
  req.score = [&](size_t, size_t, uint32_t begin, uint32_t end, float* out) {
    for (uint32_t r = begin; r < end; ++r) {
      const float* v = reps.data() + static_cast<size_t>(r) * dims;
      float dot = 0;
      for (size_t f = 0; f < dims; ++f) dot += q[f] * v[f];
      out[r - begin] = dot * q_inv * inv_norm[r];
    }
  };
  req.excluded = [&](size_t) { return std::span<const uint32_t>(&row, 1); };
  return std::move(rank_top_k(req).front());
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
  std::stable_sort(hits.begin(), hits.end(), [&](uint32_t a, uint32_t b) {
    bool ea = bare_title(catalog.titles[a]) == q, eb = bare_title(catalog.titles[b]) == q;
    if (ea != eb) return ea;
    return count(a) > count(b);
  });
  return hits;
}

}  // namespace cofi
