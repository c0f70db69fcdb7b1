// cofi similar: the items (or users) nearest to one by the cosine similarity of their embeddings.
#include <cstdio>

#include "cofi/error.h"
#include "cofi/recommend/similar.h"
#include "commands_impl.h"
#include "model_use.h"
#include "text_format.h"

namespace cofi::cli {

int run_similar(const Args& args) {
  SavedModel m = load_model_for_use(args);
  const int modes = args.has("item") + args.has("item-id") + args.has("user");
  if (modes != 1) throw Error("give one of --item TITLE, --item-id ID or --user ID");
  const size_t n = args.count("top");
  const unsigned threads = static_cast<unsigned>(args.count("threads"));

  if (args.has("user")) {
    const uint32_t u = user_row(m, args.str("user"));
    auto near = most_similar(*m.model, Side::user, u, n, {}, threads);
    std::printf("users most like user %s (cosine similarity of user factors)\n\n", args.str("user").c_str());
    std::printf("%-5s %-10s %-8s %s\n", "rank", "similarity", "user", "ratings in training");
    for (size_t r = 0; r < near.size(); ++r) {
      const uint32_t v = near[r].second;
      std::string count = m.history.empty() ? "-" : with_commas(m.history.items_of(v).size());
      std::printf("%-5zu %-10.4f %-8s %s\n", r + 1, near[r].first, m.users.raw(v).c_str(), count.c_str());
    }
    return 0;
  }

  uint32_t item = 0;
  if (args.has("item-id")) {
    item = item_row(m, args.str("item-id"));
  } else {
    if (!m.catalog.has_titles())
      throw Error("--item: the model has no titles to search; give --items DATA, or --item-id ID");
    auto hits = find_titles(m.catalog, args.str("item"));
    if (hits.empty()) throw Error("--item: no title contains " + quote_token(args.str("item")));
    item = hits.front();
    if (hits.size() > 1) {
      std::string others;
      for (size_t k = 1; k < hits.size() && k < 4; ++k) others += (k > 1 ? "; " : "") + item_name(m, hits[k]);
      std::printf("%zu titles match; using the %s. Others: %s%s\n", hits.size(),
                  hits.size() > 1 ? "exact or most-rated one" : "only one", others.c_str(),
                  hits.size() > 4 ? "; ..." : "");
    }
  }
  std::vector<uint8_t> allowed = item_filter(m, args);
  // Rarely rated items have embeddings made mostly of their initial noise, and cosine similarity
  // scales that noise up to full length: leave them out unless asked.
  const uint64_t min_ratings = args.count("min-ratings");
  if (min_ratings > 0 && !m.catalog.rating_counts.empty()) {
    if (allowed.empty()) allowed.assign(m.items.size(), 1);
    for (size_t i = 0; i < allowed.size(); ++i)
      if (m.catalog.rating_counts[i] < min_ratings) allowed[i] = 0;
  }
  auto near = most_similar(*m.model, Side::item, item, n, allowed, threads);
  std::printf("items most like %s (item %s; cosine similarity of item factors)\n\n",
              item_name(m, item).c_str(), m.items.raw(item).c_str());
  std::printf("%-5s %-10s %-8s %s\n", "rank", "similarity", "item", item_column_header(m));
  for (size_t r = 0; r < near.size(); ++r) {
    const uint32_t i = near[r].second;
    std::printf("%-5zu %-10.4f %-8s %s\n", r + 1, near[r].first, m.items.raw(i).c_str(),
                item_column(m, i).c_str());
  }
  return 0;
}

}  // namespace cofi::cli
