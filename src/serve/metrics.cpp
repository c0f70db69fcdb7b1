#include "cofi/serve/metrics.h"

#include <algorithm>
#include <cmath>

#include "json_out.h"

namespace cofi::serve {

std::string_view endpoint_name(Endpoint e) {
  switch (e) {
    case Endpoint::recommend_user:
      return "recommend_user";
    case Endpoint::recommend_ratings:
      return "recommend_ratings";
    case Endpoint::similar:
      return "similar";
    case Endpoint::predict:
      return "predict";
    case Endpoint::item_search:
      return "item_search";
    case Endpoint::item:
      return "item";
    case Endpoint::explain:
      return "explain";
    case Endpoint::model:
      return "model";
    case Endpoint::healthz:
      return "healthz";
    case Endpoint::metrics:
      return "metrics";
    case Endpoint::reload:
      return "reload";
    case Endpoint::page:
      return "page";
    case Endpoint::other:
    case Endpoint::count_:
      break;
  }
  return "other";
}

size_t Metrics::status_index(int status) {
  auto it = std::find(kStatuses.begin(), kStatuses.end(), status);
  return static_cast<size_t>(it - kStatuses.begin());  // kStatuses.size() for "other"
}

void Metrics::record(Endpoint e, int status, double seconds) {
  const size_t ei = static_cast<size_t>(e);
  requests_[ei * kS + status_index(status)].fetch_add(1, std::memory_order_relaxed);
  const size_t b =
      static_cast<size_t>(std::lower_bound(kBuckets.begin(), kBuckets.end(), seconds) - kBuckets.begin());
  buckets_[ei * (kBuckets.size() + 1) + b].fetch_add(1, std::memory_order_relaxed);
  const double ns = std::max(0.0, seconds * 1e9);
  latency_ns_[ei].fetch_add(static_cast<uint64_t>(std::llround(ns)), std::memory_order_relaxed);
}

void Metrics::reload_done(bool ok) {
  (ok ? reloads_ok_ : reloads_failed_).fetch_add(1, std::memory_order_relaxed);
}

uint64_t Metrics::requests(Endpoint e, int status) const {
  return requests_[static_cast<size_t>(e) * kS + status_index(status)].load(std::memory_order_relaxed);
}

uint64_t Metrics::errors(Endpoint e) const {
  uint64_t n = 0;
  for (size_t s = 0; s < kS; ++s)
    if (s == kStatuses.size() || kStatuses[s] >= 400)
      n += requests_[static_cast<size_t>(e) * kS + s].load(std::memory_order_relaxed);
  return n;
}

uint64_t Metrics::total() const {
  uint64_t n = 0;
  for (const auto& c : requests_) n += c.load(std::memory_order_relaxed);
  return n;
}

std::string Metrics::render() const {
  std::string out;
  out.reserve(16384);
  auto label = [](Endpoint e) { return "endpoint=\"" + std::string(endpoint_name(e)) + "\""; };

  out += "# HELP cofi_http_requests_total Requests answered, by endpoint and status code.\n";
  out += "# TYPE cofi_http_requests_total counter\n";
  for (size_t e = 0; e < kE; ++e)
    for (size_t s = 0; s < kS; ++s) {
      uint64_t n = requests_[e * kS + s].load(std::memory_order_relaxed);
      if (n == 0) continue;  // series appear once used, as client libraries do for labelled counters
      out += "cofi_http_requests_total{" + label(static_cast<Endpoint>(e)) + ",code=\"" +
             (s < kStatuses.size() ? std::to_string(kStatuses[s]) : std::string("other")) + "\"} ";
      append_number(out, static_cast<unsigned long long>(n));
      out += '\n';
    }

  out += "# HELP cofi_http_errors_total Requests answered with a status of 400 or more, by endpoint.\n";
  out += "# TYPE cofi_http_errors_total counter\n";
  for (size_t e = 0; e < kE; ++e) {
    out += "cofi_http_errors_total{" + label(static_cast<Endpoint>(e)) + "} ";
    append_number(out, static_cast<unsigned long long>(errors(static_cast<Endpoint>(e))));
    out += '\n';
  }

  out += "# HELP cofi_http_request_duration_seconds Time from a parsed request to its response.\n";
  out += "# TYPE cofi_http_request_duration_seconds histogram\n";
  for (size_t e = 0; e < kE; ++e) {
    const std::string l = label(static_cast<Endpoint>(e));
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= kBuckets.size(); ++b) {
      cumulative += buckets_[e * (kBuckets.size() + 1) + b].load(std::memory_order_relaxed);
      out += "cofi_http_request_duration_seconds_bucket{" + l + ",le=\"";
      if (b < kBuckets.size())
        append_number(out, kBuckets[b]);
      else
        out += "+Inf";
      out += "\"} ";
      append_number(out, static_cast<unsigned long long>(cumulative));
      out += '\n';
    }
    out += "cofi_http_request_duration_seconds_sum{" + l + "} ";
    append_number(out, static_cast<double>(latency_ns_[e].load(std::memory_order_relaxed)) * 1e-9);
    out += "\ncofi_http_request_duration_seconds_count{" + l + "} ";
    append_number(out, static_cast<unsigned long long>(cumulative));
    out += '\n';
  }

  out += "# HELP cofi_http_requests_in_flight Requests being answered now.\n";
  out += "# TYPE cofi_http_requests_in_flight gauge\n";
  out += "cofi_http_requests_in_flight " + std::to_string(in_flight_.load(std::memory_order_relaxed)) + "\n";
  out += "# HELP cofi_model_reloads_total Model reloads (admin endpoint or SIGHUP), by result.\n";
  out += "# TYPE cofi_model_reloads_total counter\n";
  out += "cofi_model_reloads_total{result=\"ok\"} " + std::to_string(reloads_ok_.load()) + "\n";
  out += "cofi_model_reloads_total{result=\"failed\"} " + std::to_string(reloads_failed_.load()) + "\n";
  return out;
}

}  // namespace cofi::serve
