#include "cofi/parallel.h"

#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace cofi {

unsigned resolve_threads(unsigned requested) {
  if (requested > 0) return requested;
  unsigned hw = std::thread::hardware_concurrency();
  return hw > 0 ? hw : 1;
}

void parallel_for(size_t n, unsigned threads, const std::function<void(size_t)>& task) {
  threads = resolve_threads(threads);
  if (n == 0) return;
  if (threads == 1 || n == 1) {
    for (size_t i = 0; i < n; ++i) task(i);
    return;
  }
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::exception_ptr first_error;
  size_t first_index = n;
  auto worker = [&] {
    for (;;) {
      size_t i = next.fetch_add(1);
      if (i >= n || failed.load(std::memory_order_relaxed)) return;
      try {
        task(i);
      } catch (...) {
        std::lock_guard lock(mu);
        if (i < first_index) {
          first_index = i;
          first_error = std::current_exception();
        }
        failed = true;
      }
    }
  };
  size_t count = threads < n ? threads : n;
  std::vector<std::thread> pool;
  pool.reserve(count - 1);
  for (size_t t = 1; t < count; ++t) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace cofi
