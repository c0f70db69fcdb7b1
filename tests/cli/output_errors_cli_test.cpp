// Unwritable outputs and full disks, end to end: every command's output (train --out, its
// checkpoints, --metrics and --plot, lr-find --plot, data split --out, data fetch into the data
// cache) fails with exit 1 and a message naming the file and the system's reason, leaves the
// earlier file as it was and no temporary file behind; an output that cannot even be created
// fails before any training. Full disks: RLIMIT_FSIZE (no privilege needed, root included) and,
// where a private tmpfs can be mounted, a real ENOSPC and a real read-only file system.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/cli_runner.h"
#include "cofi/random.h"
#include "support/private_mount.h"

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

namespace cofi::cli_test {
namespace {

using test::EnvGuard;
using test::PrivateTmpfs;

// Generated ratings: `users` x 150 items, about a third rated, whole stars.
fs::path ratings_file(const TempDir& dir, uint32_t users, const std::string& name = "ratings.csv") {
  SplitMix64 rng(users);
  std::string text = "userId,movieId,rating,timestamp\n";
  for (uint32_t u = 1; u <= users; ++u)
    for (uint32_t i = 1; i <= 150; ++i)
      if (rng.uniform() < 0.33)
        text += std::to_string(u) + "," + std::to_string(i) + "," + std::to_string(1 + rng.below(5)) + ".0," +
                std::to_string(u * 1000 + i) + "\n";
  const fs::path path = dir.path() / name;
  write_file(path, text);
  return path;
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> train(const fs::path& data, const std::vector<std::string>& more,
                               const std::string& epochs = "2") {
  std::vector<std::string> args{"train", "--train", data.string(), "--epochs", epochs, "--quiet"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

TEST(OutputErrors, AnOutputThatCannotBeCreatedFailsBeforeTheWork) {
  TempDir dir;
  const fs::path data = ratings_file(dir, 60);
  const std::string file = dir.file("plain");
  write_file(file, "a file, where a folder is needed");
  const std::string reason = ": cannot create a temporary file beside it: Not a directory\n";
  struct Case {
    std::vector<std::string> args;
    std::string path;
  };
  const std::vector<Case> cases = {
      {train(data, {"--out", file + "/m.cofi"}), file + "/m.cofi"},
      {train(data, {"--metrics", file + "/m.json"}), file + "/m.json"},
      {train(data, {"--plot", file + "/m.svg"}), file + "/m.svg"},
      {{"lr-find", "--train", data.string(), "--num-it", "5", "--plot", file + "/lr.svg"}, file + "/lr.svg"},
      {{"train", "--resume", dir.file("none.cofi"), "--out", dir.file("missing") + "/m.cofi"},
       dir.file("none.cofi")},
  };
  for (const Case& c : cases) {
    Outcome r = cofi(c.args);
    EXPECT_EQ(r.code, 1) << r;
    if (c.path.ends_with("none.cofi")) {
      EXPECT_EQ(r.err, "cofi: error: " + c.path + ": cannot open: No such file or directory\n") << r;
      continue;
    }
    EXPECT_EQ(r.err, "cofi: error: " + c.path + reason) << r;
    // Before any training: no epoch table was printed.
    EXPECT_THAT(r.out, Not(HasSubstr("epoch"))) << r;
  }
  Outcome split = cofi({"data", "split", data.string(), "--out", file + "/split"});
  EXPECT_EQ(split.code, 1) << split;
  EXPECT_EQ(split.err, "cofi: error: " + file + "/split: cannot create the folder: Not a directory\n")
      << split;
  EXPECT_EQ(names_in(dir.path()), (std::vector<std::string>{"plain", "ratings.csv"}));
}

TEST(OutputErrors, WritesPastAFileSizeLimitLeaveTheEarlierFiles) {
  TempDir dir;
  const fs::path small = ratings_file(dir, 20, "small.csv"), big = ratings_file(dir, 400, "big.csv");
  const std::string model = dir.file("m.cofi"), metrics = dir.file("m.json"), plot = dir.file("m.svg");
  // The earlier files: a small model and its metrics and plot, well under the limit.
  ASSERT_EQ(cofi(train(small, {"--factors", "4", "--out", model, "--metrics", metrics, "--plot", plot})).code,
            0);
  const std::string model_before = read_file(model), metrics_before = read_file(metrics),
                    plot_before = read_file(plot);
  const uint64_t limit = 64 * 1024;
  ASSERT_LT(model_before.size(), limit);

  // The first checkpoint of a bigger model (400 x 150 rows of 51 values, moments too) is too big.
  Outcome r = cofi(train(big, {"--out", model}), limit);
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_EQ(r.err,
            "cofi: error: saving the checkpoint after epoch 0: " + model + ": cannot write: File too large\n")
      << r;
  // Without checkpoints the final save fails the same way.
  r = cofi(train(big, {"--out", model, "--checkpoint-every", "0"}), limit);
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_EQ(r.err, "cofi: error: " + model + ": cannot write: File too large\n") << r;
  EXPECT_TRUE(read_file(model) == model_before) << "the earlier model is intact";

  // Metrics (every batch loss) and the plot of a long run are too big; no model is asked for.
  r = cofi(train(big, {"--batch-size", "8", "--metrics", metrics}, "40"), limit);
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_EQ(r.err, "cofi: error: " + metrics + ": cannot write: File too large\n") << r;
  r = cofi(train(big, {"--batch-size", "8", "--plot", plot}, "40"), limit);
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_EQ(r.err, "cofi: error: " + plot + ": cannot write: File too large\n") << r;
  EXPECT_TRUE(read_file(metrics) == metrics_before);
  EXPECT_TRUE(read_file(plot) == plot_before);

  // data split: the earlier train.csv stays when the new one cannot be written.
  const fs::path split = dir.path() / "split";
  ASSERT_EQ(cofi({"data", "split", small.string(), "--out", split.string()}).code, 0);
  const std::string train_before = read_file(split / "train.csv");
  r = cofi({"data", "split", big.string(), "--out", split.string()}, limit);
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_EQ(r.err, "cofi: error: " + (split / "train.csv").string() + ": cannot write: File too large\n")
      << r;
  EXPECT_TRUE(read_file(split / "train.csv") == train_before);

  EXPECT_EQ(names_in(dir.path()),
            (std::vector<std::string>{"big.csv", "m.cofi", "m.json", "m.svg", "small.csv", "split"}));
  EXPECT_EQ(names_in(split), (std::vector<std::string>{"train.csv", "valid.csv"}));
}

TEST(OutputErrors, FullDisk) {
  PrivateTmpfs disk(160 * 1024);
  REQUIRE_PRIVATE_TMPFS(disk);
  TempDir dir;
  const fs::path small = ratings_file(dir, 20, "small.csv"), big = ratings_file(dir, 400, "big.csv");
  const std::string model = disk.file("m.cofi");
  ASSERT_EQ(cofi(train(small, {"--factors", "4", "--out", model})).code, 0);
  const std::string before = read_file(model);
  const uint64_t free_before = disk.free_bytes();

  Outcome r = cofi(train(big, {"--out", model}));
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_EQ(r.err, "cofi: error: saving the checkpoint after epoch 0: " + model +
                       ": cannot write: No space left on device\n")
      << r;
  EXPECT_TRUE(read_file(model) == before) << "the earlier model is intact";
  EXPECT_EQ(names_in(disk.path()), std::vector<std::string>{"m.cofi"});
  EXPECT_EQ(disk.free_bytes(), free_before);

  // A download into a full data cache: nothing of it is left.
  const fs::path archive = dir.path() / "big.zip";
  write_file(archive, std::string(400 * 1024, 'z'));
  EnvGuard data_dir("COFI_DATA_DIR", disk.file("data"));
  r = cofi({"data", "fetch", "tiny", "--url", "file://" + archive.string(), "--sha256", std::string(64, '0'),
            "--quiet"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_THAT(r.err, StartsWith("cofi: error: ")) << r;
  EXPECT_THAT(r.err, HasSubstr("No space left on device")) << r;
  EXPECT_THAT(r.err, HasSubstr("nothing was written to " + disk.file("data"))) << r;
  EXPECT_TRUE(names_in(disk.file("data")).empty());
  EXPECT_EQ(disk.free_bytes(), free_before);
}

TEST(OutputErrors, ReadOnlyFileSystem) {
  PrivateTmpfs disk(256 * 1024);
  REQUIRE_PRIVATE_TMPFS(disk);
  TempDir dir;
  const fs::path small = ratings_file(dir, 20, "small.csv");
  const std::string model = disk.file("m.cofi");
  ASSERT_EQ(cofi(train(small, {"--factors", "4", "--out", model})).code, 0);
  const std::string before = read_file(model);
  ASSERT_TRUE(disk.make_read_only()) << std::strerror(errno);

  // Fails before training, and --resume (which saves back to the model) too.
  for (const auto& args :
       {train(small, {"--out", model}), std::vector<std::string>{"train", "--resume", model}}) {
    Outcome r = cofi(args);
    EXPECT_EQ(r.code, 1) << r;
    EXPECT_EQ(r.err,
              "cofi: error: " + model + ": cannot create a temporary file beside it: Read-only file system\n")
        << r;
    EXPECT_THAT(r.out, Not(HasSubstr("epoch"))) << r;
  }
  EXPECT_TRUE(read_file(model) == before);
  // The model is still there to use.
  EXPECT_EQ(cofi({"inspect", model}).code, 0);
}

}  // namespace
}  // namespace cofi::cli_test
