#include <charconv>
#include <cstdio>
#include <filesystem>

#include "cofi/atomic_file.h"
#include "cofi/data/split.h"
#include "cofi/error.h"
#include "commands_impl.h"

namespace fs = std::filesystem;

namespace cofi::cli {

namespace {

// Writes rows of `r` as a ratings.csv (raw ids), atomically (include/cofi/atomic_file.h).
void write_ratings_csv(const Ratings& r, const std::vector<uint32_t>* rows, const fs::path& path) {
  AtomicFile out(path.string());
  std::string buf = r.has_timestamps() ? "userId,movieId,rating,timestamp\n" : "userId,movieId,rating\n";
  buf.reserve(1 << 20);
  const size_t n = rows ? rows->size() : r.size();
  for (size_t k = 0; k < n; ++k) {
    uint32_t i = rows ? (*rows)[k] : static_cast<uint32_t>(k);
    buf += r.users.raw(r.user[i]);
    buf += ',';
    buf += r.items.raw(r.item[i]);
    buf += ',';
    char num[32];
    auto res = std::to_chars(num, num + sizeof num, r.rating[i]);
    buf.append(num, res.ptr);
    if (r.has_timestamps()) {
      buf += ',';
      buf += std::to_string(r.timestamp[i]);
    }
    buf += '\n';
    if (buf.size() > (1u << 20) - 256) {
      out.write(buf);
      buf.clear();
    }
  }
  out.write(buf);
  out.commit();
}

// The output folder and its parents; a cofi::Error with the system's reason when one cannot be made.
void make_folder(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(dir.string() + ": cannot create the folder: " + ec.message());
}

void write_split(const Ratings& r, const Split& s, const fs::path& dir) {
  make_folder(dir);
  write_ratings_csv(r, &s.train, dir / "train.csv");
  write_ratings_csv(r, &s.valid, dir / "valid.csv");
}

void describe(const char* name, size_t train, size_t valid) {
  double total = static_cast<double>(train + valid);
  std::printf("%-10s train %zu (%.1f%%), valid %zu (%.1f%%)\n", name, train,
              100.0 * static_cast<double>(train) / total, valid, 100.0 * static_cast<double>(valid) / total);
}

}  // namespace

int run_data_split(const Args& args) {
  LoadOptions lo = load_options_from(args);
  lo.side_data = false;
  Dataset d = load_dataset(args.str("DATA"), lo);
  const std::string method = args.str("method");
  const uint64_t seed = args.count("seed");
  const bool write = args.has("out");
  const fs::path out = args.str("out");

  if (method == "predefined") {
    TrainTest tt = load_predefined_split(d, args.str("name"), lo.read);
    describe(args.str("name").c_str(), tt.train.size(), tt.test.size());
    if (write) {
      make_folder(out);
      write_ratings_csv(tt.train, nullptr, out / "train.csv");
      write_ratings_csv(tt.test, nullptr, out / "valid.csv");
    }
  } else if (method == "kfold") {
    auto folds = kfold(d.ratings, static_cast<uint32_t>(args.count("k")), seed);
    for (size_t f = 0; f < folds.size(); ++f) {
      std::string name = "fold-" + std::to_string(f + 1);
      describe(name.c_str(), folds[f].train.size(), folds[f].valid.size());
      if (write) write_split(d.ratings, folds[f], out / name);
    }
  } else {
    Split s;
    if (method == "random") {
      s = random_split(d.ratings, args.number("valid-pct"), seed);
    } else if (method == "user-fraction") {
      s = holdout_fraction_per_user(d.ratings, args.number("fraction"), seed);
    } else if (method == "user-count") {
      s = holdout_count_per_user(d.ratings, static_cast<uint32_t>(args.count("count")), seed);
    } else if (method == "cold-users" || method == "cold-items") {
      s = holdout_entities(d.ratings, method == "cold-users" ? Side::user : Side::item,
                           args.number("valid-pct"), seed);
    } else if (method == "temporal") {
      if (args.has("cutoff") == args.has("last-n"))
        throw Error("--method temporal needs exactly one of --cutoff TIME or --last-n N");
      s = args.has("cutoff") ? temporal_cutoff(d.ratings, args.integer("cutoff"))
                             : temporal_last_n(d.ratings, static_cast<uint32_t>(args.count("last-n")));
    } else {
      throw Error(
          "option --method: expected random, user-fraction, user-count, cold-users, cold-items, temporal, "
          "kfold or "
          "predefined, found " +
          quote_token(method));
    }
    describe(method.c_str(), s.train.size(), s.valid.size());
    if (write) write_split(d.ratings, s, out);
  }
  if (write) std::printf("written to %s\n", out.string().c_str());
  return 0;
}

}  // namespace cofi::cli
