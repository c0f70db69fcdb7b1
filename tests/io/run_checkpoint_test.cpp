// The run checkpoint kept in a model file's OPTM section: a state taken from a real run survives
// the round trip through the payload and a model file bit for bit; every truncation and every
// single-byte change gives a checkpoint or a cofi::Error, never a crash; the exact message for
// each structural fault; the digest notices any change of the training ratings.
#include "cofi/io/run_checkpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include "cofi/error.h"
#include "cofi/io/binary_stream.h"
#include "cofi/io/model_file.h"

namespace cofi {
namespace {

using ::testing::HasSubstr;

Ratings small_ratings() {
  std::vector<uint32_t> us, is;
  std::vector<float> rs;
  for (uint32_t u = 0; u < 12; ++u)
    for (uint32_t i = 0; i < 9; ++i)
      if ((u * 7 + i * 3) % 4 != 0) {
        us.push_back(u);
        is.push_back(i);
        rs.push_back(static_cast<float>(1 + (u + i) % 5));
      }
  Ratings r;
  r.user = Column<uint32_t>(us);
  r.item = Column<uint32_t>(is);
  r.rating = Column<float>(rs);
  std::vector<uint32_t> uid(12), iid(9);
  for (uint32_t k = 0; k < 12; ++k) uid[k] = k + 1;
  for (uint32_t k = 0; k < 9; ++k) iid[k] = k + 1;
  r.users = IdMap::from_sorted_ints(uid);
  r.items = IdMap::from_sorted_ints(iid);
  return r;
}

ModelConfig small_model(ModelKind kind) {
  ModelConfig c;
  c.kind = kind;
  c.n_users = 12;
  c.n_items = 9;
  c.user_factors = c.item_factors = 3;
  c.hidden = {5};
  return c;
}

// A checkpoint as `cofi train` takes it: the state of a real run, stopped inside its third epoch
// (so that batches_done, the loss sum and the rows' steps are all non-trivial).
struct Taken {
  std::unique_ptr<Model> model;
  RunInfo run;
  TrainState state;
};

Taken take(ModelKind kind, OptimizerKind opt, bool lazy) {
  Taken t;
  const Ratings data = small_ratings();
  t.model = Model::create(small_model(kind), 3);
  TrainConfig tc;
  tc.epochs = 5;
  tc.batch_size = 8;
  tc.optimizer.kind = opt;
  tc.optimizer.lazy = lazy;
  std::atomic<bool> stop{false};
  TrainCallbacks cb;
  cb.stop = &stop;
  const RunSteps steps = run_steps(data.size(), tc);
  cb.on_batch = [&](uint64_t step, uint64_t, double) {
    if (step == 2 * steps.per_epoch + 3) stop = true;
  };
  fit(*t.model, data, nullptr, tc, cb, &t.state);
  t.run.options = R"({"epochs":"5","batch-size":"8"})";
  t.run.epochs = 5;
  t.run.history_before = 2;
  t.run.n_ratings = data.size();
  t.run.data_digest = training_data_digest(data);
  t.run.total_steps = steps.total;
  return t;
}

std::string payload_of(const Taken& t) {
  auto bytes = encode_run_checkpoint(t.run, t.state.progress, t.state.optimizer, t.model->parameters());
  return std::string(bytes.begin(), bytes.end());
}

TEST(RunCheckpoint, RoundTripsEveryKindOfState) {
  for (auto [kind, opt, lazy] : {std::tuple{ModelKind::dotbias, OptimizerKind::adam, true},
                                 std::tuple{ModelKind::dot, OptimizerKind::sgd, true},
                                 std::tuple{ModelKind::nn, OptimizerKind::adam, false}}) {
    SCOPED_TRACE(to_string(kind));
    Taken t = take(kind, opt, lazy);
    ASSERT_EQ(t.state.progress.epochs_done, 2u);
    ASSERT_EQ(t.state.progress.batches_done, 3u);
    const std::string bytes = payload_of(t);
    RunCheckpoint back = decode_run_checkpoint(bytes, "m.cofi");
    EXPECT_EQ(back.run, t.run);
    EXPECT_EQ(back.state.progress.epochs_done, 2u);
    EXPECT_EQ(back.state.progress.batches_done, 3u);
    EXPECT_EQ(back.state.progress.loss_sum, t.state.progress.loss_sum);
    EXPECT_EQ(back.state.optimizer.t, t.state.optimizer.t);
    EXPECT_EQ(back.state.optimizer.m, t.state.optimizer.m);
    EXPECT_EQ(back.state.optimizer.v, t.state.optimizer.v);
    EXPECT_EQ(back.state.optimizer.last, t.state.optimizer.last);
    ASSERT_EQ(back.parameters.size(), t.model->parameters().size());
    for (size_t i = 0; i < back.parameters.size(); ++i)
      EXPECT_EQ(back.parameters[i], t.model->parameters()[i].name);
    if (opt == OptimizerKind::sgd) {
      for (const auto& v : back.state.optimizer.v) EXPECT_TRUE(v.empty());
    }
    if (lazy) {
      EXPECT_FALSE(back.state.optimizer.last[0].empty());
    }
  }
}

TEST(RunCheckpoint, TravelsInAModelFile) {
  Taken t = take(ModelKind::dotbias, OptimizerKind::adam, true);
  SavedModel m;
  m.users = small_ratings().users;
  m.items = small_ratings().items;
  m.record.history.resize(3);
  m.optimizer_state =
      encode_run_checkpoint(t.run, t.state.progress, t.state.optimizer, t.model->parameters());
  m.model = std::move(t.model);
  SavedModel back = decode_model(encode_model(m), "m.cofi");
  RunCheckpoint c =
      decode_run_checkpoint(std::string_view(reinterpret_cast<const char*>(back.optimizer_state.data()),
                                             back.optimizer_state.size()),
                            "m.cofi");
  EXPECT_EQ(c.run, t.run);
  EXPECT_EQ(c.state.optimizer.m, t.state.optimizer.m);
}

TEST(RunCheckpoint, EveryTruncationIsAnError) {
  const std::string bytes = payload_of(take(ModelKind::nn, OptimizerKind::adam, true));
  for (size_t len = 0; len < bytes.size(); ++len) {
    try {
      decode_run_checkpoint(std::string_view(bytes).substr(0, len), "m.cofi");
      ADD_FAILURE() << "a payload cut to " << len << " of " << bytes.size() << " bytes decoded";
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), ::testing::StartsWith("m.cofi: section 'optimizer state': ")) << len;
    }
  }
}

