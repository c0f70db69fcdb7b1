// Top-k selection for recommendations: the k best-scoring items, exactly as a full sort would
// order them (score descending, ties broken by the smaller item index), without sorting all n.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cofi {

// A bounded selection of the k best (score, index) pairs seen so far. push() costs O(1) when the
// pair does not enter the top k and O(log k) when it does; take() returns the pairs best first.
class TopK {
 public:
  explicit TopK(size_t k) : k_(k) { heap_.reserve(k); }

  // NaN scores never enter: they have no place in an order.
  void push(float score, uint32_t index);
  // The kept indices, best first (score descending, then index ascending). Empties the selection.
  std::vector<uint32_t> take();
  // The kept (score, index) pairs, best first. Empties the selection.
  std::vector<std::pair<float, uint32_t>> take_scored();

  size_t size() const { return heap_.size(); }
  // False when push(score, i) would certainly keep nothing: the selection is full and `score` is
  // below its worst (or NaN). Inline, so that a ranking loop over thousands of items pays a
  // comparison, not a call, for each of the many that cannot enter.
  bool might_enter(float score) const {
    return heap_.size() < k_ || (k_ > 0 && score >= heap_.front().first);
  }

 private:
  size_t k_;
  // A min-heap under "better": heap_[0] is the worst kept pair, the first to go.
  std::vector<std::pair<float, uint32_t>> heap_;
};

// The k best of scores[0..n): indices with `excluded[i]` true (when `excluded` is given, size n)
// are skipped. Equal to sorting all eligible indices by (score desc, index asc) and keeping k.
std::vector<uint32_t> top_k(const float* scores, size_t n, size_t k,
                            const std::vector<bool>* excluded = nullptr);

}  // namespace cofi
