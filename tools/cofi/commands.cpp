// The one table of cofi's commands and options. Help text is generated from it; each option is
// declared once. Handlers live in cmd_*.cpp.
#include "cli.h"
#include "commands_impl.h"
#include "train_options.h"

namespace cofi::cli {

const std::vector<OptionSpec>& data_options() {
  static const std::vector<OptionSpec> options = {
      {"--layout", "NAME", "force the layout instead of detecting it: ml-latest, ml-100k, ml-1m, ml-10m, delimited", ""},
      {"--delimiter", "TEXT", "field delimiter of a delimited file (\\t for tab)", ","},
      {"--columns", "U,I,R[,T]", "0-based columns of user, item, rating[, timestamp] in a delimited file", "0,1,2,3"},
      {"--header", "", "a delimited file starts with a header line", ""},
      {"--ids", "KIND", "id kind of a delimited file: auto, int or string", "auto"},
      {"--rating-range", "LO:HI", "reject ratings outside this range (delimited files; MovieLens layouts know theirs)", ""},
      {"--duplicates", "POLICY", "repeated (user, item) pairs: error, keep-last or mean", "error"},
      {"--skip-bad", "", "skip malformed records, report how many and where the first were", ""},
      {"--threads", "N", "threads for parsing and computing (0: all cores)", "0"},
      {"--no-cache", "", "parse the ratings again instead of using the binary cache", ""},
  };
  return options;
}

const std::vector<CommandSpec>& commands() {
  static const std::vector<CommandSpec> table = {
      {"data info", "summarise a data set: sizes, density, rating histogram, activity, top titles",
       "DATA is a data set name (resolved in $COFI_DATA_DIR, else ~/.cache/cofi), a MovieLens folder, "
       "or a ratings file.",
       {{"DATA", "", "data set name, folder or ratings file", "", true}},
       {data_options(), {{"--top", "N", "how many of the most-rated titles to list", "10"}}},
       run_data_info},
      {"data split", "split ratings into train and validation files, deterministically for a seed",
       "Methods: random (fastai's valid_pct), user-fraction and user-count (per-user holdout), "
       "temporal (a global --cutoff, or each user's --last-n), kfold (--k folds, written as fold-1..k), "
       "predefined (files shipped with the data, e.g. ml-100k's u1..u5, ua, ub; --name picks one).",
       {{"DATA", "", "data set name, folder or ratings file", "", true}},
       {data_options(),
        {{"--method", "NAME", "random, user-fraction, user-count, temporal, kfold or predefined", "random"},
         {"--valid-pct", "P", "share of ratings held out (random)", "0.2"},
         {"--fraction", "F", "share of each user's ratings held out (user-fraction)", "0.2"},
         {"--count", "N", "ratings held out per user (user-count)", "1"},
         {"--cutoff", "TIME", "hold out ratings at or after this Unix time (temporal)", ""},
         {"--last-n", "N", "hold out each user's last N ratings (temporal)", ""},
         {"--k", "K", "number of folds (kfold)", "5"},
         {"--name", "SPLIT", "which predefined split (predefined)", "u1"},
         {"--seed", "S", "random seed", "42"},
         {"--out", "DIR", "folder to write train.csv and valid.csv into", "", false}}},
       run_data_split},
      {"data fetch", "download a MovieLens data set into the data cache and check its checksum",
       "The archive is checked against the SHA-256 kept in cofi's source and unpacked into "
       "$COFI_DATA_DIR (else ~/.cache/cofi); nothing half-written is left behind on failure.",
       {{"NAME", "", "data set name (see `cofi data list`)", "", true}},
       {{{"--force", "", "download again even when already cached", ""},
         {"--url", "URL", "download from this address instead (a mirror, or a file:// path)", ""},
         {"--sha256", "HEX", "expected checksum of the archive given by --url", ""},
         {"--quiet", "", "no progress bar", ""}}},
       run_data_fetch},
      {"data list", "list the data sets cofi can fetch and which are in the data cache", "", {}, {}, run_data_list},
      {"train", "train a model (the recipe: dotbias, Adam, one-cycle) and print fastai's epoch table",
       "Data: --train FILE [--valid FILE] (ids of both are joined into one index space, as fastai builds "
       "its categories from the whole table), or --data NAME|DIR split by --valid-pct. Ctrl-C stops after "
       "the current batch and saves what was trained. For large data (millions of ratings): --solver "
       "sgd-blocks (LIBMF's block-parallel SGD, with biases) or --solver als (exact ridge solves), both for "
       "dot and dotbias; see docs/training.md, \"Training at scale\".",
       {},
       {train_data_options(), model_options(), optimizer_options(), solver_options(),
        {{"--out", "FILE", "save the model here", ""},
         {"--resume", "MODEL", "train this saved model some more (saved back to it unless --out)", ""},
         {"--metrics", "FILE", "write every figure as JSON", ""},
         {"--plot", "FILE", "write the loss curves as an SVG image", ""},
         {"--quiet", "", "no progress bar", ""}},
        data_options()},
       run_train},
      {"lr-find", "fastai's learning-rate finder: sweep the rate up, plot the loss, suggest a rate",
       "Takes the same data, model and optimizer options as train; the model is not saved.",
       {},
       {train_data_options(), model_options(), optimizer_options(),
        {{"--start-lr", "LR", "first learning rate", "1e-7"},
         {"--end-lr", "LR", "last learning rate", "10"},
         {"--num-it", "N", "batches in the sweep", "100"},
         {"--no-stop-div", "", "keep going when the loss diverges", ""},
         {"--plot", "FILE", "write the loss curve as an SVG image", "lr-find.svg"}},
        data_options()},
       run_lr_find},
      {"inspect", "show what a model file holds: kind, sizes, parameters, training settings and history",
       "Reads the whole file and checks it (checksum, sizes, shapes) as loading it for use would.",
       {{"MODEL", "", "model file (written by `cofi train --out`)", "", true}},
       {},
       run_inspect},
      {"eval", "score a saved model on a test file: MSE, RMSE and MAE, with unseen users and items counted",
       "The test file is read with the data options and its own ids, which are matched to the model's by "
       "their raw values. A pair with an unseen user or item is predicted with the average user or item "
       "(the mean row of each of its tables); a pair with both unseen gets the mean training rating.",
       {},
       {{{"--model", "FILE", "model file to score", "", true},
         {"--test", "DATA", "ratings to score: a file, a MovieLens folder or a data set name", "", true}},
        data_options()},
       run_eval},
  };
  return table;
}

}  // namespace cofi::cli
