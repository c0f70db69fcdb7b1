// The request parsers: the target (path and query string) and the JSON body of a fold-in request.
// They see bytes straight from the network, so they are strict (a whole token or an error), bounded
// (every size checked against RequestLimits before work proportional to it), and never throw
// anything but HttpError (status 400 or 413). fuzz/fuzz_serve_request.cpp runs them on any bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cofi/serve/http.h"

namespace cofi::serve {

// Bounds on what one request may ask for, so that no request costs more than a few milliseconds
// and a body cannot grow memory without limit.
struct RequestLimits {
  size_t max_body_bytes = 64 * 1024;  // a larger body is refused with 413 (1,000 ratings take ~30 KiB)
  size_t max_target_bytes = 4096;     // path and query
  size_t max_n = 1000;                // results per list (n)
  size_t max_ratings = 1000;          // ratings in one fold-in request
  size_t max_search_bytes = 200;      // the search text
  size_t max_pca_items = 5000;        // items on the explorer's map
};

// The path (percent-decoded) and the raw query string (after '?', without any '#fragment').
// Throws HttpError 400 for a target that is not an absolute path, malformed percent-encoding, a
// decoded NUL byte, or a target longer than `max_bytes`.
struct Target {
  std::string path;
  std::string query;
};
Target split_target(std::string_view target, size_t max_bytes);

// Decodes %XX escapes (and '+' as a space when `plus_is_space`, as in query strings). Throws
// HttpError 400 for '%' not followed by two hex digits, naming `what`.
std::string percent_decode(std::string_view text, bool plus_is_space, std::string_view what);

// The parameters of a query string ("user=1&n=10"), decoded. A name may appear once; an empty
// query has no parameters; "a" alone is a with an empty value.
class QueryParams {
 public:
  // Throws HttpError 400 for malformed encoding, an empty name or a repeated name.
  static QueryParams parse(std::string_view query);

  std::optional<std::string_view> get(std::string_view name) const;
  // Throws HttpError 400 naming the first parameter not in `known` (and listing those).
  void allow_only(std::initializer_list<std::string_view> known) const;

  // Typed values; each throws HttpError 400 naming the parameter, what it expects and what it got.
  std::string_view required(std::string_view name) const;                            // present and non-empty
  size_t count(std::string_view name, size_t fallback, size_t lo, size_t hi) const;  // integer in [lo, hi]
  bool flag(std::string_view name, bool fallback) const;                             // true/false/1/0

  const std::vector<std::pair<std::string, std::string>>& all() const { return params_; }

 private:
  std::vector<std::pair<std::string, std::string>> params_;
};

// POST /v1/recommend's body:
//   {"ratings": [{"item": ID, "rating": R}, ...], "n": 10, "genre": "Comedy",
//    "exclude_rated": true, "item_bias": true, "attributes": ["gender=F", "age=25-34"]}
// Only "ratings" is required ("attributes": a hybrid model's user features, at most 100). An ID is a JSON integer or string (raw ids are text either way); a
// rating is a finite number.
struct FoldInRequest {
  std::vector<std::pair<std::string, float>> ratings;  // (raw item id, rating) in the order given
  size_t n = 10;
  std::optional<std::string> genre;
  bool exclude_rated = true;
  bool item_bias = true;
  std::vector<std::string> attributes;  // user feature names (hybrid), in the order given
};

// Throws HttpError 413 for a body over limits.max_body_bytes, 400 for anything else wrong (not
// JSON, unknown keys, wrong types, more than limits.max_ratings ratings, n outside 1..max_n),
// with a message that names the field ("ratings[3].rating: expected a number").
FoldInRequest parse_fold_in_request(std::string_view body, const RequestLimits& limits);

}  // namespace cofi::serve
