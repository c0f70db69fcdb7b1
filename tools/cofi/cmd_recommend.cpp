// cofi recommend: top-n movies for a user of the model, for every user (or a list) into a CSV,
// or for a newcomer described by a few ratings (fold-in), with filters and explanations.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cofi/atomic_file.h"
#include "cofi/error.h"
#include "cofi/recommend/attributes.h"
#include "cofi/recommend/explain.h"
#include "cofi/recommend/recommender.h"
#include "commands_impl.h"
#include "model_use.h"
#include "plot_svg.h"
#include "text_format.h"

namespace cofi::cli {

namespace {

// "ITEM:RATING,ITEM:RATING" (raw item ids) into model rows and ratings.
void parse_rate(const SavedModel& m, const std::string& text, std::vector<uint32_t>& items,
                std::vector<float>& ratings) {
  std::istringstream in(text);
  size_t k = 0;
  for (std::string pair; std::getline(in, pair, ',');) {
    ++k;
    size_t colon = pair.rfind(':');
    if (colon == std::string::npos)
      throw Error("option --rate: pair " + std::to_string(k) + " " + quote_token(pair) +
                  " is not ITEM:RATING");
    std::string rating = pair.substr(colon + 1);
    double r = 0;
    try {
      size_t used = 0;
      r = std::stod(rating, &used);
      if (used != rating.size()) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      throw Error("option --rate: pair " + std::to_string(k) + ": rating " + quote_token(rating) +
                  " is not a number");
    }
    if (!std::isfinite(r)) throw Error("option --rate: pair " + std::to_string(k) + ": rating is not finite");
    items.push_back(item_row(m, pair.substr(0, colon)));
    ratings.push_back(static_cast<float>(r));
  }
  if (items.empty()) throw Error("option --rate: no ratings given (expected ITEM:RATING,...)");
}

// A CSV of item,rating (a header line is allowed); errors name the file, line and field.
void read_rate_file(const SavedModel& m, const std::string& path, std::vector<uint32_t>& items,
                    std::vector<float>& ratings) {
  std::ifstream in(path);
  if (!in) throw Error(Location{path, 0, {}}, "cannot open the ratings file");
  size_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    size_t comma = line.find(',');
    if (comma == std::string::npos)
      throw Error(Location{path, line_no, "rating"}, "expected ITEM,RATING, found " + quote_token(line));
    std::string id = line.substr(0, comma), rating = line.substr(comma + 1);
    double r = 0;
    try {
      size_t used = 0;
      r = std::stod(rating, &used);
      if (used != rating.size() || !std::isfinite(r)) throw std::invalid_argument("bad");
    } catch (const std::exception&) {
      if (line_no == 1) continue;  // a header
      throw Error(Location{path, line_no, "rating"}, "expected a number, found " + quote_token(rating));
    }
    auto row = m.items.find(id);
    if (!row)
      throw Error(Location{path, line_no, "item"}, "item " + quote_token(id) + " is not in the model");
    items.push_back(*row);
    ratings.push_back(static_cast<float>(r));
  }
  if (items.empty()) throw Error(Location{path, 0, {}}, "no ratings in the file");
}

void print_list(const SavedModel& m, const std::vector<Recommendation>& recs, const Recommender& rec,
                const float* user_vector, std::span<const uint32_t> rated, std::span<const float> ratings,
                bool why, const float* prior = nullptr) {
  std::printf("%-5s %-9s %-8s %s\n", "rank", "predicted", "item", item_column_header(m));
  for (size_t r = 0; r < recs.size(); ++r) {
    const uint32_t i = recs[r].item;
    std::printf("%-5zu %-9.2f %-8s %s\n", r + 1, recs[r].prediction, m.items.raw(i).c_str(),
                item_column(m, i).c_str());
    if (!why || rated.empty()) continue;
    auto parts = explain_prediction(*m.model, user_vector, rated, ratings, i, rec.fold_in_l2(), prior);
    std::string line;
    for (size_t k = 0; k < parts.size() && k < 3 && parts[k].effect > 0; ++k) {
      char buf[64];
      std::snprintf(buf, sizeof buf, " (rated %.1f, %+.2f)", parts[k].rating, parts[k].effect);
      line += (line.empty() ? "" : "; ") + item_name(m, parts[k].item) + buf;
    }
    std::printf("      because you rated: %s\n", line.empty() ? "(no rated item raises it)" : line.c_str());
  }
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

int run_batch(const SavedModel& m, const Recommender& rec, const Args& args,
              const RecommendOptions& options) {
  std::vector<uint32_t> users;
  const std::string which = args.str("users");
  if (which == "all") {
    users.resize(m.users.size());
    for (uint32_t u = 0; u < users.size(); ++u) users[u] = u;
  } else {
    std::ifstream in(which);
    if (!in) throw Error(Location{which, 0, {}}, "cannot open the user list");
    size_t line_no = 0;
    for (std::string line; std::getline(in, line);) {
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      std::string id = line.substr(0, line.find(','));
      if (id.empty()) continue;
      auto row = m.users.find(id);
      if (!row) {
        if (line_no == 1 && id.find_first_not_of("0123456789") != std::string::npos) continue;  // a header
        throw Error(Location{which, line_no, "user"}, "user " + quote_token(id) + " is not in the model");
      }
      users.push_back(*row);
    }
  }
  auto t0 = std::chrono::steady_clock::now();
  auto lists = rec.for_users(users, options);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::string text = "user,rank,item,prediction,title\n";
  for (size_t q = 0; q < users.size(); ++q)
    for (size_t r = 0; r < lists[q].size(); ++r) {
      char pred[32];
      std::snprintf(pred, sizeof pred, "%.4f", lists[q][r].prediction);
      text += m.users.raw(users[q]) + "," + std::to_string(r + 1) + "," + m.items.raw(lists[q][r].item) +
              "," + pred + "," + csv_field(m.catalog.has_titles() ? m.catalog.titles[lists[q][r].item] : "") +
              "\n";
    }
  if (args.has("out")) {
    write_file_atomically(args.str("out"), text);
    std::printf("top %zu for %s users in %.3f s (%.0f users/s), written to %s\n", options.n,
                with_commas(users.size()).c_str(), secs,
                static_cast<double>(users.size()) / std::max(secs, 1e-9), args.str("out").c_str());
  } else {
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
  return 0;
}

}  // namespace

int run_recommend(const Args& args) {
  check_writable(args, {"out"});  // before the work, not after it
  SavedModel m = load_model_for_use(args);
  Recommender rec(m);
  RecommendOptions options;
  options.n = args.count("top");
  options.exclude_rated = !args.flag("include-rated");
  options.item_bias = !args.flag("no-item-bias");
  options.allowed = item_filter(m, args);
  options.threads = static_cast<unsigned>(args.count("threads"));
  const bool newcomer = args.has("rate") || args.has("ratings-file") || args.has("attributes");
  const int modes = args.has("user") + args.has("users") + newcomer;
  if (modes != 1)
    throw Error(
        "give one of --user ID, --users all|FILE, or --rate/--ratings-file/--attributes for a new user");
  if (options.exclude_rated && m.history.empty() && !newcomer)
    std::fprintf(stderr, "note: the model has no training history, so rated items cannot be left out\n");
  if (args.has("users")) return run_batch(m, rec, args, options);

  if (args.has("user")) {
    const uint32_t u = user_row(m, args.str("user"));
    auto recs = rec.for_user(u, options);
    std::vector<float> vec(m.model->side_size(Side::user));
    m.model->side_vector(Side::user, u, vec.data());
    const size_t rated = m.history.empty() ? 0 : m.history.items_of(u).size();
    std::printf("top %zu for user %s (%s ratings in training)\n\n", options.n, args.str("user").c_str(),
                with_commas(rated).c_str());
    std::span<const uint32_t> items;
    std::span<const float> ratings;
    if (!m.history.empty()) {
      items = m.history.items_of(u);
      ratings = m.history.ratings_of(u);
    }
    print_list(m, recs, rec, vec.data(), items, ratings, args.flag("why"));
    return 0;
  }

  std::vector<uint32_t> items;
  std::vector<float> ratings;
  if (args.has("rate")) parse_rate(m, args.str("rate"), items, ratings);
  if (args.has("ratings-file")) read_rate_file(m, args.str("ratings-file"), items, ratings);
  // Weighted as the model's own users were (1/count each after cofi train's row normalisation).
  UserAttributes attributes;
  if (args.has("attributes"))
    attributes = user_attributes(*m.model, split_attributes(args.str("attributes")), "--attributes");
  const std::vector<uint32_t>& features = attributes.index;
  const std::vector<float>& weights = attributes.weight;
  auto t0 = std::chrono::steady_clock::now();
  Newcomer who = rec.fold_in(items, ratings, features, weights);
  auto recs = rec.for_newcomer(who, options);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "top %zu for a new user with %zu ratings%s (fold-in: %d steps, fit RMSE %.3f, l2 %.3g; %.2f ms)\n\n",
      options.n, who.items.size(),
      features.empty() ? "" : (" and " + std::to_string(features.size()) + " attributes").c_str(),
      who.fit.iterations, who.fit.train_rmse, rec.fold_in_l2(), ms);
  print_list(m, recs, rec, who.fit.vector.data(), who.items, who.ratings, args.flag("why"), who.prior.data());
  return 0;
}

}  // namespace cofi::cli
