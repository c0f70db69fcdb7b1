#include "duplicates_impl.h"

#include <algorithm>
#include <unordered_map>

#include "cofi/error.h"

namespace cofi::detail {

namespace {

// Visits records user by user (in file order within a user) and calls on_repeat(first, repeat)
// for every record whose pair was seen before. `order` lists the record indices to visit; empty
// means the identity (records already grouped by user).
template <class OnRepeat>
void scan_pairs(const std::vector<uint32_t>& user, const std::vector<uint32_t>& item, size_t n_items,
                const std::vector<uint32_t>& order, OnRepeat&& on_repeat) {
  constexpr uint32_t kNone = UINT32_MAX;
  std::vector<uint32_t> run_of(n_items, kNone);  // run (group) in which the item was last seen
  std::vector<uint32_t> where(n_items, 0);       // record index of that first sighting
  const size_t n = user.size();
  uint32_t run = kNone;
  uint32_t run_user = kNone;
  for (size_t k = 0; k < n; ++k) {
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

bool grouped_by_user(const std::vector<uint32_t>& user, size_t n_users) {
  std::vector<uint8_t> seen(n_users, 0);
  for (size_t i = 0; i < user.size(); ++i) {
    if (i > 0 && user[i] == user[i - 1]) continue;
    if (seen[user[i]]) return false;
    seen[user[i]] = 1;
  }
  return true;
}

std::vector<uint32_t> order_by_user(const std::vector<uint32_t>& user, size_t n_users) {
  std::vector<uint32_t> start(n_users + 1, 0);
  for (uint32_t u : user) ++start[u + 1];
  for (size_t u = 0; u < n_users; ++u) start[u + 1] += start[u];
  std::vector<uint32_t> order(user.size());
  for (size_t i = 0; i < user.size(); ++i) order[start[user[i]]++] = static_cast<uint32_t>(i);
  return order;
}

}  // namespace

uint64_t resolve_duplicates(std::vector<uint32_t>& user, std::vector<uint32_t>& item,
                            std::vector<float>& rating, std::vector<int64_t>& timestamp,
                            const IdMap& users, const IdMap& items, DuplicatePolicy policy,
                            const std::string& file, const std::function<uint64_t(uint64_t)>& line_of) {
  std::vector<uint32_t> order;
  if (!grouped_by_user(user, users.size())) order = order_by_user(user, users.size());

  uint64_t repeats = 0;
  uint32_t first_a = 0, first_b = 0;
  bool have_first = false;
  // Repeats found in visiting order; the earliest repeat in file order is the smallest index.
  std::vector<std::pair<uint32_t, uint32_t>> pairs;  // (first record, repeat), only when merging
  scan_pairs(user, item, items.size(), order, [&](uint32_t first, uint32_t repeat) {
    ++repeats;
    if (!have_first || repeat < first_b) {
      first_a = first;
      first_b = repeat;
      have_first = true;
    }
    if (policy != DuplicatePolicy::error) pairs.emplace_back(first, repeat);
  });
  if (repeats == 0) return 0;

  if (policy == DuplicatePolicy::error) {
    throw Error(Location{file, line_of(first_b), {}},
                std::to_string(repeats) + " duplicate (user, item) pair" + (repeats == 1 ? "" : "s") +
                    "; the first: user " + users.raw(user[first_b]) + ", item " + items.raw(item[first_b]) +
                    " repeats line " + std::to_string(line_of(first_a)) +
                    " (choose a policy: --duplicates keep-last or --duplicates mean)");
  }

  // Merge every repeat into the pair's first record, in file order of the repeats.
  std::sort(pairs.begin(), pairs.end(), [](auto& a, auto& b) { return a.second < b.second; });
  std::vector<uint8_t> removed(user.size(), 0);
  std::unordered_map<uint32_t, std::pair<double, uint32_t>> sums;  // first record -> (sum, count)
  for (auto [first, repeat] : pairs) {
    removed[repeat] = 1;
    if (policy == DuplicatePolicy::keep_last) {
      rating[first] = rating[repeat];
      if (!timestamp.empty()) timestamp[first] = timestamp[repeat];
    } else {
      auto [it, inserted] = sums.try_emplace(first, rating[first], 1u);
      it->second.first += rating[repeat];
      it->second.second += 1;
      if (!timestamp.empty()) timestamp[first] = std::max(timestamp[first], timestamp[repeat]);
    }
  }
  for (auto& [first, acc] : sums) rating[first] = static_cast<float>(acc.first / acc.second);

  size_t w = 0;
  for (size_t r = 0; r < user.size(); ++r) {
    if (removed[r]) continue;
    user[w] = user[r];
    item[w] = item[r];
    rating[w] = rating[r];
    if (!timestamp.empty()) timestamp[w] = timestamp[r];
    ++w;
  }
  user.resize(w);
  item.resize(w);
  rating.resize(w);
  if (!timestamp.empty()) timestamp.resize(w);
  return repeats;
}

}  // namespace cofi::detail
