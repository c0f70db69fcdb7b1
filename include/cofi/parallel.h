// A minimal fork-join helper: run `task(i)` for i in [0, n) on up to `threads` threads, tasks
// taken in order from a shared counter. The first exception thrown by a task (the one with the
// lowest index among those that threw) is rethrown on the caller after all threads stop.
#pragma once

#include <cstddef>
#include <functional>

namespace cofi {

// The number of threads to use for `requested` (0 means all hardware threads), at least 1.
unsigned resolve_threads(unsigned requested);

void parallel_for(size_t n, unsigned threads, const std::function<void(size_t)>& task);

}  // namespace cofi
