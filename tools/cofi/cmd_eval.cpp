// cofi eval: a saved model's MSE, RMSE and MAE on a test file read with its own ids.
#include <chrono>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "cofi/atomic_file.h"
#include "cofi/error.h"
#include "cofi/eval/cold_start.h"
#include "cofi/eval/rating_metrics.h"
#include "cofi/io/model_file.h"
#include "cofi/recommend/ranking_eval.h"
#include "commands_impl.h"
#include "plot_svg.h"
#include "text_format.h"

namespace cofi::cli {

namespace {

void print_row(const char* name, const ErrorStats& s) {
  if (s.n == 0)
    std::printf("%-10s%10s%10s%10s%14s\n", name, "-", "-", "-", "0");
  else
    std::printf("%-10s%10.6f%10.6f%10.6f%14s\n", name, s.mse, s.rmse, s.mae, with_commas(s.n).c_str());
}

void print_ranking_row(const char* name, const RankingMetrics& r) {
  std::printf("%-12s%10.4f%10.4f%10.4f%10.4f%10.4f%10.4f%10.4f\n", name, r.precision, r.recall, r.ndcg, r.map,
              r.mrr, r.hit_rate, r.coverage);
}

nlohmann::json stats_json(const ErrorStats& s) {
  return {{"n", s.n}, {"mse", s.mse}, {"rmse", s.rmse}, {"mae", s.mae}};
}

// The cold-start table: RMSE by which sides of a pair have training ratings, beside the baselines.
nlohmann::json print_cold_start(const ColdStartReport& c) {
  std::printf("\ncold start: %s test users and %s test items have no training ratings\n",
              with_commas(c.cold_user_count).c_str(), with_commas(c.cold_item_count).c_str());
  std::printf("%-12s%12s%10s%13s%11s%15s\n", "RMSE", "ratings", "model", "global mean", "bias only",
              "feature group");
  nlohmann::json j;
  const struct {
    const char* name;
    const ColdStartRow& row;
    bool groups;
  } rows[] = {{"warm", c.warm, true},
              {"cold users", c.cold_users, c.user_groups},
              {"cold items", c.cold_items, c.item_groups},
              {"both cold", c.both_cold, c.user_groups || c.item_groups}};
  for (const auto& r : rows) {
    if (r.row.model.n == 0) continue;
    char group[32] = "-";
    if (r.groups) std::snprintf(group, sizeof group, "%.4f", r.row.feature_group.rmse);
    std::printf("%-12s%12s%10.4f%13.4f%11.4f%15s\n", r.name, with_commas(r.row.model.n).c_str(),
                r.row.model.rmse, r.row.global_mean.rmse, r.row.bias_only.rmse, group);
    nlohmann::json row = {{"model", stats_json(r.row.model)},
                          {"global_mean", stats_json(r.row.global_mean)},
                          {"bias_only", stats_json(r.row.bias_only)}};
    if (r.groups) row["feature_group"] = stats_json(r.row.feature_group);
    j[r.name] = row;
  }
  std::printf(
      "(bias only: the item's bias for a cold user, the user's for a cold item; feature group: the mean "
      "rating of the cold side's feature group; warm pairs: bias only)\n");
  return j;
}

int run_ranking(const Args& args, const SavedModel& m, const Dataset& test) {
  RankingEvalOptions o;
  o.k = args.count("k");
  o.threshold = static_cast<float>(args.number("threshold"));
  o.any_relevant = args.flag("any-relevant");
  o.item_bias = !args.flag("no-item-bias");
  o.seed = args.count("seed");
  o.threads = static_cast<unsigned>(args.count("threads"));
  auto t0 = std::chrono::steady_clock::now();
  RankingEvalReport r = evaluate_ranking(m, test.ratings, o);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("model     %s (%s)\n", args.str("model").c_str(), to_string(m.model->config().kind));
  std::printf("test      %s\n", test.ratings_path.c_str());
  std::printf("relevant  %s\n", o.any_relevant ? "every held-out item"
                                               : ("held-out rating >= " + show_number(o.threshold)).c_str());
  std::printf("users     %s evaluated; %s not in the model; %s without a relevant item (left out)\n",
              with_commas(r.model.users).c_str(), with_commas(r.unseen_users).c_str(),
              with_commas(r.users_without_relevant).c_str());
  std::printf(
      "pairs     %s relevant, %s of them unreachable (items the model lacks or the user rated in training)\n",
      with_commas(r.relevant).c_str(), with_commas(r.relevant_unreachable).c_str());
  std::printf("candidates: every model item the user did not rate in training\n\n");
  const std::string k = std::to_string(o.k);
  std::printf("%-12s%10s%10s%10s%10s%10s%10s%10s\n", ("at k=" + k).c_str(), "precision", "recall", "NDCG",
              "MAP", "MRR", "hit rate", "coverage");
  print_ranking_row("model", r.model);
  print_ranking_row("popularity", r.popularity);
  print_ranking_row("random", r.random);
  std::printf("\nranked in %.3f s\n", secs);
  return 0;
}

}  // namespace

int run_eval(const Args& args) {
  check_writable(args, {"metrics"});  // before the work, not after it
  const std::string model_path = args.str("model");
  SavedModel m = load_model(model_path);
  const ModelConfig& c = m.model->config();

  LoadOptions options = load_options_from(args);
  options.side_data = false;  // only the ratings are scored
  Dataset test = load_dataset(args.str("test"), options);
  print_skip_report(test.report);
  if (args.flag("ranking")) return run_ranking(args, m, test);

  auto t0 = std::chrono::steady_clock::now();
  RatingReport r = evaluate_ratings(m, test.ratings, static_cast<unsigned>(args.count("threads")));
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::printf("model     %s (%s, %s users, %s items)\n", model_path.c_str(), to_string(c.kind),
              with_commas(c.n_users).c_str(), with_commas(c.n_items).c_str());
  std::printf("test      %s (%s ratings, %s users, %s items)\n\n", test.ratings_path.c_str(),
              with_commas(test.ratings.size()).c_str(), with_commas(test.ratings.n_users()).c_str(),
              with_commas(test.ratings.n_items()).c_str());
  std::printf("%-10s%10s%10s%10s%14s\n", "", "MSE", "RMSE", "MAE", "ratings");
  print_row("all", r.all);
  print_row("known", r.known);
  print_row("fallback", r.fallback);
  std::printf("\nunseen    %s users, %s items\n", with_commas(r.unseen_users).c_str(),
              with_commas(r.unseen_items).c_str());
  if (r.fallback.n > 0)
    std::printf(
        "fallback  %s ratings by the average user or item, %s by the mean rating %.4f (both unseen)\n",
        with_commas(r.fallback.n - r.both_unseen).c_str(), with_commas(r.both_unseen).c_str(),
        m.record.rating_mean);
  nlohmann::json metrics = {{"model", model_path},          {"kind", to_string(c.kind)},
                            {"test", test.ratings_path},    {"all", stats_json(r.all)},
                            {"known", stats_json(r.known)}, {"fallback", stats_json(r.fallback)}};
  // Pairs whose user or item has no training ratings: the cold-start table.
  if (!m.history.empty()) {
    ColdStartReport cold = evaluate_cold_start(m, test.ratings, static_cast<unsigned>(args.count("threads")));
    if (cold.cold_users.model.n + cold.cold_items.model.n + cold.both_cold.model.n > 0)
      metrics["cold_start"] = print_cold_start(cold);
  }
  std::printf("\nscored in %.3f s\n", secs);
  if (args.has("metrics")) write_file_atomically(args.str("metrics"), metrics.dump(2) + "\n");
  return 0;
}

}  // namespace cofi::cli
