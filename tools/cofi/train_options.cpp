// The option groups and their parsing for the commands that train (train, lr-find).
#include "train_options.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "commands_impl.h"
#include "cofi/data/split.h"
#include "cofi/error.h"
#include "cofi/parallel.h"

namespace cofi::cli {

const std::vector<OptionSpec>& train_data_options() {
  static const std::vector<OptionSpec> options = {
      {"--train", "FILE", "training ratings (a file, folder or data set name)", ""},
      {"--valid", "FILE", "validation ratings, scored after each epoch", ""},
      {"--data", "NAME", "a data set to split into train and valid instead", ""},
      {"--valid-pct", "P", "share of --data held out for validation (0: none)", "0.2"},
      {"--split-seed", "S", "seed of the --data split", "42"},
  };
  return options;
}

const std::vector<OptionSpec>& model_options() {
  static const std::vector<OptionSpec> options = {
      {"--model", "KIND",
       "dot, dotbias, nn, hybrid (ids plus side features) or content (TF-IDF of item features)", "dotbias"},
      {"--factors", "N", "embedding size of both tables (nn: fastai's rule when absent)", ""},
      {"--user-factors", "N", "embedding size of the user table", ""},
      {"--item-factors", "N", "embedding size of the item table", ""},
      {"--y-range", "LO,HI", "sigmoid output range; auto: half a star beyond the data's scale; none", "auto"},
      {"--layers", "W[,W]", "nn hidden layer widths", "100"},
      {"--dropout", "P[,P]", "nn dropout after each hidden layer", ""},
      {"--emb-dropout", "P", "nn dropout on the concatenated embeddings", "0"},
      {"--no-bn", "", "nn without batch norm", ""},
      {"--id-dropout", "P",
       "hybrid: chance that a training pair's user or item is seen without its id embedding, "
       "so that features learn to stand alone for cold users and items",
       "0.25"},
  };
  return options;
}

const std::vector<OptionSpec>& optimizer_options() {
  static const std::vector<OptionSpec> options = {
      {"--opt", "NAME", "adam or sgd", "adam"},
      {"--lr", "LR",
       "learning rate; minibatch: the peak of one-cycle, 5e-3 when absent; "
       "sgd-blocks: 0.05 (sgd), 0.2 (adagrad), 3e-3 (adam) when absent",
       ""},
      {"--wd", "WD", "weight decay", "0.1"},
      {"--l2", "", "plain L2 in the gradient instead of decoupled weight decay", ""},
      {"--wd-bn-bias", "", "decay BatchNorm parameters and biases too (fastai does not)", ""},
      {"--momentum", "M", "momentum (sgd) or beta1 (adam) of the constant schedule", "0.9"},
      {"--schedule", "NAME", "one-cycle or constant", "one-cycle"},
      {"--epochs", "N", "epochs (als: sweeps); when absent 5 (minibatch), 20 (sgd-blocks), 10 (als)", ""},
      {"--batch-size", "N", "ratings per minibatch", "64"},
      {"--keep-last", "", "keep each epoch's last partial batch (fastai drops it)", ""},
      {"--dense", "", "update every embedding row at every step (PyTorch's semantics; slow)", ""},
      {"--seed", "S", "seed of initialisation and batch order", "1"},
  };
  return options;
}

std::vector<OptionSpec> with_defaults(std::vector<OptionSpec> options,
                                      const std::vector<std::pair<std::string, std::string>>& defaults) {
  for (const auto& [name, value] : defaults) {
    auto it = std::find_if(options.begin(), options.end(), [&](const OptionSpec& o) { return o.name == name; });
    COFI_ASSERT(it != options.end());
    it->default_value = value;
  }
  return options;
}

const std::vector<OptionSpec>& solver_options() {
  static const std::vector<OptionSpec> options = {
      {"--solver", "NAME",
       "minibatch (fastai's fit), sgd-blocks (parallel SGD over a grid of blocks, for large data) or als "
       "(alternating least squares; dot or dotbias without y-range)",
       "minibatch"},
      {"--rule", "NAME", "sgd-blocks update rule: sgd, adagrad or adam", "adagrad"},
      {"--lambda-f", "L",
       "sgd-blocks, als: penalty on each factor row (per row, however many ratings it has)", "6"},
      {"--lambda-b", "L", "sgd-blocks, als: penalty on each bias", "3"},
      {"--blocks", "N", "sgd-blocks: the grid has N x N blocks (0: from the threads and the data size)", "0"},
  };
  return options;
}

std::vector<float> parse_floats(const std::string& text, const char* option) {
  std::vector<float> out;
  std::istringstream in(text);
  for (std::string part; std::getline(in, part, ',');) {
    float v = 0;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || ec != std::errc() || ptr != part.data() + part.size() || !std::isfinite(v))
      throw Error(std::string("option --") + option + ": expected numbers separated by commas, found " +
                  quote_token(text));
    out.push_back(v);
  }
  return out;
}

