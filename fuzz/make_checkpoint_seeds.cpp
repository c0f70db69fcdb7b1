// Writes run checkpoints (OPTM payloads) of small real training runs into a folder, as seeds for
// fuzz_run_checkpoint: run before the fuzz test (a ctest fixture) so that the seeds always match
// the current payload format, as the cache seeds do. The committed corpus holds a copy.
// Usage: fuzz_make_checkpoint_seeds OUT_DIR
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cofi/io/run_checkpoint.h"
#include "cofi/train/trainer.h"

namespace {

cofi::Ratings ratings() {
  std::vector<uint32_t> us, is;
  std::vector<float> rs;
  for (uint32_t u = 0; u < 6; ++u)
    for (uint32_t i = 0; i < 5; ++i)
      if ((u + 2 * i) % 3 != 0) {
        us.push_back(u);
        is.push_back(i);
        rs.push_back(static_cast<float>(1 + (u * i) % 5));
      }
  cofi::Ratings r;
  r.user = cofi::Column<uint32_t>(us);
  r.item = cofi::Column<uint32_t>(is);
  r.rating = cofi::Column<float>(rs);
  r.users = cofi::IdMap::from_sorted_ints({1, 2, 3, 4, 5, 6});
  r.items = cofi::IdMap::from_sorted_ints({10, 20, 30, 40, 50});
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  struct Seed {
    const char* name;
    cofi::ModelKind kind;
    cofi::OptimizerKind opt;
    bool lazy;
    uint64_t stop_at;  // stop after this step (0: at the end of epoch 1, a checkpoint)
  };
  const Seed seeds[] = {
      {"seed-dotbias-adam-lazy-epoch.optm", cofi::ModelKind::dotbias, cofi::OptimizerKind::adam, true, 0},
      {"seed-dotbias-adam-lazy-mid-epoch.optm", cofi::ModelKind::dotbias, cofi::OptimizerKind::adam, true, 7},
      {"seed-dot-sgd-lazy-epoch.optm", cofi::ModelKind::dot, cofi::OptimizerKind::sgd, true, 0},
      {"seed-nn-adam-dense-mid-epoch.optm", cofi::ModelKind::nn, cofi::OptimizerKind::adam, false, 5},
  };
  const cofi::Ratings data = ratings();
  for (const Seed& s : seeds) {
    cofi::ModelConfig mc;
    mc.kind = s.kind;
    mc.n_users = 6;
    mc.n_items = 5;
    mc.user_factors = mc.item_factors = 2;
    mc.hidden = {3};
    auto model = cofi::Model::create(mc, 1);
    cofi::TrainConfig tc;
    tc.epochs = 3;
    tc.batch_size = 4;
    tc.optimizer.kind = s.opt;
    tc.optimizer.lazy = s.lazy;
    std::atomic<bool> stop{false};
    cofi::TrainCallbacks cb;
    cb.stop = &stop;
    const cofi::RunSteps steps = cofi::run_steps(data.size(), tc);
    cb.on_batch = [&](uint64_t step, uint64_t, double) {
      if (step == (s.stop_at ? s.stop_at : steps.per_epoch)) stop = true;
    };
    cofi::TrainState state;
    cofi::fit(*model, data, nullptr, tc, cb, &state);
    cofi::RunInfo run;
    run.options = R"({"epochs":"3","batch-size":"4","train":"/data/ratings.csv"})";
    run.epochs = tc.epochs;
    run.n_ratings = data.size();
    run.data_digest = cofi::training_data_digest(data);
    run.total_steps = steps.total;
    const auto bytes = cofi::encode_run_checkpoint(run, state.progress, state.optimizer, model->parameters());
    std::ofstream out(std::filesystem::path(argv[1]) / s.name, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", s.name);
      return 1;
    }
  }
  return 0;
}
