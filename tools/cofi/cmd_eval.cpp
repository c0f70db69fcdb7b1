// cofi eval: a saved model's MSE, RMSE and MAE on a test file read with its own ids.
#include <chrono>
#include <cstdio>
#include <string>

#include "cofi/error.h"
#include "cofi/eval/rating_metrics.h"
#include "cofi/io/model_file.h"
#include "cofi/recommend/ranking_eval.h"
#include "commands_impl.h"
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
  std::printf("\nscored in %.3f s\n", secs);
  return 0;
}

}  // namespace cofi::cli
