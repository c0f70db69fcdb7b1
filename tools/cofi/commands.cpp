// The one table of cofi's commands and options. Help text is generated from it; each option is
// declared once. Handlers live in cmd_*.cpp.
#include "cli.h"
#include "commands_impl.h"
#include "feature_options.h"
#include "model_use.h"
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
       "Methods: random (fastai's valid_pct), user-fraction and user-count (per-user holdout), cold-users and "
       "cold-items (a share of the users or items held out with all their ratings, for cold-start evaluation), "
       "temporal (a global --cutoff, or each user's --last-n), kfold (--k folds, written as fold-1..k), "
       "predefined (files shipped with the data, e.g. ml-100k's u1..u5, ua, ub; --name picks one).",
       {{"DATA", "", "data set name, folder or ratings file", "", true}},
       {data_options(),
        {{"--method", "NAME", "random, user-fraction, user-count, cold-users, cold-items, temporal, kfold or predefined",
          "random"},
         {"--valid-pct", "P", "share of ratings held out (random); of users or items (cold-users, cold-items)", "0.2"},
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
       "its categories from the whole table), or --data NAME|DIR split by --valid-pct. Ctrl-C (or SIGTERM) "
       "stops after the current batch and saves what was trained. With --out, a checkpoint is saved after "
       "every epoch (--checkpoint-every); `cofi train --resume FILE` alone continues an unfinished run with "
       "its own data and settings, to the same model as an uninterrupted run. For large data (millions of "
       "ratings): --solver sgd-blocks (LIBMF's block-parallel SGD, with biases) or --solver als (exact ridge "
       "solves), both for dot and dotbias; see docs/training.md, \"Training at scale\".",
       {},
       {train_data_options(), model_options(), feature_options(), optimizer_options(), solver_options(),
        {{"--out", "FILE", "save the model here (and checkpoints while training)", ""},
         {"--checkpoint-every", "N", "save a checkpoint to --out after every N epochs (0: only at the end)", "1"},
         {"--items", "DATA", "save item titles and genres from this data set, folder or item file "
                             "(default: --side-data's, else the training data's own, when its folder has them)", ""},
         {"--no-history", "", "leave the training ratings out of the model file (then recommend cannot "
                              "exclude what a user rated)", ""},
         {"--resume", "MODEL",
          "continue the unfinished run saved in MODEL, or train a finished model some more (saved back to it "
          "unless --out)",
          ""},
         {"--metrics", "FILE", "write every figure as JSON", ""},
         {"--plot", "FILE", "write the loss curves as an SVG image", ""},
         {"--quiet", "", "no progress bar", ""}},
        data_options()},
       run_train},
      {"lr-find", "fastai's learning-rate finder: sweep the rate up, plot the loss, suggest a rate",
       "Takes the same data, model and optimizer options as train; the model is not saved.",
       {},
       {train_data_options(), model_options(), feature_options(), optimizer_options(),
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
       "(the mean row of each of its tables); a pair with both unseen gets the mean training rating. When "
       "test users or items have no training ratings (cold start: `cofi data split --method cold-users`), "
       "a table gives the RMSE of warm and cold pairs beside the global mean, bias-only and feature-group "
       "baselines fitted to the model's training ratings.",
       {},
       {{{"--model", "FILE", "model file to score", "", true},
         {"--test", "DATA", "ratings to score: a file, a MovieLens folder or a data set name", "", true},
         {"--ranking", "", "rank every unrated item for each test user instead: precision, recall, NDCG, MAP, "
                           "MRR, hit rate and coverage at k, beside popularity and random baselines", ""},
         {"-k,--k", "K", "cut-off of the ranked lists (--ranking)", "10"},
         {"--threshold", "R", "a held-out rating at or above this is relevant (--ranking)", "4"},
         {"--any-relevant", "", "every held-out item is relevant, whatever its rating (--ranking)", ""},
         {"--no-item-bias", "", "rank without item biases (--ranking)", ""},
         {"--seed", "S", "seed of the random baseline (--ranking)", "42"},
         {"--metrics", "FILE", "write the rating figures (cold-start table included) as JSON", ""}},
        data_options()},
       run_eval},
      {"recommend", "recommend items: for a user, for every user into a CSV, or for a new user from a few ratings",
       "A new user (--rate or --ratings-file) is folded in: their factors and bias are fitted to their ratings with "
       "the items held fixed (ridge regression through the model, l2 calibrated on the model's own users), so "
       "the model answers without retraining. Items the user rated are left out unless --include-rated.",
       {},
       {model_use_options(),
        {{"--user", "ID", "a user of the model (raw id)", ""},
         {"--users", "all|FILE", "every user, or the users listed in FILE (one id per line): CSV to --out or stdout", ""},
         {"--rate", "ITEM:R,...", "ratings of a new user (raw item ids)", ""},
         {"--ratings-file", "FILE", "ratings of a new user, one ITEM,RATING per line", ""},
         {"--attributes", "LIST", "a new user's features (hybrid), e.g. gender=F,age=25-34: with or without ratings",
          ""},
         {"-n,--top", "N", "how many items", "10"},
         {"--include-rated", "", "also recommend items the user rated", ""},
         {"--genre", "NAME", "only items of this genre", ""},
         {"--exclude", "FILE", "never recommend the items listed in FILE (one id per line)", ""},
         {"--no-item-bias", "", "rank by the user's taste alone, without items' biases (popularity)", ""},
         {"--why", "", "show the rated items that contribute most to each recommendation", ""},
         {"--out", "FILE", "write the batch (--users) to this CSV", ""},
         {"--threads", "N", "threads for a batch (0: all cores)", "0"}}},
       run_recommend},
      {"update", "teach a saved model new ratings (new users and items too) without retraining from scratch",
       "New users and items are added; their rows start from fold-in and the model trains on the new ratings "
       "mixed with a replay sample of its history. Rows no update rating touches keep their values.",
       {},
       {{{"--model", "FILE", "the model to update", "", true},
         {"--ratings", "DATA", "the new ratings (a file, folder or data set name, read with the data options)", "",
          true},
         {"--out", "FILE", "save the updated model here", "", true},
         {"--items", "DATA", "titles and genres for the catalog (new items otherwise have none)", ""},
         {"--replay", "R", "history ratings replayed per new rating", "1"},
         {"--quiet", "", "no progress bar", ""}},
        // One gentle epoch: on ml-100k (850 users' model, 93 users added) it leaves the old users'
        // RMSE unchanged where five epochs at 5e-3 cost them 0.03 (docs/recommend.md).
        with_defaults(optimizer_options(), {{"--lr", "1e-3"}, {"--epochs", "1"}}),
        data_options()},
       run_update},
      {"similar", "items most like an item (by title or id), or users most like a user",
       "Cosine similarity of the embeddings. A title search is case-insensitive; an exact title wins, then the "
       "most-rated match.",
       {},
       {model_use_options(),
        {{"--item", "TITLE", "an item by (part of) its title", ""},
         {"--item-id", "ID", "an item by raw id", ""},
         {"--user", "ID", "a user by raw id: similar users", ""},
         {"-n,--top", "N", "how many", "10"},
         {"--min-ratings", "N", "only items with at least N training ratings (rare items' factors are mostly noise)",
          "20"},
         {"--genre", "NAME", "only items of this genre", ""},
         {"--exclude", "FILE", "leave out the items listed in FILE", ""},
         {"--threads", "N", "threads (0: all cores)", "0"}}},
       run_similar},
      {"explain", "what the model learned: lowest and highest item biases, principal components of the item factors",
       "As the recipe interprets a model: item biases among items with enough ratings, then the top principal "
       "components of the factors of the most-rated items with the items at each end, and --plot maps the items "
       "on the first two.",
       {},
       {model_use_options(),
        {{"-n,--top", "N", "items listed at each end", "10"},
         {"--min-ratings", "N", "items with at least N training ratings for the biases", "50"},
         {"--pca-items", "N", "the N most-rated items go into the components (the recipe: 1000)", "1000"},
         {"--components", "N", "principal components", "3"},
         {"--plot", "FILE", "write the items on the first two components as an SVG image", ""},
         {"--labels", "N", "label the N most-rated items in the plot", "50"}}},
       run_explain},
      {"serve", "serve recommendations over HTTP: a JSON API and a web page to rate movies and explore the model",
       "Listens on loopback unless --host says otherwise; beyond loopback it refuses to start without a token "
       "(--token, or $COFI_SERVE_TOKEN), which POST /v1/admin/reload then requires as a bearer token. SIGHUP or the "
       "admin endpoint loads the model file again and swaps it in (a bad file leaves the old model serving); "
       "SIGTERM or Ctrl-C finishes the requests in flight and exits. Endpoints: docs/serve.md.",
       {},
       {{{"--model", "FILE", "model file to serve (written by `cofi train --out`)", "", true},
         {"--host", "ADDR", "address to listen on", "127.0.0.1"},
         {"--port", "N", "port to listen on (0: a free port, printed at start)", "8080"},
         {"--threads", "N", "requests answered at once (0: the number of cores)", "0"},
         {"--connections", "N", "connections served at once, each on a thread of its own; more wait", "64"},
         {"--token", "T", "bearer token for the admin endpoint (default: $COFI_SERVE_TOKEN)", ""}}},
       run_serve},
  };
  return table;
}

}  // namespace cofi::cli
