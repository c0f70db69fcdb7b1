// cofi eval: a saved model's MSE, RMSE and MAE on a test file read with its own ids.
#include <chrono>
#include <cstdio>
#include <string>

#include "cofi/eval/rating_metrics.h"
#include "cofi/io/model_file.h"
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

}  // namespace

int run_eval(const Args& args) {
  const std::string model_path = args.str("model");
  SavedModel m = load_model(model_path);
  const ModelConfig& c = m.model->config();

  LoadOptions options = load_options_from(args);
  options.side_data = false;  // only the ratings are scored
  Dataset test = load_dataset(args.str("test"), options);
  print_skip_report(test.report);

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
