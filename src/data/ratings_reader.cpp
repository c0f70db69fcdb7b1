// The ratings reader. Two passes over the bytes, both parallel over newline-aligned chunks:
//   1. count the lines of each chunk, which bounds its records and gives its first line number;
//   2. parse each chunk straight into its slice of the final columns (no per-rating objects,
//      no second copy), then close the gaps left by blank or skipped lines.
// Raw ids are then mapped to dense indices (sorted raw order) and duplicates are resolved.
#include "cofi/data/ratings_reader.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <unordered_map>

#include "cofi/error.h"
#include "cofi/parallel.h"
#include "duplicates_impl.h"
#include "mapped_file_impl.h"
#include "text_scan_impl.h"

namespace cofi {

const char* to_string(DuplicatePolicy p) {
  switch (p) {
    case DuplicatePolicy::error: return "error";
    case DuplicatePolicy::keep_last: return "keep-last";
    case DuplicatePolicy::mean: return "mean";
  }
  return "?";
}

DuplicatePolicy parse_duplicate_policy(const std::string& text) {
  if (text == "error") return DuplicatePolicy::error;
  if (text == "keep-last" || text == "keep_last" || text == "last") return DuplicatePolicy::keep_last;
  if (text == "mean") return DuplicatePolicy::mean;
  throw Error("unknown duplicate policy '" + text + "': expected error, keep-last or mean");
}

namespace {

constexpr int kMaxStoredFields = 64;
constexpr size_t kMaxSkipMessages = 5;
constexpr size_t kFastWindow = 96;  // bytes that hold any line the fast path accepts
constexpr size_t kChunkBytes = size_t{8} << 20;  // small enough to balance, large enough to amortise

// Signals that an integer-id parse met a non-integer id: the whole read restarts with string ids.
struct NeedStringIds {};

struct Chunk {
  size_t begin = 0, end = 0;       // byte range, begins at a line start
  uint64_t first_line = 0;         // 1-based line number of its first line
  uint64_t lines = 0;              // lines in the range
  uint64_t offset = 0;             // first slot in the output columns
  uint64_t written = 0;            // records written
  uint64_t skipped = 0;
  bool crlf = false;
  std::vector<std::string> skip_messages;
  // (record index within the chunk, line) wherever a line produced no record, so that a record's
  // line can be found again for later messages (duplicates).
  std::vector<std::pair<uint64_t, uint64_t>> anchors;
  // String ids: chunk-local names; the columns hold local indices until the merge.
  std::unordered_map<std::string, uint32_t> user_index, item_index;
  std::vector<std::string> user_names, item_names;
};

struct Columns {
  uint32_t* user;
  uint32_t* item;
  float* rating;
  int64_t* timestamp;  // null when not kept
};

class Parser {
 public:
  Parser(std::string_view bytes, const std::string& name, const RatingsFormat& format,
         const ReadOptions& options, bool string_ids,
         const std::function<void(size_t, size_t)>& release)
      : bytes_(bytes), name_(name), format_(format), options_(options), string_ids_(string_ids),
        release_(release) {
    needed_ = std::max({format.user_column, format.item_column, format.rating_column,
                        format.timestamp_column}) + 1;
    if (format.fields > 0 && format.fields < needed_)
      throw Error(name_ + ": format '" + format.name + "' uses column " + std::to_string(needed_) +
                  " but declares " + std::to_string(format.fields) + " fields");
    if (needed_ > kMaxStoredFields)
      throw Error(name_ + ": columns beyond " + std::to_string(kMaxStoredFields) + " are not supported");
    field_names_ = format.field_names;
    const int n_fields = format.timestamp_column >= 0 ? 4 : 3;
    fast_ = !string_ids && format.delimiter.size() == 1 && format.user_column == 0 && format.item_column == 1 &&
            format.rating_column == 2 && (format.timestamp_column == 3 || format.timestamp_column < 0) &&
            (format.fields == n_fields || format.fields == 0) && format.delimiter[0] != '.' &&
            static_cast<unsigned>(format.delimiter[0] - '0') >= 10u &&
            (format.rating_step == 0 || format.rating_step == 0.5f || format.rating_step == 1.0f);
    half_stars_ = format.rating_step != 1.0f;
  }

