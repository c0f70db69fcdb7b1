#include "duplicates_impl.h"

#include <algorithm>
#include <atomic>
#include <unordered_map>

#include "cofi/error.h"
#include "cofi/parallel.h"

namespace cofi::detail {

namespace {

// Visits records user by user (in file order within a user) and calls on_repeat(first, repeat)
// for every record whose pair was seen before. `order` lists the record indices to visit; empty
// means the identity (records already grouped by user).
template <class OnRepeat>
void scan_pairs(size_t begin, size_t end, const uint32_t* user, const uint32_t* item, size_t n_items,
                const std::vector<uint32_t>& order, OnRepeat&& on_repeat) {
  constexpr uint32_t kNone = UINT32_MAX;
  std::vector<uint32_t> run_of(n_items, kNone);  // run (group) in which the item was last seen
  std::vector<uint32_t> where(n_items, 0);       // record index of that first sighting
  uint32_t run = kNone;
  uint32_t run_user = kNone;
  for (size_t k = begin; k < end; ++k) {
    uint32_t r = order.empty() ? static_cast<uint32_t>(k) : order[k];
    if (user[r] != run_user || run == kNone) {
      run_user = user[r];
      run = static_cast<uint32_t>(k);
    }
    uint32_t it = item[r];
    if (run_of[it] == run) {
      on_repeat(where[it], r);
    } else {
      run_of[it] = run;
      where[it] = r;
    }
  }
}

std::vector<uint32_t> order_by_user(size_t n, const uint32_t* user, size_t n_users) {
  std::vector<uint32_t> start(n_users + 1, 0);
  for (size_t i = 0; i < n; ++i) ++start[user[i] + 1];
  for (size_t u = 0; u < n_users; ++u) start[u + 1] += start[u];
  std::vector<uint32_t> order(n);
  for (size_t i = 0; i < n; ++i) order[start[user[i]]++] = static_cast<uint32_t>(i);
  return order;
}

}  // namespace

uint64_t resolve_duplicates(uint64_t n, uint32_t* user, uint32_t* item, float* rating, int64_t* timestamp,
                            const IdMap& users, const IdMap& items, DuplicatePolicy policy,
                            const std::string& file, const std::function<uint64_t(uint64_t)>& line_of,
                            uint64_t* merged) {
  *merged = 0;
  // Fast path: ranges cut at user boundaries, scanned in parallel. Valid when each user's
  // records are contiguous (MovieLens files are sorted by user), which the same pass checks by
  // claiming each run's user; when a user turns up in two runs, fall back to ordering by user.
  const size_t ranges = n < (1u << 16) ? 1 : 4 * resolve_threads(0);
  std::vector<size_t> cut(ranges + 1, n);
  cut[0] = 0;
  for (size_t k = 1; k < ranges; ++k) {
    size_t c = std::max(cut[k - 1], n * k / ranges);
    while (c > 0 && c < n && user[c] == user[c - 1]) ++c;
    cut[k] = c;
  }
  struct Found {
    uint64_t repeats = 0;
    uint32_t first_a = 0, first_b = UINT32_MAX;
    std::vector<std::pair<uint32_t, uint32_t>> pairs;
  };
  std::vector<Found> found(ranges);
  std::vector<uint8_t> claimed(users.size(), 0);
  std::atomic<bool> grouped{true};
  auto on_repeat_into = [&](Found& f) {
    return [&f, policy](uint32_t first, uint32_t repeat) {
      ++f.repeats;
      if (repeat < f.first_b) {
        f.first_a = first;
        f.first_b = repeat;
      }
      if (policy != DuplicatePolicy::error) f.pairs.emplace_back(first, repeat);
    };
  };
  parallel_for(ranges, 0, [&](size_t k) {
    for (size_t i = cut[k]; i < cut[k + 1]; ++i)
      if ((i == cut[k] || user[i] != user[i - 1]) && std::atomic_ref<uint8_t>(claimed[user[i]]).exchange(1))
        grouped = false;
    if (!grouped) return;
    scan_pairs(cut[k], cut[k + 1], user, item, items.size(), {}, on_repeat_into(found[k]));
  });
  if (!grouped) {
    found.assign(1, Found{});
    scan_pairs(0, n, user, item, items.size(), order_by_user(n, user, users.size()), on_repeat_into(found[0]));
  }
  uint64_t repeats = 0;
  uint32_t first_a = 0, first_b = UINT32_MAX;
  std::vector<std::pair<uint32_t, uint32_t>> pairs;  // (first record, repeat), only when merging
  for (auto& f : found) {
    repeats += f.repeats;
    if (f.first_b < first_b) {
      first_a = f.first_a;
      first_b = f.first_b;
    }
    pairs.insert(pairs.end(), f.pairs.begin(), f.pairs.end());
  }
  if (repeats == 0) return n;

  if (policy == DuplicatePolicy::error) {
    throw Error(Location{file, line_of(first_b), {}},
                std::to_string(repeats) + " duplicate (user, item) pair" + (repeats == 1 ? "" : "s") +
                    "; the first: user " + users.raw(user[first_b]) + ", item " + items.raw(item[first_b]) +
                    " repeats line " + std::to_string(line_of(first_a)) +
                    " (choose a policy: --duplicates keep-last or --duplicates mean)");
  }

  // Merge every repeat into the pair's first record, in file order of the repeats.
  std::sort(pairs.begin(), pairs.end(), [](auto& a, auto& b) { return a.second < b.second; });
  std::vector<uint8_t> removed(n, 0);
  std::unordered_map<uint32_t, std::pair<double, uint32_t>> sums;  // first record -> (sum, count)
  for (auto [first, repeat] : pairs) {
    removed[repeat] = 1;
    if (policy == DuplicatePolicy::keep_last) {
      rating[first] = rating[repeat];
      if (timestamp) timestamp[first] = timestamp[repeat];
    } else {
      auto [it, inserted] = sums.try_emplace(first, rating[first], 1u);
      it->second.first += rating[repeat];
      it->second.second += 1;
      if (timestamp) timestamp[first] = std::max(timestamp[first], timestamp[repeat]);
    }
  }
  for (auto& [first, acc] : sums) rating[first] = static_cast<float>(acc.first / acc.second);

  size_t w = 0;
  for (size_t r = 0; r < n; ++r) {
    if (removed[r]) continue;
    user[w] = user[r];
    item[w] = item[r];
    rating[w] = rating[r];
    if (timestamp) timestamp[w] = timestamp[r];
    ++w;
  }
  *merged = repeats;
  return w;
}

}  // namespace cofi::detail
