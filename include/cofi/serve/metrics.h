// Prometheus metrics of the service, kept in fixed arrays of atomic counters (no lock on the
// request path): requests by endpoint and status, errors by endpoint, a latency histogram per
// endpoint, requests in flight, and model reloads. Rendered in Prometheus' text format (0.0.4).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cofi::serve {

// What a request was for. Unknown paths share `other`, so that a scan of random paths cannot grow
// the number of time series.
enum class Endpoint : uint8_t {
  recommend_user,     // GET /v1/recommend
  recommend_ratings,  // POST /v1/recommend
  similar,
  predict,
  item_search,
  item,
  explain,
  model,
  healthz,
  metrics,
  reload,
  page,  // the web page and its assets
  other,
  count_,
};
std::string_view endpoint_name(Endpoint e);

class Metrics {
 public:
  // Upper bounds of the latency buckets, seconds (the last, +Inf, is implicit).
  static constexpr std::array<double, 14> kBuckets = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                      0.01,    0.025,  0.05,    0.1,    0.25,  0.5,    1.0};
  // The statuses counted separately; any other lands in "other".
  static constexpr std::array<int, 12> kStatuses = {200, 204, 400, 401, 403, 404,
                                                    405, 408, 413, 414, 500, 503};

  // One answered request: its endpoint, status and time from receipt to response, seconds.
  void record(Endpoint e, int status, double seconds);
  void reload_done(bool ok);
  void enter() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  void leave() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }

  uint64_t requests(Endpoint e, int status) const;  // for tests
  uint64_t errors(Endpoint e) const;
  uint64_t total() const;  // every request recorded

  // The text exposition, with the model's generation and load time appended by the caller.
  std::string render() const;

 private:
  static constexpr size_t kE = static_cast<size_t>(Endpoint::count_);
  static constexpr size_t kS = kStatuses.size() + 1;
  static size_t status_index(int status);

  std::array<std::atomic<uint64_t>, kE * kS> requests_{};
  std::array<std::atomic<uint64_t>, kE*(kBuckets.size() + 1)> buckets_{};  // non-cumulative
  std::array<std::atomic<uint64_t>, kE> latency_ns_{};                     // sum, nanoseconds
  std::atomic<int64_t> in_flight_{0};
  std::atomic<uint64_t> reloads_ok_{0}, reloads_failed_{0};
};

}  // namespace cofi::serve
