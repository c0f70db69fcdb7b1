// cofi explain: the recipe's interpretation of a model: the items with the lowest and highest
// bias, the principal components of the item factors with the items at each end, and a map of
// the items on the first two components.
#include <algorithm>
#include <cstdio>
#include <numeric>

#include "cofi/atomic_file.h"
#include "cofi/error.h"
#include "cofi/recommend/explain.h"
#include "commands_impl.h"
#include "model_use.h"
#include "plot_svg.h"
#include "text_format.h"

namespace cofi::cli {

int run_explain(const Args& args) {
  check_writable(args, {"plot"});  // before the work, not after it
  SavedModel m = load_model_for_use(args);
  const size_t n = args.count("top");
  const auto min_ratings = static_cast<uint32_t>(args.count("min-ratings"));
  const ModelConfig& c = m.model->config();
  std::printf("model %s: %s, %s users, %s items, %u factors\n\n", args.str("model").c_str(),
              to_string(c.kind), with_commas(c.n_users).c_str(), with_commas(c.n_items).c_str(),
              c.item_factors);

  if (auto b = item_bias_extremes(m, min_ratings, n)) {
    std::printf("item biases (items with at least %u ratings: %s)\n", min_ratings,
                with_commas(b->eligible).c_str());
    std::printf("  lowest: liked less than their factors predict, whoever watches them\n");
    for (const auto& [bias, item] : b->lowest)
      std::printf("    %+.3f  %s\n", bias, item_name(m, item).c_str());
    std::printf("  highest: liked more than their factors predict\n");
    for (const auto& [bias, item] : b->highest)
      std::printf("    %+.3f  %s\n", bias, item_name(m, item).c_str());
    std::printf("\n");
  } else {
    std::printf("item biases: none (the %s model has no bias terms)\n\n", to_string(c.kind));
  }

  // The recipe takes the 1000 most-rated movies for the PCA.
  std::vector<uint32_t> items = most_rated_items(m.catalog, args.count("pca-items"));
  if (items.empty()) {  // no counts: every item
    items.resize(c.n_items);
    std::iota(items.begin(), items.end(), 0u);
  }
  // A content model's representations are TF-IDF profiles as wide as its vocabulary; the
  // covariance's eigen decomposition grows with its cube.
  const size_t dims = m.model->representation_size(Side::item);
  if (dims > 2000) {
    std::printf("principal components: left out (%s-dimensional item representations)\n",
                with_commas(dims).c_str());
    return 0;
  }
  const size_t components = std::min<size_t>(args.count("components"), dims);
  ItemPca pca = item_pca(*m.model, items, components);
  std::printf("principal components of the item factors (%s most-rated items)\n",
              with_commas(items.size()).c_str());
  std::vector<size_t> order(items.size());
  for (size_t k = 0; k < components; ++k) {
    const auto& coord = pca.coordinates[k];
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return coord[a] > coord[b]; });
    std::printf("  component %zu (%.1f%% of the variance)\n", k + 1, 100.0 * pca.explained[k]);
    const size_t show = std::min(n, order.size());
    std::printf("    one end:\n");
    for (size_t r = 0; r < show; ++r)
      std::printf("      %+.3f  %s\n", coord[order[r]], item_name(m, items[order[r]]).c_str());
    std::printf("    other end:\n");
    for (size_t r = 0; r < show; ++r) {
      size_t at = order[order.size() - 1 - r];
      std::printf("      %+.3f  %s\n", coord[at], item_name(m, items[at]).c_str());
    }
  }
  if (args.has("plot") && components >= 2) {
    // The recipe labels a random 50 of the top movies; the 50 most-rated read better and are
    // the same every run.
    const size_t labelled = std::min<size_t>(args.count("labels"), items.size());
    Series s{"items", "#1f77b4", {}, {}, true, {}, 2};
    for (size_t i = 0; i < items.size(); ++i) {
      s.x.push_back(pca.coordinates[0][i]);
      s.y.push_back(pca.coordinates[1][i]);
      s.point_labels.push_back(i < labelled ? item_name(m, items[i]) : "");
    }
    write_file_atomically(args.str("plot"), line_chart_svg("items on the first two principal components",
                                                           "component 1", "component 2", {s}));
    std::printf("\nmap of the items written to %s\n", args.str("plot").c_str());
  }
  return 0;
}

}  // namespace cofi::cli
