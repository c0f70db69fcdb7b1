// The model file (docs/model-format.md). Encoding builds the whole file in memory and writes it
// once; decoding reads the whole file, checks the header, the section framing and the checksum,
// then decodes each section with a reader bounded by that section's length.
#include "cofi/io/model_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "cofi/atomic_file.h"
#include "cofi/error.h"
#include "model_file_impl.h"

namespace cofi {

bool TrainingRecord::operator==(const TrainingRecord& o) const {
  if (settings != o.settings || data_source != o.data_source || n_ratings != o.n_ratings ||
      rating_mean != o.rating_mean || history.size() != o.history.size())
    return false;
  for (size_t i = 0; i < history.size(); ++i) {
    const EpochResult &a = history[i], &b = o.history[i];
    if (a.epoch != b.epoch || a.train_loss != b.train_loss || a.has_valid != b.has_valid ||
        a.valid_mse != b.valid_mse || a.valid_rmse != b.valid_rmse || a.seconds != b.seconds ||
        a.train_seconds != b.train_seconds || a.interrupted != b.interrupted)
      return false;
  }
  return true;
}

namespace detail {

std::string section_name(uint32_t tag) {
  switch (tag) {
    case kTagConfig:
      return "config";
    case kTagParameters:
      return "parameters";
    case kTagIds:
      return "id maps";
    case kTagRecord:
      return "record";
    case kTagOptimizer:
      return "optimizer state";
    case kTagHistory:
      return "history";
    case kTagCatalog:
      return "catalog";
    case kTagFeatures:
      return "features";
    default:
      break;
  }
  char t[4];
  for (int i = 0; i < 4; ++i) t[i] = static_cast<char>((tag >> (8 * i)) & 0xff);
  return quote_token(std::string_view(t, 4));
}

uint32_t model_checksum(std::string_view bytes) {
  uLong crc = crc32_z(0L, nullptr, 0);
  crc = crc32_z(crc, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size());
  return static_cast<uint32_t>(crc);
}

namespace {

void begin_file(ByteWriter& w, uint32_t version) {
  w.bytes(std::string_view(kModelMagic, sizeof kModelMagic));
  w.u32(version);
  w.u32(kModelByteOrderMark);
}

void end_file(ByteWriter& w) { w.u32(model_checksum(w.buffer())); }

// A section whose payload the caller writes between begin and end.
size_t begin_section(ByteWriter& w, uint32_t tag) {
  w.u32(tag);
  size_t at = w.size();
  w.u64(0);  // the length, patched by end_section
  return at;
}

void end_section(ByteWriter& w, size_t length_at) { w.patch_u64(length_at, w.size() - length_at - 8); }

}  // namespace

std::string assemble_model_file(const std::vector<RawSection>& sections, uint32_t version) {
  ByteWriter w;
  begin_file(w, version);
  for (const auto& s : sections) {
    w.u32(s.tag);
    w.u64(s.payload.size());
    w.bytes(s.payload);
  }
  end_file(w);
  return w.take();
}

uint32_t format_version_for(ModelKind kind) { return uses_features(kind) ? 2 : 1; }

void write_config(ByteWriter& w, const ModelConfig& c, uint32_t version) {
  w.str(to_string(c.kind));
  w.u32(c.n_users);
  w.u32(c.n_items);
  w.u32(c.user_factors);
  w.u32(c.item_factors);
  w.u8(c.y_range ? 1 : 0);
  w.f32(c.y_min);
  w.f32(c.y_max);
  w.u32(static_cast<uint32_t>(c.hidden.size()));
  for (uint32_t h : c.hidden) w.u32(h);
  w.u32(static_cast<uint32_t>(c.dropout.size()));
  for (float p : c.dropout) w.f32(p);
  w.f32(c.embed_dropout);
  w.u8(c.batch_norm ? 1 : 0);
  if (version >= 2) {
    w.u32(c.user_features);
    w.u32(c.item_features);
    w.f32(c.id_dropout);
  }
}

std::string encode_config_payload(const ModelConfig& config, uint32_t version) {
  ByteWriter w;
  write_config(w, config, version);
  return w.take();
}

}  // namespace detail

namespace {

using namespace detail;

struct SectionView {
  uint32_t tag = 0;
  uint64_t offset = 0;  // of the tag
  std::string_view payload;
};

std::string hex_bytes(std::string_view b) {
  std::string out;
  char buf[4];
  for (char c : b) {
    std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned char>(c));
    out += (out.empty() ? "" : " ") + std::string(buf);
  }
  return out;
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// Checks the header and walks the section frames over [16, size - 4). Does not look at the
// checksum: a file cut short is reported as truncated, naming the section it cuts into.
std::vector<SectionView> frame(std::string_view bytes, const std::string& name, uint32_t& version) {
  if (bytes.empty()) throw Error(name + ": empty file (0 bytes), not a cofi model file");
  std::string_view magic(kModelMagic, sizeof kModelMagic);
  std::string_view head = bytes.substr(0, magic.size());
  if (head != magic.substr(0, head.size()))
    throw Error(name + ": not a cofi model file (magic " + quote_token(head) + ", expected \"COFIMODL\")");
  if (bytes.size() < kModelHeaderBytes)
    throw Error(name + ": truncated: the header needs " + std::to_string(kModelHeaderBytes) + " bytes, " +
                std::to_string(bytes.size()) + " left");
  ByteReader header(bytes.substr(8, 8), name);
  version = header.u32("format version");
  uint32_t mark = header.u32("byte-order mark");
  if (mark == kModelByteOrderSwapped)
    throw Error(name + ": big-endian byte-order mark (" + hex_bytes(bytes.substr(12, 4)) +
                "); cofi model files are little-endian (04 03 02 01)");
  if (mark != kModelByteOrderMark)
    throw Error(name + ": bad byte-order mark (" + hex_bytes(bytes.substr(12, 4)) +
                ", expected 04 03 02 01)");
  if (version == 0) throw Error(name + ": bad format version 0");
  if (version > kModelFormatVersion)
    throw Error(name + " is format version " + std::to_string(version) + "; this build reads up to version " +
                std::to_string(kModelFormatVersion));
  if (bytes.size() < kModelHeaderBytes + kModelChecksumBytes)
    throw Error(name + ": truncated: the checksum needs " + std::to_string(kModelChecksumBytes) + " bytes, " +
                std::to_string(bytes.size() - kModelHeaderBytes) + " left");

  std::string_view body =
      bytes.substr(kModelHeaderBytes, bytes.size() - kModelHeaderBytes - kModelChecksumBytes);
  ByteReader r(body, name + ": truncated");
  std::vector<SectionView> sections;
  while (r.left() > 0) {
    SectionView s;
    s.offset = kModelHeaderBytes + r.offset();
    if (r.left() < kModelSectionHeaderBytes)
      r.fail("a section header needs " + std::to_string(kModelSectionHeaderBytes) + " bytes, " +
             std::to_string(r.left()) + " left");
    s.tag = r.u32("section tag");
    uint64_t length = r.u64("section length");
    if (length > r.left())
      r.fail("section '" + section_name(s.tag) + "' needs " + std::to_string(length) + " bytes, " +
             std::to_string(r.left()) + " left");
    s.payload = r.bytes(length, "section payload");
    sections.push_back(s);
  }
  return sections;
}

void check_checksum(std::string_view bytes, const std::string& name, uint32_t* stored_out) {
  size_t body = bytes.size() - kModelChecksumBytes;
  uint32_t stored = ByteReader(bytes.substr(body), name).u32("checksum");
  uint32_t computed = model_checksum(bytes.substr(0, body));
  if (stored_out) *stored_out = stored;
  if (stored != computed)
    throw Error(name + ": checksum mismatch (stored " + hex32(stored) + ", computed " + hex32(computed) +
                "): the file is corrupt");
}

// A reader over one section's payload; messages start "FILE: section 'NAME'".
ByteReader section_reader(const SectionView& s, const std::string& name) {
  return ByteReader(s.payload, name + ": section '" + section_name(s.tag) + "'");
}

void expect_consumed(const ByteReader& r) {
  if (r.left() != 0) r.fail(std::to_string(r.left()) + " bytes left over after its fields");
}

bool read_bool(ByteReader& r, std::string_view what) {
  uint8_t v = r.u8(what);
  if (v > 1) r.fail(std::string(what) + " is " + std::to_string(v) + ", expected 0 or 1");
  return v == 1;
}

ModelConfig read_config(ByteReader& r, uint32_t version) {
  ModelConfig c;
  std::string kind = r.str("model kind");
  try {
    c.kind = parse_model_kind(kind);
  } catch (const Error& e) {
    r.fail(e.what());  // "unknown model kind "x" (expected dot, dotbias, nn, hybrid or content)"
  }
  if (format_version_for(c.kind) > version)
    r.fail("model kind " + quote_token(kind) + " needs format version " +
           std::to_string(format_version_for(c.kind)) + ", the file is version " + std::to_string(version));
  c.n_users = r.u32("user count");
  c.n_items = r.u32("item count");
  c.user_factors = r.u32("user factors");
  c.item_factors = r.u32("item factors");
  c.y_range = read_bool(r, "y_range flag");
  c.y_min = r.f32("y_min");
  c.y_max = r.f32("y_max");
  uint32_t n_hidden = r.u32("hidden layer count");
  r.need(n_hidden, 4, std::to_string(n_hidden) + " hidden layer widths");
  c.hidden.assign(n_hidden, 0);
  for (auto& h : c.hidden) h = r.u32("hidden layer width");
  uint32_t n_dropout = r.u32("dropout count");
  r.need(n_dropout, 4, std::to_string(n_dropout) + " dropout probabilities");
  c.dropout.assign(n_dropout, 0.0f);
  for (auto& p : c.dropout) p = r.f32("dropout probability");
  c.embed_dropout = r.f32("embedding dropout");
  c.batch_norm = read_bool(r, "batch_norm flag");
  if (version >= 2) {
    c.user_features = r.u32("user feature count");
    c.item_features = r.u32("item feature count");
    c.id_dropout = r.f32("id dropout");
  }
  expect_consumed(r);
  try {
    validate(c);
  } catch (const Error& e) {
    r.fail(e.what());
  }
  return c;
}

// A lower bound on the parameter values a model of `c` holds (its embedding tables and, for nn,
// its hidden layers' weights): each is stored in the file, so a config that needs far more than
// the file holds is corrupt. Checked before Model::create allocates anything. Double, not
// integer arithmetic: only the order of magnitude matters and it cannot overflow.
double min_parameter_values(const ModelConfig& c) {
  // nn sizes a table by fastai's rule when its factors are 0, as Model::create does.
  auto factors = [&](uint32_t f, uint32_t n) {
    return static_cast<double>(f == 0 && c.kind == ModelKind::nn ? fastai_embedding_size(n) : f);
  };
  double uf = factors(c.user_factors, c.n_users), itf = factors(c.item_factors, c.n_items);
  // content: a profile over the item features per user, no item table.
  if (c.kind == ModelKind::content) return static_cast<double>(c.n_users) * c.item_features;
  double values = static_cast<double>(c.n_users) * uf + static_cast<double>(c.n_items) * itf;
  if (c.kind == ModelKind::hybrid) values += (static_cast<double>(c.user_features) + c.item_features) * uf;
  if (c.kind == ModelKind::nn) {
    double in = uf + itf;
    for (uint32_t h : c.hidden) {
      values += in * h;
      in = h;
    }
  }
  return values;
}

struct StoredParameter {
  std::string name;
  uint32_t rows = 0, cols = 0;
  uint8_t flags = 0;
  std::string_view data;  // rows * cols little-endian f32
};

std::vector<StoredParameter> read_parameters(ByteReader& r) {
  uint32_t count = r.u32("parameter count");
  // The smallest parameter record: name length, rows, cols, flags.
  r.need(count, 8 + 4 + 4 + 1, std::to_string(count) + " parameters");
  std::vector<StoredParameter> out(count);
  for (auto& p : out) {
    p.name = r.str("parameter name");
    p.rows = r.u32("rows of parameter '" + p.name + "'");
    p.cols = r.u32("cols of parameter '" + p.name + "'");
    p.flags = r.u8("flags of parameter '" + p.name + "'");
    if (p.flags & ~(kParamTrainable | kParamSparse))
      r.fail("parameter '" + p.name + "' has unknown flag bits " + std::to_string(p.flags));
    uint64_t n = static_cast<uint64_t>(p.rows) * p.cols;
    std::string what =
        "parameter '" + p.name + "' (" + std::to_string(p.rows) + "x" + std::to_string(p.cols) + " f32)";
    p.data = r.items(n, 4, what);
  }
  expect_consumed(r);
  return out;
}

std::string shape(uint32_t rows, uint32_t cols) { return std::to_string(rows) + "x" + std::to_string(cols); }

// "a dotbias model", "an nn model".
std::string a_model(ModelKind kind) {
  return std::string(kind == ModelKind::nn ? "an " : "a ") + to_string(kind) + " model";
}

// Copies the stored parameters into the model's, by name; each must exist with the same shape.
void restore_parameters(Model& model, const std::vector<StoredParameter>& stored, const std::string& name) {
  auto& params = model.parameters();
  std::string names;
  for (const auto& p : params) names += (names.empty() ? "" : ", ") + p.name;
  std::vector<bool> seen(params.size(), false);
  for (const auto& s : stored) {
    size_t k = 0;
    while (k < params.size() && params[k].name != s.name) ++k;
    if (k == params.size())
      throw Error(name + ": parameter " + quote_token(s.name) + " is not part of " +
                  a_model(model.config().kind) + " (it has " + names + ")");
    if (seen[k]) throw Error(name + ": parameter '" + s.name + "' appears twice");
    seen[k] = true;
    Parameter& p = params[k];
    if (p.rows != s.rows || p.cols != s.cols)
      throw Error(name + ": parameter '" + s.name + "' is " + shape(s.rows, s.cols) + ", the config says " +
                  shape(p.rows, p.cols));
    COFI_ASSERT(p.value.size() == static_cast<size_t>(s.rows) * s.cols);
    ByteReader(s.data, name).f32s(p.value.data(), p.value.size(), "parameter values");
  }
  for (size_t k = 0; k < params.size(); ++k)
    if (!seen[k])
      throw Error(name + ": parameter '" + params[k].name + "' is missing (" + a_model(model.config().kind) +
                  " has " + names + ")");
}

void write_id_map(ByteWriter& w, const IdMap& m) {
  if (m.kind() == IdMap::Kind::integer) {
    w.u8(0);
    w.u64(m.ints().size());
    for (uint32_t id : m.ints()) w.u32(id);
  } else {
    w.u8(1);
    w.u64(m.strings().size());
    for (const auto& id : m.strings()) w.str(id);
  }
}

IdMap read_id_map(ByteReader& r, const char* which) {
  std::string w(which);
  uint8_t kind = r.u8(w + " id kind");
  uint64_t count = r.u64(w + " id count");
  try {
    if (kind == 0) {
      r.need(count, 4, std::to_string(count) + " " + w + " ids");
      std::vector<uint32_t> ids(count);
      for (auto& id : ids) id = r.u32(w + " id");
      return IdMap::from_sorted_ints(std::move(ids));
    }
    if (kind == 1) {
      r.need(count, 8, std::to_string(count) + " " + w + " ids");
      std::vector<std::string> ids(count);
      for (auto& id : ids) id = r.str(w + " id");
      return IdMap::from_sorted_strings(std::move(ids));
    }
  } catch (const Error& e) {
    if (std::string_view(e.what()).starts_with(r.where())) throw;
    r.fail(w + " ids: " + e.what());  // not sorted and unique
  }
  r.fail(w + " id kind is " + std::to_string(kind) + ", expected 0 (integers) or 1 (strings)");
}

// The record stores every field of EpochResult (docs/model-format.md, "RECD"). A field added to it
// must be added to the file too (a new section, or a new format version once version 1 is out),
// or it would be silently lost on a save and load; this stops the build until that is decided.
static_assert(sizeof(EpochResult) == 64, "EpochResult changed: update the model file's record section");

void write_record(ByteWriter& w, const TrainingRecord& rec) {
  w.str(rec.settings);
  w.u32(static_cast<uint32_t>(rec.history.size()));
  for (const auto& e : rec.history) {
    w.u32(e.epoch);
    w.f64(e.train_loss);
    w.u8(e.has_valid ? 1 : 0);
    w.f64(e.valid_mse);
    w.f64(e.valid_rmse);
    w.f64(e.seconds);
    w.f64(e.train_seconds);
    w.u8(e.interrupted ? 1 : 0);
  }
  w.str(rec.data_source);
  w.u64(rec.n_ratings);
  w.f64(rec.rating_mean);
}

constexpr uint64_t kEpochBytes = 4 + 8 + 1 + 8 + 8 + 8 + 8 + 1;

TrainingRecord read_record(ByteReader& r) {
  TrainingRecord rec;
  rec.settings = r.str("settings");
  uint32_t epochs = r.u32("epoch count");
  r.need(epochs, kEpochBytes, std::to_string(epochs) + " epochs");
  rec.history.resize(epochs);
  for (auto& e : rec.history) {
    e.epoch = r.u32("epoch number");
    e.train_loss = r.f64("train loss");
    e.has_valid = read_bool(r, "has_valid flag");
    e.valid_mse = r.f64("valid MSE");
    e.valid_rmse = r.f64("valid RMSE");
    e.seconds = r.f64("epoch seconds");
    e.train_seconds = r.f64("epoch training seconds");
    e.interrupted = read_bool(r, "interrupted flag");
  }
  rec.data_source = r.str("data source");
  rec.n_ratings = r.u64("rating count");
  rec.rating_mean = r.f64("rating mean");
  expect_consumed(r);
  return rec;
}


// HIST: u32 user count (the config's), u64 rating count, (users + 1) x u64 offsets, then the
// items (u32) and the ratings (f32) of all rows.
void write_history(ByteWriter& w, const UserItems& h) {
  w.u32(static_cast<uint32_t>(h.n_users()));
  w.u64(h.size());
  for (uint64_t o : h.offsets) w.u64(o);
  for (uint32_t i : h.items) w.u32(i);
  w.f32s(h.ratings.data(), h.ratings.size());
}

UserItems read_history(ByteReader& r, const ModelConfig& c) {
  uint32_t users = r.u32("user count");
  if (users != c.n_users)
    r.fail("holds " + std::to_string(users) + " users, the config says " + std::to_string(c.n_users));
  uint64_t n = r.u64("rating count");
  r.need(static_cast<uint64_t>(users) + 1, 8, std::to_string(users + 1ull) + " row offsets");
  UserItems h;
  h.offsets.resize(static_cast<size_t>(users) + 1);
  for (auto& o : h.offsets) o = r.u64("row offset");
  r.need(n, 8, std::to_string(n) + " ratings");
  if (h.offsets.front() != 0 || h.offsets.back() != n) r.fail("row offsets do not span the ratings");
  h.items.resize(n);
  for (auto& i : h.items) {
    i = r.u32("item");
    if (i >= c.n_items) r.fail("item " + std::to_string(i) + " is beyond the " + std::to_string(c.n_items) + " items");
  }
  h.ratings.resize(n);
  r.f32s(h.ratings.data(), n, "ratings");
  // Every offset checked before any row is read through one (an offset past the end would read
  // beyond the items).
  for (uint32_t u = 0; u < users; ++u)
    if (h.offsets[u] > h.offsets[u + 1]) r.fail("row offsets are not ascending at user " + std::to_string(u));
  for (uint32_t u = 0; u < users; ++u) {
    for (uint64_t k = h.offsets[u] + 1; k < h.offsets[u + 1]; ++k)
      if (h.items[k] <= h.items[k - 1])
        r.fail("the items of user " + std::to_string(u) + " are not ascending and unique");
  }
  expect_consumed(r);
  return h;
}

// ITEM: four parts, each prefixed by its u64 count (0 when absent): titles (str), years (u32 as
// two's complement), genre names (str), per-item genre lists (u32 count, u16 each), rating counts
// (u32).
void write_catalog(ByteWriter& w, const Catalog& c) {
  w.u64(c.titles.size());
  for (const auto& t : c.titles) w.str(t);
  w.u64(c.years.size());
  for (int y : c.years) w.u32(static_cast<uint32_t>(y));
  w.u64(c.genre_names.size());
  for (const auto& g : c.genre_names) w.str(g);
  w.u64(c.genres.size());
  for (const auto& list : c.genres) {
    w.u32(static_cast<uint32_t>(list.size()));
    for (uint16_t g : list) {
      w.u8(static_cast<uint8_t>(g & 0xff));
      w.u8(static_cast<uint8_t>(g >> 8));
    }
  }
  w.u64(c.rating_counts.size());
  for (uint32_t n : c.rating_counts) w.u32(n);
}

Catalog read_catalog(ByteReader& r, const ModelConfig& c) {
  Catalog cat;
  auto count = [&](const char* what, uint64_t min_bytes, bool per_item) {
    uint64_t n = r.u64(std::string(what) + " count");
    if (per_item && n != 0 && n != c.n_items)
      r.fail(std::string(what) + ": " + std::to_string(n) + " entries for " + std::to_string(c.n_items) + " items");
    r.need(n, min_bytes, std::to_string(n) + " " + what);
    return n;
  };
  cat.titles.resize(count("titles", 8, true));
  for (auto& t : cat.titles) t = r.str("title");
  cat.years.resize(count("years", 4, true));
  for (auto& y : cat.years) y = static_cast<int>(r.u32("year"));
  uint64_t names = r.u64("genre name count");
  if (names > 65536) r.fail(std::to_string(names) + " genre names, at most 65536 fit a u16 index");
  r.need(names, 8, std::to_string(names) + " genre names");
  cat.genre_names.resize(names);
  for (auto& g : cat.genre_names) g = r.str("genre name");
  cat.genres.resize(count("genre lists", 4, true));
  for (auto& list : cat.genres) {
    uint32_t m = r.u32("genre list length");
    r.need(m, 2, std::to_string(m) + " genres");
    list.resize(m);
    for (auto& g : list) {
      uint16_t lo = r.u8("genre"), hi = r.u8("genre");
      g = static_cast<uint16_t>(lo | hi << 8);
      if (g >= names) r.fail("genre " + std::to_string(g) + " is beyond the " + std::to_string(names) + " genre names");
    }
  }
  cat.rating_counts.resize(count("rating counts", 4, true));
  for (auto& n : cat.rating_counts) n = r.u32("rating count");
  expect_consumed(r);
  return cat;
}

// FEAT, per side (users, then items): u64 name count, the names (str), u64 row count (0, or the
// config's users or items), the row offsets (rows + 1 x u64) when there are rows, u64 entry count,
// the entries' feature indices (u32) and weights (f32).
void write_features(ByteWriter& w, const Features& f) {
  w.u64(f.names.size());
  for (const auto& n : f.names) w.str(n);
  w.u64(f.rows());
  if (f.rows() > 0)
    for (uint64_t o : f.offsets) w.u64(o);
  w.u64(f.index.size());
  for (uint32_t i : f.index) w.u32(i);
  w.f32s(f.weight.data(), f.weight.size());
}

Features read_features(ByteReader& r, const char* what) {
  Features f;
  const std::string side(what);
  uint64_t names = r.u64(side + " feature name count");
  r.need(names, 8, std::to_string(names) + " " + side + " feature names");
  f.names.resize(names);
  for (auto& n : f.names) n = r.str(side + " feature name");
  uint64_t rows = r.u64(side + " feature row count");
  if (rows > 0) {
    r.need(rows + 1, 8, std::to_string(rows + 1) + " " + side + " feature row offsets");
    f.offsets.resize(rows + 1);
    for (auto& o : f.offsets) o = r.u64(side + " feature row offset");
  }
  uint64_t n = r.u64(side + " feature entry count");
  r.need(n, 8, std::to_string(n) + " " + side + " feature entries");
  f.index.resize(n);
  for (auto& i : f.index) i = r.u32(side + " feature index");
  f.weight.resize(n);
  r.f32s(f.weight.data(), n, side + " feature weights");
  // The invariants (offsets span the entries, indices below the names, ...) are checked by
  // Model::set_features against the config.
  if (rows == 0 && n != 0) r.fail(side + " features: " + std::to_string(n) + " entries without rows");
  return f;
}

}  // namespace

std::vector<RawSection> detail::split_model_file(std::string_view bytes, const std::string& name) {
  uint32_t version = 0;
  std::vector<RawSection> out;
  for (const auto& s : frame(bytes, name, version)) out.push_back({s.tag, std::string(s.payload)});
  return out;
}

std::string encode_model(const SavedModel& m) {
  if (!m.model) throw Error("cannot encode a model file: no model");
  const ModelConfig& c = m.model->config();
  if (m.users.size() != c.n_users || m.items.size() != c.n_items)
    throw Error("cannot encode a model file: the id maps have " + std::to_string(m.users.size()) +
                " users and " + std::to_string(m.items.size()) + " items, the model " +
                std::to_string(c.n_users) + " and " + std::to_string(c.n_items));
  const auto& params = m.model->parameters();
  for (const auto& p : params) {
    if (p.value.size() != static_cast<size_t>(p.rows) * p.cols)
      throw Error("cannot encode a model file: parameter '" + p.name + "' is " + shape(p.rows, p.cols) +
                  " but holds " + std::to_string(p.value.size()) + " values");
  }

  const uint32_t version = format_version_for(c.kind);
  ByteWriter w;
  begin_file(w, version);
  size_t at = begin_section(w, kTagConfig);
  write_config(w, c, version);
  end_section(w, at);

  at = begin_section(w, kTagParameters);
  w.u32(static_cast<uint32_t>(params.size()));
  for (const auto& p : params) {
    w.str(p.name);
    w.u32(p.rows);
    w.u32(p.cols);
    w.u8(static_cast<uint8_t>((p.trainable ? kParamTrainable : 0) | (p.sparse ? kParamSparse : 0)));
    w.f32s(p.value.data(), p.value.size());
  }
  end_section(w, at);

  at = begin_section(w, kTagIds);
  write_id_map(w, m.users);
  write_id_map(w, m.items);
  end_section(w, at);

  at = begin_section(w, kTagRecord);
  write_record(w, m.record);
  end_section(w, at);

  if (uses_features(c.kind)) {
    at = begin_section(w, kTagFeatures);
    write_features(w, m.model->features(Side::user));
    write_features(w, m.model->features(Side::item));
    end_section(w, at);
  }

  if (!m.history.empty()) {
    if (m.history.n_users() != c.n_users)
      throw Error("cannot encode a model file: the history has " + std::to_string(m.history.n_users()) +
                  " users, the model " + std::to_string(c.n_users));
    at = begin_section(w, kTagHistory);
    write_history(w, m.history);
    end_section(w, at);
  }
  const Catalog& cat = m.catalog;
  for (size_t n : {cat.titles.size(), cat.years.size(), cat.genres.size(), cat.rating_counts.size()})
    if (n != 0 && n != c.n_items)
      throw Error("cannot encode a model file: the catalog has a part of " + std::to_string(n) +
                  " entries for " + std::to_string(c.n_items) + " items");
  if (!(cat == Catalog{})) {
    at = begin_section(w, kTagCatalog);
    write_catalog(w, cat);
    end_section(w, at);
  }

  if (!m.optimizer_state.empty()) {
    at = begin_section(w, kTagOptimizer);
    w.bytes(
        std::string_view(reinterpret_cast<const char*>(m.optimizer_state.data()), m.optimizer_state.size()));
    end_section(w, at);
  }
  end_file(w);
  return w.take();
}

SavedModel decode_model(std::string_view bytes, const std::string& name, ModelFileInfo* info) {
  uint32_t version = 0;
  std::vector<SectionView> sections = frame(bytes, name, version);
  uint32_t checksum = 0;
  check_checksum(bytes, name, &checksum);

  // The sections this build knows, each at most once; unknown ones are skipped.
  std::optional<SectionView> config_s, params_s, ids_s, record_s, optimizer_s, history_s, catalog_s,
      features_s;
  ModelFileInfo seen;
  seen.version = version;
  seen.bytes = bytes.size();
  seen.checksum = checksum;
  for (const auto& s : sections) {
    std::optional<SectionView>* slot = nullptr;
    switch (s.tag) {
      case kTagConfig:
        slot = &config_s;
        break;
      case kTagParameters:
        slot = &params_s;
        break;
      case kTagIds:
        slot = &ids_s;
        break;
      case kTagRecord:
        slot = &record_s;
        break;
      case kTagOptimizer:
        slot = &optimizer_s;
        break;
      case kTagHistory:
        slot = &history_s;
        break;
      case kTagCatalog:
        slot = &catalog_s;
        break;
      case kTagFeatures:
        // Version-1 builds skip it; a version-1 file that has one is left as version 1 read it.
        slot = version >= 2 ? &features_s : nullptr;
        break;
      default:
        break;
    }
    if (slot && *slot) throw Error(name + ": section '" + section_name(s.tag) + "' appears twice");
    if (slot) *slot = s;
    seen.sections.push_back({section_name(s.tag), s.offset, s.payload.size(), slot != nullptr});
  }
  for (auto [s, tag] : {std::pair{&config_s, kTagConfig}, std::pair{&params_s, kTagParameters},
                        std::pair{&ids_s, kTagIds}, std::pair{&record_s, kTagRecord}})
    if (!*s) throw Error(name + ": no '" + section_name(tag) + "' section");

  ByteReader cr = section_reader(*config_s, name);
  ModelConfig config = read_config(cr, version);
  double values = min_parameter_values(config);
  // Every parameter value takes 4 bytes of the file; the slack only keeps this check clear of
  // any future difference between this estimate and the model's own sizes.
  if (values * 4.0 > 2.0 * static_cast<double>(bytes.size()) + 16.0 * (1 << 20))
    cr.fail(a_model(config.kind) + " of " + std::to_string(config.n_users) + " users and " +
            std::to_string(config.n_items) + " items needs at least " +
            std::to_string(static_cast<uint64_t>(values)) + " parameter values, more than a file of " +
            std::to_string(bytes.size()) + " bytes holds");

  ByteReader pr = section_reader(*params_s, name);
  std::vector<StoredParameter> stored = read_parameters(pr);

  SavedModel m;
  try {
    m.model = Model::create(config, 0);
  } catch (const Error& e) {
    throw Error(name + ": section 'config': " + e.what());
  }
  restore_parameters(*m.model, stored, name);
  if (uses_features(config.kind)) {
    if (!features_s) throw Error(name + ": no 'features' section (" + a_model(config.kind) + " needs one)");
    ByteReader fr = section_reader(*features_s, name);
    for (Side side : {Side::user, Side::item}) {
      const char* what = side == Side::user ? "user" : "item";
      Features f = read_features(fr, what);
      // content takes item features only: its user part must be empty.
      if (config.kind == ModelKind::content && side == Side::user) {
        if (!f.names.empty() || f.rows() != 0) fr.fail("a content model has no user features");
        continue;
      }
      try {
        m.model->set_features(side, std::move(f));
      } catch (const Error& e) {
        fr.fail(e.what());
      }
    }
    expect_consumed(fr);
  }

  ByteReader ir = section_reader(*ids_s, name);
  m.users = read_id_map(ir, "user");
  m.items = read_id_map(ir, "item");
  expect_consumed(ir);
  if (m.users.size() != config.n_users)
    throw Error(name + ": the user id map has " + std::to_string(m.users.size()) + " ids, the config says " +
                std::to_string(config.n_users) + " users");
  if (m.items.size() != config.n_items)
    throw Error(name + ": the item id map has " + std::to_string(m.items.size()) + " ids, the config says " +
                std::to_string(config.n_items) + " items");

  ByteReader rr = section_reader(*record_s, name);
  m.record = read_record(rr);

  if (history_s) {
    ByteReader hr = section_reader(*history_s, name);
    m.history = read_history(hr, config);
  }
  if (catalog_s) {
    ByteReader kr = section_reader(*catalog_s, name);
    m.catalog = read_catalog(kr, config);
  }
  if (optimizer_s) m.optimizer_state.assign(optimizer_s->payload.begin(), optimizer_s->payload.end());
  if (info) *info = std::move(seen);
  return m;
}

namespace {

std::string errno_text(int err) { return std::strerror(err); }

// Closes a descriptor.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

// Atomic (include/cofi/atomic_file.h): a temporary file beside `path`, fsync, rename.
void save_model(const std::string& path, const SavedModel& m) {
  write_file_atomically(path, encode_model(m));
}

size_t attach_training_data(SavedModel& m, const Ratings& train, const Items* items, bool keep_history) {
  size_t matched = 0;
  m.catalog = items ? catalog_from(m.items, *items, &matched) : Catalog{};
  m.catalog.rating_counts.assign(m.items.size(), 0);
  for (uint32_t i : train.item) ++m.catalog.rating_counts[i];
  m.history = keep_history ? group_by_user(train, m.users.size()) : UserItems{};
  return matched;
}

SavedModel load_model(const std::string& path, ModelFileInfo* info) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path + ": cannot open: " + errno_text(errno));
  Fd guard;  // closes fd
  guard.fd = fd;
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw Error(path + ": cannot stat: " + errno_text(errno));
  if (S_ISDIR(st.st_mode)) throw Error(path + ": is a directory, not a cofi model file");
  // A device or pipe has no size to check counts against and may never end (/dev/zero).
  if (!S_ISREG(st.st_mode)) throw Error(path + ": is not a regular file, not a cofi model file");
  std::string bytes;
  bytes.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(path + ": cannot read: " + errno_text(errno));
    if (n == 0) break;
    bytes.append(buf, static_cast<size_t>(n));
  }
  return decode_model(bytes, path, info);
}

}  // namespace cofi
