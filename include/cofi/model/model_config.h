// What a model is: its kind, table sizes, embedding sizes, output range and (for nn) its layers.
// Saved in every model file; the CLI builds one from its options.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cofi {

enum class ModelKind : uint8_t {
  dot,      // user . item (the recipe's first model), weights uniform(0, 0.05)
  dotbias,  // fastai's EmbeddingDotBias: user . item + user bias + item bias, through the y_range sigmoid
  nn,       // fastai's EmbeddingNN: concatenated embeddings -> [Linear, ReLU, BatchNorm, Dropout]* -> Linear
  hybrid,   // LightFM-style: dotbias where a user is their id embedding plus the sum of their weighted
            // feature embeddings (likewise items), with feature biases too (docs/hybrid.md)
  content,  // TF-IDF item profiles over item features, a user profile from the items they rated,
            // prediction = the user's mean + scale * cosine; no collaborative signal (docs/hybrid.md)
};
const char* to_string(ModelKind kind);
ModelKind parse_model_kind(const std::string& text);  // throws cofi::Error listing the kinds

struct ModelConfig {
  ModelKind kind = ModelKind::dotbias;
  uint32_t n_users = 0, n_items = 0;
  // Embedding sizes (the recipe's emb_szs). dot and dotbias need them equal; nn defaults them to
  // fastai's rule (fastai_embedding_size) when 0.
  uint32_t user_factors = 50, item_factors = 50;
  // Predictions are sigmoid(x) * (y_max - y_min) + y_min when y_range is on (fastai's SigmoidRange).
  bool y_range = true;
  float y_min = 0.0f, y_max = 5.5f;
  // nn only.
  std::vector<uint32_t> hidden = {100};  // hidden layer widths
  std::vector<float> dropout;            // per hidden layer; empty means none
  float embed_dropout = 0.0f;            // on the concatenated embeddings
  bool batch_norm = true;                // BatchNorm1d after each hidden layer's ReLU, as fastai's LinBnDrop
  // hybrid and content: the sizes of the user and item feature vocabularies (the rows of the
  // feature tables; the features of each user and item row are set on the model, see
  // Model::set_features). content uses item features only; user_features must be 0 for it.
  uint32_t user_features = 0, item_features = 0;
  // hybrid: in training, each pair's user and each pair's item independently lose their id part
  // (embedding row and bias) with this probability, so that the feature part learns to stand alone
  // as it must for a cold user or item (as DropoutNet does); no rescaling, and none in eval mode.
  float id_dropout = 0.0f;
};

// Whether a kind reads user and item features (hybrid, content).
bool uses_features(ModelKind kind);

// fastai's emb_sz_rule: min(600, round(1.6 * n^0.56)) for a table of n rows (Python's round:
// halves to even). fastai counts its '#na#' class in n: ml-100k's 943 users give 944 -> 74.
uint32_t fastai_embedding_size(uint32_t n);

// Throws cofi::Error naming the offending setting.
void validate(const ModelConfig& config);

}  // namespace cofi
