// The model a server answers with, and the holder that swaps it atomically.
//
// A ModelState is immutable once built: the saved model, its Recommender, and what the endpoints
// would otherwise recompute on every request (each item's JSON fields, a filter per genre). A
// request takes a std::shared_ptr to the current state when it starts and uses only that, so a
// reload that swaps in a new state never changes the model under a request: the old state lives
// until its last request lets go of it.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cofi/io/model_file.h"
#include "cofi/recommend/recommender.h"
#include "cofi/recommend/similar.h"

namespace cofi::serve {

struct ModelState {
  SavedModel saved;
  std::unique_ptr<Recommender> recommender;  // refers to `saved`, hence a state never moves
  std::unique_ptr<SimilarityIndex> similar_items;  // the items' representations, for /v1/similar
  std::string source;                        // the file it was loaded from (or a name, for tests)
  uint64_t generation = 0;                   // 1 for the first model, one more for each reload
  int64_t loaded_unix_ms = 0;                // when it was built, milliseconds since 1970
  double load_seconds = 0;                   // reading, checking and preparing it

  // Per item row, the JSON fields that describe the item (no braces):
  //   "item":1,"title":"Toy Story (1995)","year":1995,"genres":["Adventure",...],"ratings":215
  // (title, year and ratings are null when the model does not know them).
  std::vector<std::string> item_fields;
  // Per genre of catalog.genre_names, per item row: 1 when the item has that genre.
  std::vector<std::vector<uint8_t>> genre_allowed;
  // Each item row's bias (dotbias's i_bias; hybrid's id bias plus its features' biases, as
  // explain shows them); empty for models without them (dot, nn, content).
  std::vector<float> item_bias;

  const Model& model() const { return *saved.model; }
  // A raw id as JSON: a number for integer ids, a string otherwise.
  std::string user_json(uint32_t row) const;
  std::string item_json(uint32_t row) const;
  // The /v1/model description: kind, sizes, what the file carries, genres, generation.
  std::string info_json() const;

  ModelState() = default;
  ModelState(const ModelState&) = delete;
  ModelState& operator=(const ModelState&) = delete;
};

// Prepares a loaded model for serving. Throws cofi::Error when the model cannot be served (no
// items). `source` names it in answers and messages.
std::shared_ptr<const ModelState> make_state(SavedModel model, std::string source, uint64_t generation);

// load_model(path) then make_state. Throws cofi::Error naming the file and what is wrong.
std::shared_ptr<const ModelState> load_state(const std::string& path, uint64_t generation);

// The current state, replaced atomically. get() and set() may be called from any thread at once.
// A mutex rather than std::atomic<std::shared_ptr>: ThreadSanitizer reports a race between
// libstdc++ 12's load and store of the latter (its lock bit in the control-block pointer), and a
// mutex is plain to check. The lock is held for a pointer copy, next to ~100 us a request.
class ModelHolder {
 public:
  explicit ModelHolder(std::shared_ptr<const ModelState> initial) : current_(std::move(initial)) {}
  std::shared_ptr<const ModelState> get() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return current_;
  }
  void set(std::shared_ptr<const ModelState> next) {
    std::lock_guard<std::mutex> lock(mutex_);
    current_.swap(next);
    // The old state (in next) is released after the lock, outside it: its last owner frees it.
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const ModelState> current_;
};

}  // namespace cofi::serve
