#include "cofi/recommend/attributes.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "cofi/error.h"

namespace cofi {

namespace {

// Whether every user row with features has weights summing to 1: rows normalised at training.
bool rows_normalised(const Features& f) {
  bool any = false;
  for (size_t r = 0; r < f.rows(); ++r) {
    if (f.offsets[r] == f.offsets[r + 1]) continue;
    double sum = 0;
    for (uint64_t e = f.offsets[r]; e < f.offsets[r + 1]; ++e) sum += f.weight[e];
    if (std::abs(sum - 1.0) > 1e-3) return false;
    any = true;
  }
  return any;
}

}  // namespace

std::vector<std::string> split_attributes(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string name; std::getline(in, name, ',');) out.push_back(name);
  return out;
}

UserAttributes user_attributes(const Model& model, std::span<const std::string> names, const std::string& what) {
  const Features& f = model.features(Side::user);
  if (model.config().kind != ModelKind::hybrid || f.names.empty())
    throw Error(what + ": the model has no user features (a " + to_string(model.config().kind) +
                " model; train a hybrid with demographics or --user-features)");
  UserAttributes out;
  for (const std::string& name : names) {
    if (name.empty()) continue;
    const int64_t k = f.find(name);
    if (k < 0) {
      std::string known;
      for (size_t j = 0; j < f.names.size() && j < 12; ++j) known += (j ? ", " : "") + f.names[j];
      throw Error(what + ": the model has no user feature " + quote_token(name) + " (it has " +
                  std::to_string(f.names.size()) + ": " + known + (f.names.size() > 12 ? ", ..." : "") + ")");
    }
    out.index.push_back(static_cast<uint32_t>(k));
  }
  std::sort(out.index.begin(), out.index.end());
  out.index.erase(std::unique(out.index.begin(), out.index.end()), out.index.end());
  const float w =
      rows_normalised(f) && !out.index.empty() ? 1.0f / static_cast<float>(out.index.size()) : 1.0f;
  out.weight.assign(out.index.size(), w);
  return out;
}

}  // namespace cofi
