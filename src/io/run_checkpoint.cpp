#include "cofi/io/run_checkpoint.h"

#include <bit>

#include "cofi/error.h"
#include "cofi/io/binary_stream.h"
#include "cofi/random.h"

namespace cofi {

std::vector<uint8_t> encode_run_checkpoint(const RunInfo& run, const TrainProgress& progress,
                                           const OptimizerState& optimizer,
                                           const std::vector<Parameter>& params) {
  COFI_ASSERT(optimizer.m.size() == params.size() && optimizer.v.size() == params.size() &&
              optimizer.last.size() == params.size());
  ByteWriter w;
  w.u32(kRunCheckpointVersion);
  w.str(run.options);
  w.u32(run.epochs);
  w.u32(run.history_before);
  w.u64(run.n_ratings);
  w.u64(run.data_digest);
  w.u64(run.total_steps);
  w.u32(progress.epochs_done);
  w.u64(progress.batches_done);
  w.f64(progress.loss_sum);
  w.u64(optimizer.t);
  w.u32(static_cast<uint32_t>(params.size()));
  for (size_t i = 0; i < params.size(); ++i) {
    w.str(params[i].name);
    w.u64(optimizer.m[i].size());
    w.f32s(optimizer.m[i].data(), optimizer.m[i].size());
    w.u64(optimizer.v[i].size());
    w.f32s(optimizer.v[i].data(), optimizer.v[i].size());
    w.u64(optimizer.last[i].size());
    for (uint64_t a : optimizer.last[i]) w.u64(a);
  }
  const std::string& b = w.buffer();
  return std::vector<uint8_t>(b.begin(), b.end());
}

RunCheckpoint decode_run_checkpoint(std::string_view bytes, const std::string& name) {
  ByteReader r(bytes, name + ": section 'optimizer state'");
  const uint32_t version = r.u32("state version");
  if (version == 0 || version > kRunCheckpointVersion)
    r.fail("run state version " + std::to_string(version) + "; this build reads version " +
           std::to_string(kRunCheckpointVersion));
  RunCheckpoint c;
  c.run.options = r.str("run options");
  c.run.epochs = r.u32("planned epochs");
  c.run.history_before = r.u32("earlier epochs");
  c.run.n_ratings = r.u64("rating count");
  c.run.data_digest = r.u64("data digest");
  c.run.total_steps = r.u64("total steps");
  c.state.progress.epochs_done = r.u32("epochs done");
  c.state.progress.batches_done = r.u64("batches done");
  c.state.progress.loss_sum = r.f64("loss sum");
  c.state.optimizer.t = r.u64("step");
  if (c.run.epochs == 0) r.fail("a run of 0 epochs");
  if (c.state.progress.epochs_done >= c.run.epochs)
    r.fail(std::to_string(c.state.progress.epochs_done) + " of " + std::to_string(c.run.epochs) +
           " epochs done: a finished run has no state to resume");
  if (c.state.optimizer.t > c.run.total_steps)
    r.fail("at step " + std::to_string(c.state.optimizer.t) + " of " + std::to_string(c.run.total_steps));
  const uint32_t n = r.u32("parameter count");
  // Each parameter takes at least a name length and three counts.
  r.need(n, 32, std::to_string(n) + " parameters");
  OptimizerState& o = c.state.optimizer;
  o.m.resize(n);
  o.v.resize(n);
  o.last.resize(n);
  c.parameters.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    c.parameters[i] = r.str("parameter name");
    const std::string what = "parameter '" + c.parameters[i] + "'";
    for (auto* moment : {&o.m[i], &o.v[i]}) {
      const uint64_t count = r.u64(what + " moment count");
      r.need(count, 4, what + ": " + std::to_string(count) + " moment values");
      moment->resize(count);
      r.f32s(moment->data(), count, what + " moments");
    }
    const uint64_t rows = r.u64(what + " row count");
    r.need(rows, 8, what + ": " + std::to_string(rows) + " row steps");
    o.last[i].resize(rows);
    for (uint64_t& a : o.last[i]) {
      a = r.u64("row step");
      if (a > o.t)
        r.fail(what + ": a row at step " + std::to_string(a) + ", after the state's step " +
               std::to_string(o.t));
    }
  }
  if (r.left() > 0) r.fail(std::to_string(r.left()) + " bytes left over after its fields");
  return c;
}

uint64_t training_data_digest(const Ratings& ratings) {
  // SplitMix64's mixer over each row's values in order: cheap (two mixes a rating) and sensitive
  // to any change of a value or of the order.
  const auto mix = mix64;
  uint64_t h = mix(ratings.size() + 0x9E3779B97F4A7C15ull);
  for (size_t k = 0; k < ratings.size(); ++k) {
    h = mix(h ^ (static_cast<uint64_t>(ratings.user[k]) | static_cast<uint64_t>(ratings.item[k]) << 32));
    h = mix(h ^ std::bit_cast<uint32_t>(ratings.rating[k]));
  }
  return h;
}

}  // namespace cofi
