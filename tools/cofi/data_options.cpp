#include <charconv>
#include <sstream>

#include "commands_impl.h"
#include "cofi/error.h"

namespace cofi::cli {

namespace {

std::vector<int> parse_columns(const std::string& text) {
  std::vector<int> cols;
  std::istringstream in(text);
  for (std::string part; std::getline(in, part, ',');) {
    int v = -1;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || ec != std::errc() || ptr != part.data() + part.size() || v < 0)
      throw Error("option --columns: expected 0-based column numbers like 0,1,2,3, found " + quote_token(text));
    cols.push_back(v);
  }
  if (cols.size() < 3 || cols.size() > 4)
    throw Error("option --columns: expected user,item,rating[,timestamp] (3 or 4 numbers), found " + quote_token(text));
  return cols;
}

}  // namespace

LoadOptions load_options_from(const Args& args) {
  LoadOptions o;
  if (args.has("layout")) o.layout = parse_layout(args.str("layout"));
  RatingsFormat& f = o.delimited;
  f.name = "delimited ratings";
  f.delimiter = args.str("delimiter");
  if (f.delimiter == "\\t" || f.delimiter == "tab") f.delimiter = "\t";
  if (f.delimiter.empty()) throw Error("option --delimiter: must not be empty");
  auto cols = parse_columns(args.str("columns"));
  f.user_column = cols[0];
  f.item_column = cols[1];
  f.rating_column = cols[2];
  f.timestamp_column = cols.size() > 3 ? cols[3] : -1;
  f.header = args.flag("header");
  std::string ids = args.str("ids");
  if (ids == "auto") f.ids = IdKind::automatic;
  else if (ids == "int") f.ids = IdKind::integer;
  else if (ids == "string") f.ids = IdKind::string;
  else throw Error("option --ids: expected auto, int or string, found " + quote_token(ids));
  if (args.has("rating-range")) {
    std::string r = args.str("rating-range");
    size_t colon = r.find(':');
    float lo = 0, hi = 0;
    bool ok = colon != std::string::npos;
    if (ok) {
      auto a = std::from_chars(r.data(), r.data() + colon, lo);
      auto b = std::from_chars(r.data() + colon + 1, r.data() + r.size(), hi);
      ok = a.ec == std::errc() && a.ptr == r.data() + colon && b.ec == std::errc() &&
           b.ptr == r.data() + r.size() && lo <= hi;
    }
    if (!ok) throw Error("option --rating-range: expected LO:HI with LO <= HI, found " + quote_token(r));
    f.rating_min = lo;
    f.rating_max = hi;
  }
  o.read.duplicates = parse_duplicate_policy(args.str("duplicates"));
  o.read.skip_bad = args.flag("skip-bad");
  o.read.threads = static_cast<unsigned>(args.count("threads"));
  o.use_cache = !args.flag("no-cache");
  return o;
}

}  // namespace cofi::cli
