// The model file: a trained model with everything needed to use it on raw ids and to say how it
// was made. Specified byte by byte in docs/model-format.md; in short:
//
//   "COFIMODL"  u32 format version (1, or 2 for hybrid and content)  u32 byte-order mark
//   sections: u32 tag, u64 payload length, payload  (config, parameters, id maps, record,
//             the features of hybrid and content models, optionally user histories, item catalog
//             and optimizer state; unknown tags are skipped)
//   u32 CRC-32 of everything before it
//
// All values are little-endian. The reader checks every count and length against the bytes
// left and fails with a cofi::Error naming the file and what is wrong ("m.cofi: truncated:
// section 'parameters' needs 40000 bytes, 1200 left"); it never allocates more than the file can
// describe. A file is written at the lowest version that holds it (dot, dotbias and nn files stay
// version 1, byte for byte as before, so older builds read them). Every version stays loadable:
// tests/fixtures/model-v1-dotbias.cofi and model-v2-hybrid.cofi are files every later build must
// still read.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cofi/data/catalog.h"
#include "cofi/data/id_map.h"
#include "cofi/data/user_items.h"
#include "cofi/model/model.h"
#include "cofi/train/trainer.h"

namespace cofi {

// The newest format version this build writes and reads (it reads every version up to it).
inline constexpr uint32_t kModelFormatVersion = 2;

// What produced the model.
struct TrainingRecord {
  std::string settings;              // the training settings as JSON text (written by `cofi train`)
  std::vector<EpochResult> history;  // one entry per epoch run
  std::string data_source;           // where the training ratings came from (a path or data set name)
  uint64_t n_ratings = 0;            // training ratings
  double rating_mean = 0;            // mean of the training ratings: the prediction when both the
                                     // user and the item are unseen
  bool operator==(const TrainingRecord&) const;
};

struct SavedModel {
  // Config and parameters (BatchNorm buffers included); hybrid and content models carry their
  // users' and items' features (Model::features), saved with them so that cold users and items
  // are predicted from the model file alone.
  std::unique_ptr<Model> model;
  IdMap users, items;            // raw id <-> model row; sizes n_users and n_items
  TrainingRecord record;
  // The training ratings by user (empty when left out, `cofi train --no-history`): what
  // recommendations exclude, ranking evaluation's candidates, fold-in's calibration.
  UserItems history;
  // Titles, years, genres and training counts of the items (parts may be empty, see Catalog).
  Catalog catalog;
  std::vector<uint8_t> optimizer_state;  // opaque, for resuming training; may be empty
};

// Fills m.history (when `keep_history`) and m.catalog from the training ratings (in the index
// space of m.users and m.items, which must be set) and the items' side data (may be null): titles, years and genres looked up by raw
// id, and each item's training rating count. Returns how many model items `items` described.
size_t attach_training_data(SavedModel& m, const Ratings& train, const Items* items, bool keep_history = true);

// What the reader saw, for `cofi inspect`.
struct ModelFileSection {
  std::string name;     // "config", "parameters", ...; for an unknown tag, its four bytes quoted
  uint64_t offset = 0;  // of the section's tag, from the start of the file
  uint64_t bytes = 0;   // payload length
  bool known = true;    // false: skipped by this build
};
struct ModelFileInfo {
  uint32_t version = 0;                    // format version of the file
  uint64_t bytes = 0;                      // file size
  uint32_t checksum = 0;                   // the stored CRC-32
  std::vector<ModelFileSection> sections;  // in file order
};

// The file's bytes. Throws cofi::Error when the model is inconsistent (id maps whose sizes differ
// from the config, parameters whose sizes differ from their shapes).
std::string encode_model(const SavedModel& m);

// Decodes bytes read from `name` (used in messages). Parameters are restored by name and shape
// into Model::create(config, 0)'s; every parameter of the model must be in the file with the
// shape the config gives it. Throws cofi::Error on anything the file gets wrong.
SavedModel decode_model(std::string_view bytes, const std::string& name, ModelFileInfo* info = nullptr);

// Writes atomically: a temporary file in the same folder, fsync, rename over `path`. On failure
// nothing is left at `path` but what was there before. Throws cofi::Error.
void save_model(const std::string& path, const SavedModel& m);

// Reads and decodes `path`. Throws cofi::Error with the path and what is wrong (missing file, a
// folder, an empty file, not a model file, a newer format version, a truncated or corrupt file).
SavedModel load_model(const std::string& path, ModelFileInfo* info = nullptr);

}  // namespace cofi
