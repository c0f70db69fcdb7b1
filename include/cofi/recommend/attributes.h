// A newcomer known by attributes: "gender=F", "age=25-34", ... named in a hybrid model's user
// feature vocabulary, turned into the (index, weight) pairs Recommender::fold_in takes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cofi/model/model.h"

namespace cofi {

struct UserAttributes {
  std::vector<uint32_t> index;  // into the model's user vocabulary, ascending, each once
  std::vector<float> weight;    // one per index
};

// The features named (a name given twice counts once; empty names are skipped), weighted as the
// model's own users were: when every user's feature weights sum to 1 (cofi train's default
// --feature-weights row), each gets 1/count; otherwise each gets 1. Messages start with `what`
// (the option or field the names came from). Throws cofi::Error for a model without user
// features or a name not in the vocabulary (listing some that are).
UserAttributes user_attributes(const Model& model, std::span<const std::string> names, const std::string& what);

// "gender=F,age=25-34" split at commas (for user_attributes).
std::vector<std::string> split_attributes(const std::string& text);

}  // namespace cofi
