// cofi update: train a saved model on new ratings without starting over (recommend/update.h).
#include <cstdio>

#include "cofi/data/dataset.h"
#include "cofi/error.h"
#include "cofi/recommend/update.h"
#include "commands_impl.h"
#include "model_use.h"
#include "progress.h"
#include "text_format.h"
#include "train_options.h"

namespace cofi::cli {

int run_update(const Args& args) {
  check_writable(args, {"out"});  // before the work, not after it
  SavedModel old = load_model(args.str("model"));
  LoadOptions lo = load_options_from(args);
  lo.side_data = false;
  Dataset fresh = load_dataset(args.str("ratings"), lo);
  print_skip_report(fresh.report);
  std::optional<Items> items;
  if (args.has("items")) items = load_items(args.str("items"));

  UpdateOptions o;
  o.train = train_config_from(args);
  o.replay = args.number("replay");
  o.seed = o.train.seed;
  ProgressBar bar(!args.flag("quiet"));
  TrainCallbacks cb;
  cb.on_batch = [&](uint64_t step, uint64_t total, double) { bar.update(step, total); };
  cb.on_epoch = [&](const EpochResult& r) {
    bar.clear();
    std::printf("epoch %u  train_loss %.6f\n", r.epoch, r.train_loss);
  };
  UpdateReport rep;
  SavedModel m = update_model(old, fresh.ratings, items ? &*items : nullptr, o, &rep, cb);
  std::printf(
      "updated %s with %s new ratings (%s replayed from its history): %s new users, %s new items, "
      "%s ratings replaced\n",
      args.str("model").c_str(), with_commas(rep.new_ratings).c_str(), with_commas(rep.replayed).c_str(),
      with_commas(rep.new_users).c_str(), with_commas(rep.new_items).c_str(),
      with_commas(rep.replaced).c_str());
  save_model(args.str("out"), m);
  std::printf("model saved to %s (%s users, %s items, %s ratings in its history)\n", args.str("out").c_str(),
              with_commas(m.users.size()).c_str(), with_commas(m.items.size()).c_str(),
              with_commas(m.history.size()).c_str());
  return 0;
}

}  // namespace cofi::cli
