// cofi lr-find: fastai's learning-rate finder on the same data and model options as train.
#include <cstdio>

#include "cofi/atomic_file.h"
#include "cofi/train/lr_find.h"
#include "commands_impl.h"
#include "feature_options.h"
#include "plot_svg.h"
#include "train_options.h"

namespace cofi::cli {

int run_lr_find(const Args& args) {
  check_writable(args, {"plot"});
  TrainData data = load_train_data(args);
  ModelConfig config = model_config_from(args, data.train);
  ModelFeatures features = prepare_features(args, data, config);
  TrainConfig tc = train_config_from(args);
  LrFindConfig lc;
  lc.start_lr = args.number("start-lr");
  lc.end_lr = args.number("end-lr");
  lc.num_it = static_cast<uint32_t>(args.count("num-it"));
  lc.stop_div = !args.flag("no-stop-div");
  lc.batch_size = tc.batch_size;
  lc.seed = tc.seed;
  lc.optimizer = tc.optimizer;
  lc.mom = tc.schedule.mom;
  auto model = Model::create(config, tc.seed);
  apply_features(*model, std::move(features), data.train);
  LrFindResult r = lr_find(*model, data.train, lc);

  std::printf("%zu iterations from %g to %g%s\n", r.lrs.size(), lc.start_lr, r.lrs.back(),
              r.lrs.size() < lc.num_it ? " (stopped: the loss diverged)" : "");
  std::printf("%-14s%-14s%s\n", "lr", "loss", "smoothed");
  size_t every = std::max<size_t>(1, r.lrs.size() / 12);
  for (size_t k = 0; k < r.lrs.size(); k += every)
    std::printf("%-14.3e%-14.5f%.5f\n", r.lrs[k], r.losses[k], r.smoothed[k]);
  std::printf(
      "\nsuggested learning rates\n  valley   %.3e  (fastai's default suggestion)\n"
      "  minimum  %.3e  (the minimum's rate / 10)\n  steep    %.3e  (steepest descent)\n",
      r.valley, r.minimum, r.steep);
  if (args.has("plot")) {
    Series loss{"smoothed loss", "#1f77b4", r.lrs, r.smoothed, false, {}, 4};
    Series picks{"valley", "#d62728", {r.valley}, {0}, true, {}, 4};
    // Mark the suggestion on the curve.
    for (size_t k = 0; k < r.lrs.size(); ++k)
      if (r.lrs[k] == r.valley) picks.y[0] = r.smoothed[k];
    write_file_atomically(args.str("plot"),
                          line_chart_svg("learning-rate finder", "learning rate (log scale)", "loss",
                                         {loss, picks}, /*log_x=*/true));
    std::printf("curve written to %s\n", args.str("plot").c_str());
  }
  return 0;
}

}  // namespace cofi::cli