TEST(RunCheckpoint, EverySingleByteChangeDecodesOrFailsCleanly) {
  const std::string bytes = payload_of(take(ModelKind::dotbias, OptimizerKind::adam, true));
  size_t errors = 0;
  for (size_t at = 0; at < bytes.size(); ++at) {
    for (int x : {0x01, 0x80, 0xff}) {
      std::string b = bytes;
      b[at] = static_cast<char>(static_cast<unsigned char>(b[at]) ^ x);
      try {
        decode_run_checkpoint(b, "m.cofi");
      } catch (const Error&) {
        ++errors;
      }
    }
  }
  // Counts, lengths and steps are checked: changing one of their bytes must be caught somewhere.
  EXPECT_GT(errors, 100u);
}

// The payload of `t` with the fields before the parameters replaced: for the messages below.
std::string with_header(uint32_t version, uint32_t epochs, uint32_t done, uint64_t total, uint64_t t,
                        uint32_t params) {
  ByteWriter w;
  w.u32(version);
  w.str("{}");
  w.u32(epochs);
  w.u32(0);
  w.u64(10);
  w.u64(1234);
  w.u64(total);
  w.u32(done);
  w.u64(0);
  w.f64(0.5);
  w.u64(t);
  w.u32(params);
  return w.take();
}

std::string error_of(const std::string& bytes) {
  try {
    decode_run_checkpoint(bytes, "m.cofi");
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(RunCheckpoint, SaysWhatIsWrong) {
  const std::string where = "m.cofi: section 'optimizer state': ";
  EXPECT_EQ(error_of(with_header(2, 5, 1, 50, 10, 0)),
            where + "run state version 2; this build reads version 1");
  EXPECT_EQ(error_of(with_header(0, 5, 1, 50, 10, 0)),
            where + "run state version 0; this build reads version 1");
  EXPECT_EQ(error_of(with_header(1, 0, 0, 50, 10, 0)), where + "a run of 0 epochs");
  EXPECT_EQ(error_of(with_header(1, 5, 5, 50, 50, 0)),
            where + "5 of 5 epochs done: a finished run has no state to resume");
  EXPECT_EQ(error_of(with_header(1, 5, 1, 50, 51, 0)), where + "at step 51 of 50");
  EXPECT_EQ(error_of(with_header(1, 5, 1, 50, 10, 1000)),
            where + "1000 parameters need at least 32000 bytes, 0 left");
  EXPECT_EQ(error_of(with_header(1, 5, 1, 50, 10, 0) + "xyz"), where + "3 bytes left over after its fields");
  EXPECT_EQ(error_of(""), where + "state version needs 4 bytes, 0 left");

  ByteWriter p;
  p.str("u_weight");
  p.u64(UINT64_MAX / 2);
  EXPECT_EQ(
      error_of(with_header(1, 5, 1, 50, 10, 1) + p.take() + std::string(24, '\0')),
      where + "parameter 'u_weight': 9223372036854775807 moment values need more than 2^64 bytes, 24 left");
  ByteWriter q;
  q.str("u_bias");
  q.u64(0);
  q.u64(0);
  q.u64(1);
  q.u64(11);
  EXPECT_EQ(error_of(with_header(1, 5, 1, 50, 10, 1) + q.take()),
            where + "parameter 'u_bias': a row at step 11, after the state's step 10");
}

TEST(RunCheckpoint, TheDigestSeesEveryChange) {
  const Ratings a = small_ratings();
  const uint64_t base = training_data_digest(a);
  EXPECT_EQ(base, training_data_digest(small_ratings()));
  Ratings b = small_ratings();
  b.rating[5] += 0.5f;
  EXPECT_NE(training_data_digest(b), base);
  Ratings c = small_ratings();
  std::swap(c.item[0], c.item[1]);
  EXPECT_NE(training_data_digest(c), base);
  Ratings d = small_ratings();
  std::swap(d.user[3], d.user[40]);
  std::swap(d.item[3], d.item[40]);
  std::swap(d.rating[3], d.rating[40]);
  EXPECT_NE(training_data_digest(d), base) << "the same ratings in another order";
}

}  // namespace
}  // namespace cofi
