// The hybrid and content models end to end on ml-100k: a cold-user split, training with the data
// set's side files, the cold-start table of `cofi eval` (and its JSON), inspect, a newcomer given
// by attributes, similar items, explain, and the errors for bad feature options.
// The binary is $COFI_CLI (ctest sets it).
#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/cli_runner.h"

using ::testing::HasSubstr;

namespace cofi::cli_test {
namespace {

TEST(HybridCli, ColdUsersEndToEnd) {
  REQUIRE_DATA("ml-100k");
  TempDir dir;
  const std::string split = (dir.path() / "split").string();
  Outcome r = cofi({"data", "split", "ml-100k", "--method", "cold-users", "--valid-pct", "0.2", "--seed", "3",
                    "--out", split});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("cold-users train ")) << r;
  const std::string model = (dir.path() / "h.cofi").string();
  r = cofi({"train", "--model", "hybrid", "--train", split + "/train.csv", "--side-data", "ml-100k",
            "--epochs", "3", "--quiet", "--out", model});
  ASSERT_EQ(r.code, 0) << r;
  // Every ml-100k user and item is a row: the held-out users too, from u.user.
  EXPECT_THAT(r.out,
              HasSubstr("features: items 1,682 with 27 features (1,682 model items); users 943 with 30 "
                        "features (943 model users)"))
      << r;
  EXPECT_THAT(r.out, HasSubstr("training hybrid on ")) << r;

  const std::string metrics = (dir.path() / "m.json").string();
  r = cofi({"eval", "--model", model, "--test", split + "/valid.csv", "--metrics", metrics});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("unseen    0 users, 0 items")) << r;
  EXPECT_THAT(r.out, HasSubstr("cold start: 189 test users and ")) << r;
  EXPECT_THAT(r.out, HasSubstr("RMSE             ratings     model  global mean  bias only  feature group\n"))
      << r;
  EXPECT_THAT(r.out, HasSubstr("\ncold users  ")) << r;
  const std::string json = read_file(metrics);
  EXPECT_THAT(json, HasSubstr("\"cold_start\"")) << json;
  EXPECT_THAT(json, HasSubstr("\"cold users\"")) << json;
  EXPECT_THAT(json, HasSubstr("\"feature_group\"")) << json;

  r = cofi({"inspect", model});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("format       version 2\n")) << r;
  EXPECT_THAT(r.out, HasSubstr("kind         hybrid\n")) << r;
  EXPECT_THAT(r.out, HasSubstr("user feats   30 (")) << r;
  EXPECT_THAT(r.out, HasSubstr("943 of 943 rows have some")) << r;

  // A newcomer described by attributes alone, then with a rating too.
  r = cofi({"recommend", "--model", model, "--attributes", "gender=F,age=25-34", "-n", "3"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("top 3 for a new user with 0 ratings and 2 attributes")) << r;
  r = cofi({"recommend", "--model", model, "--attributes", "gender=F", "--rate", "50:5", "-n", "3", "--why"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("with 1 ratings and 1 attributes")) << r;
  r = cofi({"recommend", "--model", model, "--attributes", "gender=X"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("--attributes: the model has no user feature \"gender=X\" (it has 30: ")) << r;

  r = cofi({"similar", "--model", model, "--item", "toy story", "-n", "3"});
  ASSERT_EQ(r.code, 0) << r;
  r = cofi({"explain", "--model", model, "-n", "2", "--components", "2"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("principal components")) << r;
}

TEST(HybridCli, ContentModelAndFeatureErrors) {
  REQUIRE_DATA("ml-100k");
  TempDir dir;
  const std::string model = (dir.path() / "c.cofi").string();
  Outcome r = cofi({"train", "--model", "content", "--data", "ml-100k", "--quiet", "--out", model});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("training content on 80000 ratings")) << r;
  r = cofi({"eval", "--model", model, "--test", (data_dir() / "ml-100k" / "u1.test").string(), "--ranking"});
  ASSERT_EQ(r.code, 0) << r;
  r = cofi({"similar", "--model", model, "--item", "toy story", "-n", "3"});
  ASSERT_EQ(r.code, 0) << r;
  r = cofi({"recommend", "--model", model, "--user", "1", "-n", "3"});
  ASSERT_EQ(r.code, 0) << r;
  r = cofi({"explain", "--model", model, "-n", "2", "--components", "2"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("item biases: none (the content model has no bias terms)")) << r;

  // Errors: features a content model cannot use, an unknown group, no side data at all.
  r = cofi({"train", "--model", "content", "--data", "ml-100k", "--features", "demographics", "--quiet"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("model content: needs item features")) << r;
  r = cofi({"train", "--model", "hybrid", "--data", "ml-100k", "--features", "genres,colour", "--quiet"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_THAT(
      r.err, HasSubstr("option --features: unknown feature group \"colour\" (expected genres, decades, tags, "
                       "demographics, age, gender, occupation, zip)"))
      << r;
  r = cofi({"train", "--model", "hybrid", "--data", "ml-100k", "--feature-weights", "all", "--quiet"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("option --feature-weights: expected row, group or one, found \"all\"")) << r;
  const std::string file = (dir.path() / "r.csv").string();
  write_file(file, "u,i,r\n1,1,4\n2,1,3\n");
  r = cofi({"train", "--model", "hybrid", "--train", file, "--header", "--columns", "0,1,2", "--side-data",
            file, "--quiet"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("not a MovieLens folder with side files")) << r;
}

}  // namespace
}  // namespace cofi::cli_test