TrainData load_train_data(const Args& args, bool timestamps) {
  LoadOptions lo = load_options_from(args);
  lo.side_data = false;
  lo.read.timestamps = timestamps;
  TrainData d;
  if (args.has("train")) {
    if (args.has("data")) throw Error("give either --train (with --valid) or --data, not both");
    Dataset train = load_dataset(args.str("train"), lo);
    d.source = train.source;
    if (args.has("valid")) {
      Dataset valid = load_dataset(args.str("valid"), lo);
      auto [a, b] = with_shared_ids(train.ratings, valid.ratings);
      d.train = std::move(a);
      d.valid = std::move(b);
    } else {
      d.train = std::move(train.ratings);
    }
    return d;
  }
  if (!args.has("data")) throw Error("give the training data: --train FILE [--valid FILE], or --data NAME|DIR");
  if (args.has("valid")) throw Error("--valid goes with --train; with --data use --valid-pct");
  Dataset all = load_dataset(args.str("data"), lo);
  d.source = all.source;
  double pct = args.number("valid-pct");
  if (pct == 0) {
    d.train = std::move(all.ratings);
    return d;
  }
  Split s = random_split(all.ratings, pct, args.count("split-seed"));
  d.train = select_rows(all.ratings, s.train);
  d.valid = select_rows(all.ratings, s.valid);
  return d;
}

ModelConfig model_config_from(const Args& args, const Ratings& train) {
  ModelConfig c;
  c.kind = parse_model_kind(args.str("model"));
  c.n_users = static_cast<uint32_t>(train.n_users());
  c.n_items = static_cast<uint32_t>(train.n_items());
  const bool nn = c.kind == ModelKind::nn;
  uint32_t factors = args.has("factors") ? static_cast<uint32_t>(args.count("factors")) : (nn ? 0u : 50u);
  c.user_factors = args.has("user-factors") ? static_cast<uint32_t>(args.count("user-factors")) : factors;
  c.item_factors = args.has("item-factors") ? static_cast<uint32_t>(args.count("item-factors")) : factors;
  std::string yr = args.str("y-range");
  // ALS fits the linear prediction: without a y-range unless one is asked for (an error there).
  if (args.has("solver") && parse_solver(args.str("solver")) == Solver::als && !args.given("y-range"))
    yr = "none";
  if (yr == "none") {
    c.y_range = false;
  } else if (yr == "auto") {
    // fastai's lesson uses (0, 5.5) for 0.5..5 stars: half a star beyond each end of the scale.
    float lo = train.rating[0], hi = lo;
    for (float r : train.rating) {
      lo = std::min(lo, r);
      hi = std::max(hi, r);
    }
    c.y_min = lo - 0.5f;
    c.y_max = hi + 0.5f;
  } else {
    auto v = parse_floats(yr, "y-range");
    if (v.size() != 2) throw Error("option --y-range: expected LO,HI, auto or none, found " + quote_token(yr));
    c.y_min = v[0];
    c.y_max = v[1];
  }
  if (c.kind == ModelKind::hybrid) c.id_dropout = static_cast<float>(args.number("id-dropout"));
  if (nn) {
    c.hidden.clear();
    for (float h : parse_floats(args.str("layers"), "layers")) {
      if (h < 1 || h != std::floor(h)) throw Error("option --layers: widths must be positive integers");
      c.hidden.push_back(static_cast<uint32_t>(h));
    }
    if (args.has("dropout")) c.dropout = parse_floats(args.str("dropout"), "dropout");
    c.embed_dropout = static_cast<float>(args.number("emb-dropout"));
    c.batch_norm = !args.flag("no-bn");
  }
  // hybrid and content are checked once their features are known (prepare_features).
  if (!uses_features(c.kind)) validate(c);
  return c;
}

