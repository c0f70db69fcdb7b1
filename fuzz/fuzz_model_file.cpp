// libFuzzer target: the model-file decoder. Any bytes must give a model or a cofi::Error, never a
// crash, an out-of-bounds read or an allocation the file's size cannot justify.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cofi/error.h"
#include "cofi/io/model_file.h"
#include "cofi/io/run_checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    cofi::SavedModel m =
        cofi::decode_model(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
    // A model that loads must predict: every parameter was restored with its config's shape.
    if (m.model && m.model->config().n_users > 0 && m.model->config().n_items > 0) {
      uint32_t u = 0, i = 0;
      float out = 0;
      m.model->predict(&u, &i, 1, &out);
    }
    // A run checkpoint in the file decodes or fails cleanly too (fuzz_run_checkpoint covers its
    // decoder directly; here it gets the payloads of well-formed files).
    if (!m.optimizer_state.empty())
      cofi::decode_run_checkpoint(
          std::string_view(reinterpret_cast<const char*>(m.optimizer_state.data()), m.optimizer_state.size()),
          "fuzz");
  } catch (const cofi::Error&) {
    // Malformed input: expected.
  }
  return 0;
}