  Ratings run(ReadReport* report);

 private:
  std::string field_name(int column) const {
    if (column < static_cast<int>(field_names_.size()) && !field_names_[column].empty())
      return field_names_[column];
    if (column == format_.user_column) return "user";
    if (column == format_.item_column) return "item";
    if (column == format_.rating_column) return "rating";
    if (column == format_.timestamp_column) return "timestamp";
    return "column " + std::to_string(column + 1);
  }
  std::string header_text() const {
    std::string out;
    for (size_t i = 0; i < format_.expected_header.size(); ++i) {
      if (i) out += format_.delimiter;
      out += format_.expected_header[i];
    }
    return out;
  }

  size_t read_header();
  void plan_chunks(size_t data_begin);
  void parse_chunk(Chunk& c, const Columns& cols);
  // Parses one line into slot `slot`. Returns an error message (empty when fine) and the field.
  bool parse_record(std::string_view line, Chunk& c, const Columns& cols, uint64_t slot,
                    std::string& message, std::string& field);
  template <bool kChecked>
  const char* parse_fast(const char* p, const char* e, const Columns& cols, uint64_t slot, bool& crlf) const;
  uint32_t intern(Chunk& c, bool user, std::string_view id, std::string& message);
  static bool check_id(std::string_view id, std::string& message);

