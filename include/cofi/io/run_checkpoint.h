// What `cofi train` keeps in a model file's optimizer-state section (OPTM, docs/model-format.md)
// while a run is unfinished: with the file's parameters, everything needed to continue the run
// exactly as if it had never stopped. A finished run's file has no such section.
//
// The payload is versioned on its own (kRunCheckpointVersion) and little-endian like the rest of
// the file; the decoder checks every count against the bytes left, as the model-file reader does,
// and fails with a cofi::Error naming the file ("m.cofi: section 'optimizer state': ...").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cofi/data/ratings.h"
#include "cofi/model/parameters.h"
#include "cofi/train/trainer.h"

namespace cofi {

inline constexpr uint32_t kRunCheckpointVersion = 1;

// The run a checkpoint belongs to: what a resume checks before continuing it.
struct RunInfo {
  std::string options;          // the run's settings as `cofi train` wrote them (JSON text)
  uint32_t epochs = 0;          // epochs the run was planned for
  uint32_t history_before = 0;  // epochs of the model's history that earlier runs trained
  uint64_t n_ratings = 0;       // training ratings
  uint64_t data_digest = 0;     // training_data_digest of them, in the model's index space
  uint64_t total_steps = 0;     // optimizer steps of the whole run (the schedule's length)
  bool operator==(const RunInfo&) const = default;
};

struct RunCheckpoint {
  RunInfo run;
  TrainState state;
  // Per entry of the optimizer state, the name of the model parameter it belongs to (in the
  // model's order), so that a resume can say which parameter does not fit.
  std::vector<std::string> parameters;
};

// The OPTM payload of a checkpoint: `params` are the model's (their names label the state).
std::vector<uint8_t> encode_run_checkpoint(const RunInfo& run, const TrainProgress& progress,
                                           const OptimizerState& optimizer,
                                           const std::vector<Parameter>& params);

// Decodes an OPTM payload read from the model file `name` (used in messages). Throws cofi::Error
// on anything malformed; whether the state fits the model is checked when training resumes.
RunCheckpoint decode_run_checkpoint(std::string_view bytes, const std::string& name);

// A 64-bit digest of training ratings (users, items, ratings, row order included): a resume
// refuses data other than the run's, which could not continue it exactly.
uint64_t training_data_digest(const Ratings& ratings);

}  // namespace cofi
