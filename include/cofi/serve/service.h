// The recommendation service without a transport: a parsed HTTP request in, a response out.
// Every endpoint of `cofi serve` (docs/serve.md) is answered here, so the API is tested and fuzzed
// without sockets; tools/cofi/cmd_serve.cpp only moves bytes between cpp-httplib and handle().
//
//   GET  /v1/recommend?user=ID&n=10[&genre=G][&exclude_rated=true][&item_bias=true]
//   POST /v1/recommend   {"ratings": [{"item": ID, "rating": R}, ...], "n": 10, ...}  (fold-in)
//   GET  /v1/similar?item=ID&n=10[&min_ratings=20][&genre=G]
//   GET  /v1/predict?user=ID&item=ID
//   GET  /v1/items/search?q=TEXT[&n=20]     GET /v1/items/ID
//   GET  /v1/explain[?n=10&min_ratings=50&pca_items=1000]     GET /v1/model
//   GET  /healthz     GET /metrics (Prometheus)     POST /v1/admin/reload
//   GET  /  and the page's assets (compiled in, web/)
//
// Errors are JSON, {"error": "...", "status": N}: 400 bad parameters or body, 401 a missing or
// wrong admin token, 403 a cross-site admin request, 404 unknown users, items or paths, 405 a
// method the path does not take (with Allow), 413 a body over the limit, 414 a target over the
// limit, 500 a failed reload (the old model keeps serving) or a bug. handle() never throws.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "cofi/serve/http.h"
#include "cofi/serve/metrics.h"
#include "cofi/serve/model_state.h"
#include "cofi/serve/request_parse.h"

namespace cofi::serve {

struct ServiceOptions {
  RequestLimits limits;
  // The file POST /v1/admin/reload (and SIGHUP) reads again; "" when the model did not come from
  // a file (reload then answers 500 and changes nothing). Requests never name files.
  std::string model_path;
  // When not empty, the admin endpoint needs "Authorization: Bearer <admin_token>". `cofi serve`
  // requires one whenever it listens beyond loopback.
  std::string admin_token;
};

struct ReloadOutcome {
  bool ok = false;
  std::string message;                        // what happened, for people ("m.cofi: truncated ...")
  std::shared_ptr<const ModelState> serving;  // the state serving after the attempt
};

class Service {
 public:
  Service(ServiceOptions options, std::shared_ptr<const ModelState> initial);

  // Answers one request. Safe to call from many threads at once, also while a reload runs: each
  // call uses the model that was current when it started, to the end.
  HttpResponse handle(const HttpRequest& request);

  // Loads options.model_path and swaps it in. A file that fails to load leaves the current model
  // serving and says why. Reloads run one at a time (a second waits for the first).
  ReloadOutcome reload();

  // A request the transport refused before it reached handle() (malformed HTTP, a body over its
  // limit): counted in the metrics under `other`, answered with the JSON error body.
  HttpResponse transport_error(int status, std::string_view message);

  std::shared_ptr<const ModelState> model() const { return holder_.get(); }
  const Metrics& metrics() const { return metrics_; }
  const ServiceOptions& options() const { return options_; }

 private:
  HttpResponse route(const HttpRequest& request, Endpoint& endpoint);
  HttpResponse admin_reload(const HttpRequest& request);

  ServiceOptions options_;
  ModelHolder holder_;
  Metrics metrics_;
  std::mutex reload_mutex_;
};

}  // namespace cofi::serve