  std::string_view bytes_;
  const std::string& name_;
  const RatingsFormat& format_;
  const ReadOptions& options_;
  bool string_ids_;
  const std::function<void(size_t, size_t)>& release_;
  int needed_ = 0;
  std::vector<std::string> field_names_;
  std::vector<Chunk> chunks_;
  bool had_bom_ = false;
  uint64_t header_lines_ = 0;
  bool keep_timestamps_ = false;
  bool fast_ = false;
  bool half_stars_ = true;  // the fast path may accept ".5"
};

size_t Parser::read_header() {
  size_t pos = 0;
  if (detail::starts_with_bom(bytes_)) {
    had_bom_ = true;
    pos = 3;
  }
  // A file with nothing but whitespace is as empty as one with no bytes.
  if (bytes_.find_first_not_of(" \t\r\n", pos) == std::string_view::npos)
    throw Error(Location{name_, 0, {}},
                "the file is empty: expected " +
                    (format_.header ? "a header line \"" + header_text() + "\" and " : std::string()) +
                    "ratings records (" + format_.name + ")");
  if (!format_.header) return pos;
  size_t nl = bytes_.find('\n', pos);
  std::string_view line = bytes_.substr(pos, nl == std::string_view::npos ? bytes_.size() - pos : nl - pos);
  detail::strip_cr(line);
  header_lines_ = 1;
  std::string_view fields[kMaxStoredFields];
  int n = detail::split_fields(line, format_.delimiter, fields, kMaxStoredFields);
  if (!format_.expected_header.empty()) {
    bool same = n == static_cast<int>(format_.expected_header.size());
    for (int i = 0; same && i < n; ++i) same = fields[i] == format_.expected_header[i];
    if (!same)
      throw Error(Location{name_, 1, {}}, "wrong header: expected \"" + header_text() + "\", found " +
                                               quote_token(line));
  }
  if (field_names_.empty())
    for (int i = 0; i < std::min(n, kMaxStoredFields); ++i) field_names_.emplace_back(fields[i]);
  if (nl == std::string_view::npos || bytes_.find_first_not_of(" \t\r\n", nl + 1) == std::string_view::npos)
    throw Error(Location{name_, 1, {}}, "the file has a header but no ratings records");
  return nl + 1;
}

void Parser::plan_chunks(size_t data_begin) {
  size_t size = bytes_.size();
  size_t begin = data_begin;
  while (begin < size) {
    size_t end = std::min(size, begin + kChunkBytes);
    if (end < size) {
      size_t nl = bytes_.find('\n', end - 1);
      end = nl == std::string_view::npos ? size : nl + 1;
    }
    Chunk c;
    c.begin = begin;
    c.end = end;
    chunks_.push_back(std::move(c));
    begin = end;
  }
  // Pass 1: lines per chunk (the last line may lack its '\n').
  parallel_for(chunks_.size(), options_.threads, [&](size_t i) {
    Chunk& c = chunks_[i];
    const char* p = bytes_.data() + c.begin;
    const char* e = bytes_.data() + c.end;
    uint64_t lines = detail::count_byte(p, static_cast<size_t>(e - p), '\n');
    if (e > p && e[-1] != '\n') ++lines;  // an unterminated last line
    c.lines = lines;
    if (release_) release_(c.begin, c.end);
  });
  uint64_t line = header_lines_ + 1, offset = 0;
  for (auto& c : chunks_) {
    c.first_line = line;
    c.offset = offset;
    line += c.lines;
    offset += c.lines;
  }
}

bool Parser::check_id(std::string_view id, std::string& message) {
  if (id.empty()) {
    message = "missing value: expected an id";
    return false;
  }
  if (!detail::valid_utf8(id)) {
    message = "invalid UTF-8 in id " + quote_token(id);
    return false;
  }
  return true;
}

uint32_t Parser::intern(Chunk& c, bool user, std::string_view id, std::string& message) {
  if (!check_id(id, message)) return 0;
  auto& index = user ? c.user_index : c.item_index;
  auto& names = user ? c.user_names : c.item_names;
  auto [it, inserted] = index.try_emplace(std::string(id), static_cast<uint32_t>(names.size()));
  if (inserted) names.emplace_back(id);
  return it->second;
}

namespace {
const char* number_problem(detail::NumError e) {
  switch (e) {
    case detail::NumError::empty: return "missing value";
    case detail::NumError::negative: return "expected a non-negative integer id";
    case detail::NumError::too_large: return "does not fit in 32 bits (ids must be at most 4294967295)";
    case detail::NumError::not_finite: return "the rating is not a finite number";
    default: return nullptr;
  }
}
}  // namespace

// The fast path for the common shape, integer ids and a one-byte delimiter with the fields in
// order (user, item, rating[, timestamp]): one left-to-right scan from the line start to its
// '\n', no line search, no field views, no messages. It accepts only what the strict path
// accepts with the same value (ratings with at most one decimal that is 0 or 5, exact in
// binary) and returns the start of the next line; anything else returns null and the line goes
// to parse_record, which parses the unusual forms or reports the error.
namespace {

// Scans at most `cap` digits from `p` (not past `e` when kChecked); returns the end of the run.
// A local pointer keeps the scan in registers (a char read may alias any pointer in memory).
template <bool kChecked>
inline const char* scan_digits(const char* p, const char* e, int cap, uint64_t& value) {
  uint64_t v = 0;
  const char* q = p;
  const char* stop = p + cap;
  if (kChecked && stop > e) stop = e;
  while (q < stop) {
    unsigned digit = static_cast<unsigned>(*q) - '0';
    if (digit >= 10u) break;
    v = v * 10 + digit;
    ++q;
  }
  value = v;
  return q;
}

}  // namespace

template <bool kChecked>
const char* Parser::parse_fast(const char* p, const char* e, const Columns& cols, uint64_t slot,
                               bool& crlf) const {
  // Unchecked scans (kChecked false) run only when at least kFastWindow bytes remain: every digit
  // run is capped (11 + 11 + 5 + 2 + 19 bytes plus delimiters and line end stay below it), so no
  // read passes `e`.
  const char d = format_.delimiter[0];
  uint64_t v = 0;
  const char* q = scan_digits<kChecked>(p, e, 11, v);
  if (q == p || q - p > 10 || v > UINT32_MAX || (kChecked && q == e) || *q != d) return nullptr;
  cols.user[slot] = static_cast<uint32_t>(v);
  p = q + 1;
  q = scan_digits<kChecked>(p, e, 11, v);
  if (q == p || q - p > 10 || v > UINT32_MAX || (kChecked && q == e) || *q != d) return nullptr;
  cols.item[slot] = static_cast<uint32_t>(v);
  p = q + 1;
  // Rating: digits, optionally '.' and one digit 0 or 5.
  q = scan_digits<kChecked>(p, e, 5, v);
  if (q == p || q - p > 4) return nullptr;
  float r = static_cast<float>(v);
  if ((!kChecked || q < e) && *q == '.') {
    if ((kChecked && e - q < 2) || (q[1] != '0' && q[1] != '5')) return nullptr;
    if (q[1] == '5') {
      if (!half_stars_) return nullptr;  // the strict path reports half a star on a whole-star scale
      r += 0.5f;
    }
    q += 2;
  }
  if (r < format_.rating_min || r > format_.rating_max) return nullptr;
  cols.rating[slot] = r;
  if (format_.timestamp_column >= 0) {
    if ((kChecked && q == e) || *q != d) return nullptr;
    p = q + 1;
    uint64_t t = 0;
    size_t head = 0;
    if (!kChecked) {
      // Unix times have 9 or 10 digits: take the first 8 at once when they are all digits.
      uint64_t eight;
      std::memcpy(&eight, p, 8);
      if (detail::eight_digits(eight)) {
        t = detail::parse_eight_digits(eight);
        head = 8;
      }
    }
    uint64_t tail = 0;
    q = scan_digits<kChecked>(p + head, e, 19 - static_cast<int>(head), tail);
    size_t digits = static_cast<size_t>(q - p);
    if (digits == 0 || digits > 18) return nullptr;
    for (const char* k = p + head; k < q; ++k) t *= 10;
    t += tail;
    if (cols.timestamp) cols.timestamp[slot] = static_cast<int64_t>(t);
  }
  if ((!kChecked || q < e) && *q == '\n') return q + 1;
  if ((!kChecked || e - q >= 2) && q[0] == '\r' && q[1] == '\n') {
    crlf = true;
    return q + 2;
  }
  return nullptr;
}

bool Parser::parse_record(std::string_view line, Chunk& c, const Columns& cols, uint64_t slot,
                          std::string& message, std::string& field) {
  std::string_view f[kMaxStoredFields];
  int n = detail::split_fields(line, format_.delimiter, f, kMaxStoredFields);
  if (n < needed_ || (format_.fields > 0 && n != format_.fields)) {
    int expected = format_.fields > 0 ? format_.fields : needed_;
    message = "expected " + std::string(format_.fields > 0 ? "" : "at least ") + std::to_string(expected) +
              " fields separated by " + quote_token(format_.delimiter) + ", found " + std::to_string(n);
    if (n < needed_) field = field_name(n);
    return false;
  }
  // Ids.
  for (int which = 0; which < 2; ++which) {
    int col = which == 0 ? format_.user_column : format_.item_column;
    uint32_t* out = which == 0 ? cols.user : cols.item;
    std::string_view tok = f[col];
    if (string_ids_) {
      if (!check_id(tok, message)) {
        field = field_name(col);
        return false;
      }
    } else {
      auto e = detail::parse_u32(tok, out[slot]);
      if (e != detail::NumError::none) {
        if (e == detail::NumError::invalid && format_.ids == IdKind::automatic) throw NeedStringIds{};
        field = field_name(col);
        const char* why = number_problem(e);
        message = why ? std::string(why) + (tok.empty() ? "" : ", found " + quote_token(tok))
                      : "expected an integer id, found " + quote_token(tok);
        return false;
      }
    }
  }
  // Rating.
  {
    std::string_view tok = f[format_.rating_column];
    float r = 0;
    auto e = detail::parse_float(tok, r);
    if (e != detail::NumError::none) {
      field = field_name(format_.rating_column);
      message = e == detail::NumError::empty       ? "missing value: expected a rating"
                : e == detail::NumError::not_finite ? "the rating is not a finite number: " + quote_token(tok)
                                                    : "expected a number, found " + quote_token(tok);
      return false;
    }
    if (r < format_.rating_min || r > format_.rating_max) {
      field = field_name(format_.rating_column);
      char buf[96];
      std::snprintf(buf, sizeof buf, "rating %g is out of range: expected %g to %g", static_cast<double>(r),
                    static_cast<double>(format_.rating_min), static_cast<double>(format_.rating_max));
      message = buf;
      return false;
    }
    if (format_.rating_step > 0 && std::fmod(r, format_.rating_step) != 0.0f) {
      field = field_name(format_.rating_column);
      char buf[96];
      std::snprintf(buf, sizeof buf, "rating %g is not a multiple of %g (this scale has %s)", static_cast<double>(r),
                    static_cast<double>(format_.rating_step), format_.rating_step == 1.0f ? "whole stars" : "steps of that size");
      message = buf;
      return false;
    }
    cols.rating[slot] = r;
  }
  if (format_.timestamp_column >= 0) {
    std::string_view tok = f[format_.timestamp_column];
    int64_t t = 0;
    auto e = detail::parse_i64(tok, t);
    if (e != detail::NumError::none) {
      field = field_name(format_.timestamp_column);
      message = e == detail::NumError::empty       ? "missing value: expected a timestamp"
                : e == detail::NumError::too_large ? "the timestamp does not fit in 64 bits: " + quote_token(tok)
                                                   : "expected an integer timestamp, found " + quote_token(tok);
      return false;
    }
    if (cols.timestamp) cols.timestamp[slot] = t;
  }
  // String ids are interned only once the whole record is good, so that a skipped record leaves
  // no id in the maps (as with integer ids, whose maps are built from the records kept).
  if (string_ids_) {
    cols.user[slot] = intern(c, true, f[format_.user_column], message);
    cols.item[slot] = intern(c, false, f[format_.item_column], message);
  }
  return true;
}

void Parser::parse_chunk(Chunk& c, const Columns& cols) {
  const char* base = bytes_.data();
  size_t pos = c.begin;
  uint64_t line_no = c.first_line;
  uint64_t slot = c.offset;
  c.anchors.emplace_back(0, line_no);
  std::string message, field;
  const char* chunk_end = base + c.end;
  while (pos < c.end) {
    if (fast_) {
      const char* next = c.end - pos >= kFastWindow ? parse_fast<false>(base + pos, chunk_end, cols, slot, c.crlf)
                                                    : parse_fast<true>(base + pos, chunk_end, cols, slot, c.crlf);
      if (next) {
        pos = static_cast<size_t>(next - base);
        ++slot;
        ++line_no;
        continue;
      }
    }
    const void* hit = std::memchr(base + pos, '\n', c.end - pos);
    size_t line_end = hit ? static_cast<size_t>(static_cast<const char*>(hit) - base) : c.end;
    bool terminated = hit != nullptr;
    std::string_view line(base + pos, line_end - pos);
    if (detail::strip_cr(line)) c.crlf = true;
    pos = line_end + 1;
    if (line.empty()) {
      ++line_no;
      c.anchors.emplace_back(slot - c.offset, line_no);
      continue;
    }
    message.clear();
    field.clear();
    if (parse_record(line, c, cols, slot, message, field)) {
      ++slot;
      ++line_no;
      continue;
    }
    if (!terminated && c.end == bytes_.size())
      message += " (the last line has no line end: the file may be truncated)";
    Location where{name_, line_no, field};
    if (!options_.skip_bad) throw Error(where, message);
    ++c.skipped;
    if (c.skip_messages.size() < kMaxSkipMessages) c.skip_messages.push_back(Error::format(where, message));
    ++line_no;
    c.anchors.emplace_back(slot - c.offset, line_no);
  }
  c.written = slot - c.offset;
  if (release_) release_(c.begin, c.end);
}

// Maps raw integer ids in `col` to dense indices in sorted raw order; returns the map.
IdMap densify_ints(uint32_t* col, size_t n, unsigned threads) {
  constexpr size_t kBlock = size_t{1} << 20;
  const size_t blocks = (n + kBlock - 1) / kBlock;
  auto for_blocks = [&](auto&& body) {
    parallel_for(blocks, threads, [&](size_t b) { body(b * kBlock, std::min(n, (b + 1) * kBlock)); });
  };
  std::vector<uint32_t> block_max(blocks, 0);
  for_blocks([&](size_t lo, size_t hi) {
    uint32_t m = 0;
    for (size_t i = lo; i < hi; ++i) m = std::max(m, col[i]);
    block_max[lo / kBlock] = m;
  });
  uint32_t max_id = blocks ? *std::max_element(block_max.begin(), block_max.end()) : 0;
  // A direct table when ids are compact (MovieLens: up to ~300k); sort + search otherwise.
  // The table costs 4 bytes per possible id: worth it only while that stays within a few bytes a
  // record (a one-line file with id 16000000 must not allocate 64 MB).
  if (static_cast<uint64_t>(max_id) <= 4 * static_cast<uint64_t>(n) + (uint64_t{1} << 16)) {
    std::vector<uint32_t> table(static_cast<size_t>(max_id) + 1, 0);
    // Threads may mark the same id at once; they all store the same 1, through atomic_ref so that
    // this is no data race.
    for_blocks([&](size_t lo, size_t hi) {
      for (size_t i = lo; i < hi; ++i) {
        // Load before storing: most ids are marked already, and a store to a line the other
        // thread also writes makes the two fight over it.
        std::atomic_ref<uint32_t> mark(table[col[i]]);
        if (!mark.load(std::memory_order_relaxed)) mark.store(1, std::memory_order_relaxed);
      }
    });
    std::vector<uint32_t> ids;
    uint32_t next = 0;
    for (size_t raw = 0; raw < table.size(); ++raw) {
      if (table[raw]) {
        table[raw] = next++;
        ids.push_back(static_cast<uint32_t>(raw));
      }
    }
    for_blocks([&](size_t lo, size_t hi) {
      for (size_t i = lo; i < hi; ++i) col[i] = table[col[i]];
    });
    return IdMap::from_sorted_ints(std::move(ids));
  }
  std::vector<uint32_t> ids(col, col + n);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for_blocks([&](size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; ++i)
      col[i] = static_cast<uint32_t>(std::lower_bound(ids.begin(), ids.end(), col[i]) - ids.begin());
  });
  return IdMap::from_sorted_ints(std::move(ids));
}

// Merges the chunks' local string ids into one sorted map and rewrites each chunk's slice.
IdMap densify_strings(std::vector<Chunk>& chunks, bool user, uint32_t* col, unsigned threads) {
  std::vector<std::string> all;
  for (auto& c : chunks) {
    auto& names = user ? c.user_names : c.item_names;
    all.insert(all.end(), names.begin(), names.end());
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  parallel_for(chunks.size(), threads, [&](size_t i) {
    Chunk& c = chunks[i];
    auto& names = user ? c.user_names : c.item_names;
    std::vector<uint32_t> global(names.size());
    for (size_t k = 0; k < names.size(); ++k)
      global[k] = static_cast<uint32_t>(std::lower_bound(all.begin(), all.end(), names[k]) - all.begin());
    for (uint64_t s = c.offset; s < c.offset + c.written; ++s) col[s] = global[col[s]];
  });
  return IdMap::from_sorted_strings(std::move(all));
}

Ratings Parser::run(ReadReport* report) {
  size_t data_begin = read_header();
  plan_chunks(data_begin);
  uint64_t capacity = 0;
  for (auto& c : chunks_) capacity += c.lines;
  keep_timestamps_ = options_.timestamps && format_.timestamp_column >= 0;

  // Not zeroed: every slot up to the final count is written by the parse, and the pages are first
  // touched by the parsing threads rather than by one thread clearing 20 bytes a line.
  auto user = std::make_unique_for_overwrite<uint32_t[]>(capacity);
  auto item = std::make_unique_for_overwrite<uint32_t[]>(capacity);
  auto rating = std::make_unique_for_overwrite<float[]>(capacity);
  std::unique_ptr<int64_t[]> timestamp;
  if (keep_timestamps_) timestamp = std::make_unique_for_overwrite<int64_t[]>(capacity);
  Columns cols{user.get(), item.get(), rating.get(), timestamp.get()};

  parallel_for(chunks_.size(), options_.threads, [&](size_t i) { parse_chunk(chunks_[i], cols); });

  Ratings out;
  if (string_ids_) {
    out.users = densify_strings(chunks_, true, cols.user, options_.threads);
    out.items = densify_strings(chunks_, false, cols.item, options_.threads);
  }
  // Close the gaps left by blank and skipped lines; remember where each chunk's records went.
  std::vector<std::pair<uint64_t, uint64_t>> anchors;  // (global record index, line)
  uint64_t n = 0;
  uint64_t skipped = 0;
  std::vector<std::string> skip_messages;
  bool crlf = false;
  for (auto& c : chunks_) {
    if (c.offset != n && c.written > 0) {
      std::memmove(cols.user + n, cols.user + c.offset, c.written * sizeof(uint32_t));
      std::memmove(cols.item + n, cols.item + c.offset, c.written * sizeof(uint32_t));
      std::memmove(cols.rating + n, cols.rating + c.offset, c.written * sizeof(float));
      if (cols.timestamp) std::memmove(cols.timestamp + n, cols.timestamp + c.offset, c.written * sizeof(int64_t));
    }
    for (auto [rec, line] : c.anchors) anchors.emplace_back(n + rec, line);
    n += c.written;
    skipped += c.skipped;
    crlf = crlf || c.crlf;
    for (auto& m : c.skip_messages)
      if (skip_messages.size() < kMaxSkipMessages) skip_messages.push_back(m);
  }
  if (n == 0) {
    if (skipped > 0)
      throw Error(Location{name_, 0, {}}, "every record is malformed (" + std::to_string(skipped) +
                                              " skipped); the first: " + skip_messages.front());
    throw Error(Location{name_, 0, {}}, "the file has no ratings records");
  }
  if (!string_ids_) {
    out.users = densify_ints(cols.user, n, options_.threads);
    out.items = densify_ints(cols.item, n, options_.threads);
  }

  auto line_of = [&](uint64_t record) {
    auto it = std::upper_bound(anchors.begin(), anchors.end(), record,
                               [](uint64_t r, const std::pair<uint64_t, uint64_t>& a) { return r < a.first; });
    COFI_ASSERT(it != anchors.begin());
    --it;
    return it->second + (record - it->first);
  };

  uint64_t duplicates = 0;
  n = detail::resolve_duplicates(n, cols.user, cols.item, cols.rating, cols.timestamp, out.users, out.items,
                                 options_.duplicates, name_, line_of, &duplicates);

  // The arrays keep their capacity (the lines counted in pass 1); the gap is only blank or
  // skipped lines, so a copy to trim it would cost more than it saves.
  out.user = Column<uint32_t>::adopt(std::move(user), n);
  out.item = Column<uint32_t>::adopt(std::move(item), n);
  out.rating = Column<float>::adopt(std::move(rating), n);
  if (keep_timestamps_) out.timestamp = Column<int64_t>::adopt(std::move(timestamp), n);

  if (report) {
    report->lines = header_lines_;
    for (auto& c : chunks_) report->lines += c.lines;
    report->records = out.size();
    report->skipped = skipped;
    report->first_skipped = std::move(skip_messages);
    report->duplicates = duplicates;
    report->had_bom = had_bom_;
    report->had_crlf = crlf;
  }
  return out;
}

Ratings parse_ratings_with_release(std::string_view bytes, const std::string& name,
                                   const RatingsFormat& format, const ReadOptions& options,
                                   ReadReport* report, const std::function<void(size_t, size_t)>& release) {
  bool string_ids = format.ids == IdKind::string;
  try {
    Parser parser(bytes, name, format, options, string_ids, release);
    return parser.run(report);
  } catch (const NeedStringIds&) {
    Parser parser(bytes, name, format, options, true, release);
    return parser.run(report);
  }
}

}  // namespace

Ratings parse_ratings(std::string_view bytes, const std::string& name, const RatingsFormat& format,
                      const ReadOptions& options, ReadReport* report) {
  return parse_ratings_with_release(bytes, name, format, options, report, {});
}

Ratings read_ratings(const std::string& path, const RatingsFormat& format, const ReadOptions& options,
                     ReadReport* report) {
  detail::MappedFile file(path);
  // Drop the pages of each parsed chunk so that a large file does not sit in our resident memory
  // (they stay in the page cache: a second pass faults them back in cheaply).
  auto release = [&](size_t begin, size_t end) { file.release(begin, end); };
  return parse_ratings_with_release(file.bytes(), path, format, options, report, release);
}

}  // namespace cofi
