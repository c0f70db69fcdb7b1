#include "cofi/recommend/top_k.h"

#include <algorithm>
#include <cmath>

namespace cofi {

namespace {

// a ranks before b: higher score, or the same score and a smaller index.
inline bool better(const std::pair<float, uint32_t>& a, const std::pair<float, uint32_t>& b) {
  return a.first > b.first || (a.first == b.first && a.second < b.second);
}

}  // namespace

void TopK::push(float score, uint32_t index) {
  if (k_ == 0 || std::isnan(score)) return;
  const std::pair<float, uint32_t> p{score, index};
  if (heap_.size() < k_) {
    heap_.push_back(p);
    std::push_heap(heap_.begin(), heap_.end(), better);
    return;
  }
  // heap_.front() is the worst kept pair (the heap is ordered by `better`, so its top is the
  // element no other element is worse than).
  if (!better(p, heap_.front())) return;
  std::pop_heap(heap_.begin(), heap_.end(), better);
  heap_.back() = p;
  std::push_heap(heap_.begin(), heap_.end(), better);
}

std::vector<std::pair<float, uint32_t>> TopK::take_scored() {
  std::sort_heap(heap_.begin(), heap_.end(), better);  // ascending under `better`: best first
  std::vector<std::pair<float, uint32_t>> out;
  out.swap(heap_);
  return out;
}

std::vector<uint32_t> TopK::take() {
  auto scored = take_scored();
  std::vector<uint32_t> out(scored.size());
  for (size_t i = 0; i < scored.size(); ++i) out[i] = scored[i].second;
  return out;
}

std::vector<uint32_t> top_k(const float* scores, size_t n, size_t k, const std::vector<bool>* excluded) {
  TopK sel(std::min(k, n));
  for (size_t i = 0; i < n; ++i) {
    if (excluded && (*excluded)[i]) continue;
    sel.push(scores[i], static_cast<uint32_t>(i));
  }
  return sel.take();
}

}  // namespace cofi
