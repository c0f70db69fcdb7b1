#include "cofi/model/model_config.h"

#include <cmath>
#include <cstdio>

#include "cofi/error.h"

namespace cofi {
namespace {

// A dropout probability must lie in [0, 1): p = 1 would zero every activation and make the
// inverted-dropout scale 1 / (1 - p) infinite. Written as !(in range) so that NaN fails too.
bool valid_probability(float p) { return p >= 0.0f && p < 1.0f; }

}  // namespace

const char* to_string(ModelKind kind) {
  switch (kind) {
    case ModelKind::dot:
      return "dot";
    case ModelKind::dotbias:
      return "dotbias";
    case ModelKind::nn:
      return "nn";
    case ModelKind::hybrid:
      return "hybrid";
    case ModelKind::content:
      return "content";
  }
  return "unknown";
}

bool uses_features(ModelKind kind) { return kind == ModelKind::hybrid || kind == ModelKind::content; }

ModelKind parse_model_kind(const std::string& text) {
  for (ModelKind kind :
       {ModelKind::dot, ModelKind::dotbias, ModelKind::nn, ModelKind::hybrid, ModelKind::content})
    if (text == to_string(kind)) return kind;
  throw Error("unknown model kind " + quote_token(text) + " (expected dot, dotbias, nn, hybrid or content)");
}

uint32_t fastai_embedding_size(uint32_t n) {
  double x = 1.6 * std::pow(static_cast<double>(n), 0.56);
  // Python's round() sends halves to the even neighbour; done by hand rather than through
  // std::nearbyint so that the floating-point environment's rounding mode cannot change it.
  double r = std::round(x);
  if (std::fabs(x - std::trunc(x)) == 0.5) r = 2.0 * std::round(x / 2.0);
  return r >= 600.0 ? 600u : static_cast<uint32_t>(r);
}

void validate(const ModelConfig& config) {
  const std::string what = std::string("model ") + to_string(config.kind) + ": ";
  if (config.n_users == 0) throw Error(what + "n_users must be > 0");
  if (config.n_items == 0) throw Error(what + "n_items must be > 0");
  if (config.kind == ModelKind::content) {
    // No embeddings: a user's vector is their profile over the item features.
    if (config.item_features == 0)
      throw Error(what + "needs item features (genres, decades, tags or a feature file)");
    if (config.user_features != 0)
      throw Error(what + "uses item features only, found " + std::to_string(config.user_features) +
                  " user features");
  } else if (config.kind != ModelKind::nn) {
    // nn takes 0 to mean fastai's rule; dot products need a size.
    if (config.user_factors == 0) throw Error(what + "user_factors must be > 0");
    if (config.item_factors == 0) throw Error(what + "item_factors must be > 0");
    if (config.user_factors != config.item_factors)
      throw Error(what + "user_factors (" + std::to_string(config.user_factors) + ") and item_factors (" +
                  std::to_string(config.item_factors) + ") must be equal for a dot product");
  }
  // Only checked when used: a config with y_range off may carry any numbers there.
  if (config.y_range &&
      !(std::isfinite(config.y_min) && std::isfinite(config.y_max) && config.y_min < config.y_max))
    throw Error(what + "y_range needs finite y_min < y_max, got y_min " + show_number(config.y_min) +
                ", y_max " + show_number(config.y_max));
  if (!valid_probability(config.id_dropout))
    throw Error(what + "id_dropout must be in [0, 1), got " + show_number(config.id_dropout));
  if (config.kind != ModelKind::hybrid && config.id_dropout != 0.0f)
    throw Error(what + "id_dropout is for hybrid models, got " + show_number(config.id_dropout));
  if (!uses_features(config.kind) && (config.user_features != 0 || config.item_features != 0))
    throw Error(what + "takes no features, found " + std::to_string(config.user_features) + " user and " +
                std::to_string(config.item_features) + " item features");
  if (config.kind == ModelKind::nn) {
    for (size_t i = 0; i < config.hidden.size(); ++i)
      if (config.hidden[i] == 0) throw Error(what + "hidden[" + std::to_string(i) + "] must be > 0");
    if (!config.dropout.empty() && config.dropout.size() != config.hidden.size())
      throw Error(what + "dropout has " + std::to_string(config.dropout.size()) + " values for " +
                  std::to_string(config.hidden.size()) + " hidden layers (give one per layer, or none)");
    for (size_t i = 0; i < config.dropout.size(); ++i)
      if (!valid_probability(config.dropout[i]))
        throw Error(what + "dropout[" + std::to_string(i) + "] must be in [0, 1), got " +
                    show_number(config.dropout[i]));
    if (!valid_probability(config.embed_dropout))
      throw Error(what + "embed_dropout must be in [0, 1), got " + show_number(config.embed_dropout));
  }
}

}  // namespace cofi
