// libFuzzer target: cofi serve's request parsers (the target's path and query string, the
// fold-in JSON body) and the whole Service::handle on a small model. The input is a request in
// miniature: "METHOD TARGET" on the first line, the body after it.
//
// Beyond "no crash": the parsers throw nothing but HttpError, with a status they document; handle()
// never throws; every JSON answer parses, and every error answer carries {"error": ...}; a 500
// comes only from the admin reload (the fuzzed service has no model file to reload).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cofi/serve/request_parse.h"
#include "cofi/serve/service.h"
#include "serve/test_models.h"

namespace {

using namespace cofi::serve;

Service& service() {
  // Small enough that every endpoint answers in microseconds; every part a model can carry.
  static Service s({}, make_state(cofi::serve_test::test_model({}), "fuzz", 1));
  return s;
}

void require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t newline = in.find('\n');
  const std::string_view line = in.substr(0, newline);
  const std::string_view body =
      newline == std::string_view::npos ? std::string_view() : in.substr(newline + 1);
  const size_t space = line.find(' ');
  HttpRequest request;
  request.method = std::string(line.substr(0, space));
  request.target = space == std::string_view::npos ? std::string() : std::string(line.substr(space + 1));
  request.body = std::string(body);

  const RequestLimits limits;
  try {
    Target t = split_target(request.target, limits.max_target_bytes);
    QueryParams q = QueryParams::parse(t.query);
    for (const auto& [name, value] : q.all()) require(!name.empty());
  } catch (const HttpError& e) {
    require(e.status() == 400 || e.status() == 414);
  }
  try {
    FoldInRequest r = parse_fold_in_request(body, limits);
    require(r.ratings.size() <= limits.max_ratings && r.n >= 1 && r.n <= limits.max_n);
  } catch (const HttpError& e) {
    require(e.status() == 400 || e.status() == 413);
  }

  HttpResponse r = service().handle(request);
  if (r.content_type == "application/json") {
    nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
    require(!j.is_discarded() && j.is_object());
    if (r.status >= 400) require(j.contains("error") && j["error"].is_string() && j["status"] == r.status);
  }
  require(r.status == 200 || r.status == 400 || r.status == 401 || r.status == 403 || r.status == 404 ||
          r.status == 405 || r.status == 413 || r.status == 414 ||
          (r.status == 500 && r.body.find("reload failed") != std::string::npos));
  return 0;
}
