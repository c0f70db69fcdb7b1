// libFuzzer target: the run checkpoint decoder (the model file's OPTM payload, read by
// `cofi train --resume` and `cofi inspect`). The model-file target rarely reaches it, since a
// random payload seldom passes the file's checksum. Any bytes must give a checkpoint or a
// cofi::Error, never a crash or an allocation the bytes cannot justify; a checkpoint that decodes
// keeps the decoder's promises and encodes back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "cofi/error.h"
#include "cofi/io/run_checkpoint.h"

#define CHECK(cond)                                              \
  do {                                                           \
    if (!(cond)) {                                               \
      std::fprintf(stderr, "fuzz: broken promise: %s\n", #cond); \
      std::abort();                                              \
    }                                                            \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  cofi::RunCheckpoint c;
  try {
    c = cofi::decode_run_checkpoint(bytes, "fuzz");
  } catch (const cofi::Error&) {
    return 0;  // malformed input: expected
  }
  const cofi::OptimizerState& o = c.state.optimizer;
  CHECK(c.run.epochs > 0 && c.state.progress.epochs_done < c.run.epochs);
  CHECK(o.t <= c.run.total_steps);
  CHECK(o.m.size() == c.parameters.size() && o.v.size() == c.parameters.size() &&
        o.last.size() == c.parameters.size());
  for (const auto& rows : o.last)
    for (uint64_t a : rows) CHECK(a <= o.t);
  // Round trip: the encoder writes exactly what was read (parameters are named, shapes free).
  std::vector<cofi::Parameter> params(c.parameters.size());
  for (size_t i = 0; i < params.size(); ++i) params[i].name = c.parameters[i];
  const std::vector<uint8_t> again = cofi::encode_run_checkpoint(c.run, c.state.progress, o, params);
  CHECK(std::string_view(reinterpret_cast<const char*>(again.data()), again.size()) == bytes);
  return 0;
}