TrainConfig train_config_from(const Args& args) {
  // Checked here so that the message names the option; the library checks again for its callers.
  auto positive = [&](const char* name) {
    double v = args.number(name);
    if (!(v > 0)) throw Error(std::string("option --") + name + ": must be positive, found " + args.str(name));
    return v;
  };
  auto at_least_one = [&](const char* name) {
    uint64_t v = args.count(name);
    if (v < 1) throw Error(std::string("option --") + name + ": must be at least 1, found " + args.str(name));
    return v;
  };
  if (args.has("lr")) positive("lr");
  if (args.has("epochs")) at_least_one("epochs");
  at_least_one("batch-size");
  if (!(args.number("wd") >= 0)) throw Error("option --wd: must be 0 or more, found " + args.str("wd"));
  double mom = args.number("momentum");
  if (!(mom >= 0 && mom < 1)) throw Error("option --momentum: must be in [0, 1), found " + args.str("momentum"));
  TrainConfig t;
  t.epochs = args.has("epochs") ? static_cast<uint32_t>(args.count("epochs")) : 5u;
  t.batch_size = static_cast<uint32_t>(args.count("batch-size"));
  t.drop_last = !args.flag("keep-last");
  t.seed = args.count("seed");
  t.threads = static_cast<unsigned>(args.count("threads"));
  t.schedule.kind = parse_schedule_kind(args.str("schedule"));
  t.schedule.lr = args.has("lr") ? args.number("lr") : 5e-3;
  t.schedule.mom = args.number("momentum");
  t.optimizer.kind = parse_optimizer_kind(args.str("opt"));
  t.optimizer.wd = args.number("wd");
  t.optimizer.decoupled_wd = !args.flag("l2");
  t.optimizer.lazy = !args.flag("dense");
  t.optimizer.wd_bn_bias = args.flag("wd-bn-bias");
  return t;
}

}  // namespace cofi::cli

namespace cofi::cli {

void check_solver_options(const Args& args) {
  const Solver solver = parse_solver(args.str("solver"));
  const char* name = to_string(solver);
  auto refuse = [&](const std::vector<const char*>& options, const char* why) {
    for (const char* o : options)
      if (args.given(o))
        throw Error(std::string("option --") + o + " does not apply to --solver " + name + " (" + why + ")");
  };
  if (solver == Solver::minibatch) {
    refuse({"rule", "lambda-f", "lambda-b", "blocks"}, "it is an option of sgd-blocks and als");
    return;
  }
  refuse({"opt", "wd", "l2", "wd-bn-bias", "momentum", "schedule", "batch-size", "keep-last", "dense",
          "layers", "dropout", "emb-dropout", "no-bn", "resume"},
         "it is an option of the minibatch solver");
  if (solver == Solver::als) refuse({"lr", "rule", "blocks"}, "ALS solves each row exactly: it has no steps");
}

ScaleSettings scale_settings_from(const Args& args, const ModelConfig& model, size_t n_ratings) {
  check_solver_options(args);
  ScaleSettings s;
  s.solver = parse_solver(args.str("solver"));
  COFI_ASSERT(s.solver != Solver::minibatch);
  auto non_negative = [&](const char* name) {
    const double v = args.number(name);
    if (!(v >= 0))
      throw Error(std::string("option --") + name + ": must be 0 or more, found " + args.str(name));
    return v;
  };
  const double lambda_f = non_negative("lambda-f"), lambda_b = non_negative("lambda-b");
  if (args.has("epochs") && args.count("epochs") < 1)
    throw Error("option --epochs: must be at least 1, found " + args.str("epochs"));
  const unsigned threads = resolve_threads(static_cast<unsigned>(args.count("threads")));
  const uint64_t seed = args.count("seed");
  // COFI_KERNELS=portable|avx2 forces the SGD kernels' instruction set (for benchmarks and checks).
  const char* isa = std::getenv("COFI_KERNELS");
  const KernelIsa kernels = isa && *isa ? parse_kernel_isa(isa) : KernelIsa::automatic;
  if (s.solver == Solver::sgd_blocks) {
    SgdBlocksConfig& c = s.sgd;
    c.rule = parse_sgd_rule(args.str("rule"));
    if (args.has("lr")) {
      c.lr = args.number("lr");
      if (!(c.lr > 0)) throw Error("option --lr: must be positive, found " + args.str("lr"));
    }
    c.epochs = args.has("epochs") ? static_cast<uint32_t>(args.count("epochs")) : 20u;
    c.lambda_f = lambda_f;
    c.lambda_b = lambda_b;
    c.threads = threads;
    c.seed = seed;
    c.kernels = kernels;
    const uint64_t blocks = args.count("blocks");
    c.bands = blocks ? static_cast<uint32_t>(std::min<uint64_t>(blocks, UINT32_MAX))
                     : default_bands(threads, n_ratings, model.n_users, model.n_items, model.user_factors);
  } else {
    AlsConfig& c = s.als;
    if (!(lambda_f > 0))
      throw Error("option --lambda-f: als needs a positive penalty, found " + args.str("lambda-f"));
    if (model.kind == ModelKind::dotbias && !(lambda_b > 0))
      throw Error("option --lambda-b: als needs a positive penalty, found " + args.str("lambda-b"));
    if (model.y_range)
      throw Error(
          "option --y-range: --solver als needs none (it solves least squares of the linear prediction)");
    c.sweeps = args.has("epochs") ? static_cast<uint32_t>(args.count("epochs")) : 10u;
    c.lambda_f = lambda_f;
    c.lambda_b = lambda_b;
    c.threads = threads;
    c.seed = seed;
  }
  return s;
}

}  // namespace cofi::cli
