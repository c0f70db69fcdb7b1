// The model file: round trips through memory and through files for every model kind (BatchNorm
// buffers and string id maps included), the exact message for each bad file, robustness against
// every truncation and every single-byte change, and the version-1 golden file that every later
// build must still load (tests/fixtures/model-v1-dotbias.cofi).
#include "cofi/io/model_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/fixtures.h"
#include <stdlib.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "cofi/error.h"
#include "model_file_impl.h"

namespace cofi {
namespace {

using cofi::test::TempDir;

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// ---- fixtures ----------------------------------------------------------------------------

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

IdMap int_ids(uint32_t n, uint32_t step) {
  std::vector<uint32_t> ids(n);
  for (uint32_t i = 0; i < n; ++i) ids[i] = 1 + i * step;
  return IdMap::from_sorted_ints(std::move(ids));
}

IdMap string_ids(uint32_t n, const std::string& prefix) {
  std::vector<std::string> ids;
  for (uint32_t i = 0; i < n; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04u", i);
    ids.push_back(prefix + buf);
  }
  return IdMap::from_sorted_strings(std::move(ids));
}

ModelConfig config_of(ModelKind kind, uint32_t users, uint32_t items, uint32_t factors) {
  ModelConfig c;
  c.kind = kind;
  c.n_users = users;
  c.n_items = items;
  c.user_factors = c.item_factors = factors;
  if (kind == ModelKind::nn) {
    c.item_factors = factors + 1;  // nn may size the two tables differently
    c.hidden = {6, 3};
    c.dropout = {0.25f, 0.125f};
    c.embed_dropout = 0.0625f;
  }
  return c;
}

EpochResult epoch(uint32_t number, double loss, double valid_mse, double seconds, double train_seconds,
                  bool interrupted) {
  EpochResult e;
  e.epoch = number;
  e.train_loss = loss;
  e.has_valid = true;
  e.valid_mse = valid_mse;
  e.valid_rmse = std::sqrt(valid_mse);
  e.seconds = seconds;
  e.train_seconds = train_seconds;
  e.interrupted = interrupted;
  return e;
}

// A model whose every parameter value differs from its initialisation and from each other, BatchNorm
// running statistics included, with a full training record and optimizer state.
SavedModel make_model(const ModelConfig& c, bool string_maps) {
  SavedModel m;
  m.model = Model::create(c, 7);
  float v = 0.001f;
  for (auto& p : m.model->parameters())
    for (float& x : p.value) {
      x = std::sin(v * 1000.0f) * 0.5f + (p.trainable ? 0.0f : 1.0f);  // variances stay > 0
      v += 0.001f;
    }
  m.users = string_maps ? string_ids(c.n_users, "user-") : int_ids(c.n_users, 3);
  m.items = string_maps ? string_ids(c.n_items, "item/") : int_ids(c.n_items, 5);
  m.record.settings = R"({"epochs":2,"lr":0.005,"wd":0.1})";
  m.record.history = {epoch(1, 0.91, 0.88, 1.5, 1.25, false), epoch(2, 0.75, 0.83, 1.25, 1.0, true)};
  m.record.data_source = "ml-100k/u1.base";
  m.record.n_ratings = 80000;
  m.record.rating_mean = 3.52986;
  m.optimizer_state = {0, 1, 2, 3, 255, 254};
  return m;
}

void expect_same_config(const ModelConfig& a, const ModelConfig& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.n_users, b.n_users);
  EXPECT_EQ(a.n_items, b.n_items);
  EXPECT_EQ(a.user_factors, b.user_factors);
  EXPECT_EQ(a.item_factors, b.item_factors);
  EXPECT_EQ(a.y_range, b.y_range);
  EXPECT_EQ(a.y_min, b.y_min);
  EXPECT_EQ(a.y_max, b.y_max);
  EXPECT_EQ(a.hidden, b.hidden);
  EXPECT_EQ(a.dropout, b.dropout);
  EXPECT_EQ(a.embed_dropout, b.embed_dropout);
  EXPECT_EQ(a.batch_norm, b.batch_norm);
}

void expect_same(const SavedModel& a, const SavedModel& b) {
  expect_same_config(a.model->config(), b.model->config());
  const auto& pa = a.model->parameters();
  const auto& pb = b.model->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t k = 0; k < pa.size(); ++k) {
    EXPECT_EQ(pa[k].name, pb[k].name);
    EXPECT_EQ(pa[k].rows, pb[k].rows);
    EXPECT_EQ(pa[k].cols, pb[k].cols);
    EXPECT_EQ(pa[k].sparse, pb[k].sparse);
    EXPECT_EQ(pa[k].trainable, pb[k].trainable);
    EXPECT_EQ(pa[k].value, pb[k].value) << pa[k].name;  // bit for bit
  }
  EXPECT_EQ(a.users, b.users);
  EXPECT_EQ(a.items, b.items);
  EXPECT_EQ(a.record, b.record);
  EXPECT_EQ(a.optimizer_state, b.optimizer_state);
  // The same predictions, for every user and a few items.
  const auto& c = a.model->config();
  std::vector<uint32_t> users, items;
  for (uint32_t u = 0; u < c.n_users; ++u) {
    users.push_back(u);
    items.push_back(u % c.n_items);
  }
  std::vector<float> oa(users.size()), ob(users.size());
  a.model->predict(users.data(), items.data(), users.size(), oa.data());
  b.model->predict(users.data(), items.data(), users.size(), ob.data());
  EXPECT_EQ(oa, ob);
}

// The message of the cofi::Error that decoding `bytes` as "m.cofi" throws.
std::string decode_error(const std::string& bytes) {
  try {
    decode_model(bytes, "m.cofi");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::string load_error(const std::string& path) {
  try {
    load_model(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// A valid file rebuilt from its sections after `edit` changed them; the checksum is recomputed.
template <class Edit>
std::string edited(const std::string& bytes, Edit edit, uint32_t version = 1) {
  auto sections = detail::split_model_file(bytes, "m.cofi");
  edit(sections);
  return detail::assemble_model_file(sections, version);
}

detail::RawSection& section(std::vector<detail::RawSection>& sections, uint32_t tag) {
  for (auto& s : sections)
    if (s.tag == tag) return s;
  throw std::runtime_error("no such section");
}

void reseal(std::string& bytes) {
  uint32_t crc = detail::model_checksum(std::string_view(bytes).substr(0, bytes.size() - 4));
  for (int i = 0; i < 4; ++i) bytes[bytes.size() - 4 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
}

std::string small_dotbias_file() {
  return encode_model(make_model(config_of(ModelKind::dotbias, 10, 8, 4), false));
}

// ---- round trips -------------------------------------------------------------------------

struct Case {
  ModelKind kind;
  bool batch_norm;
  bool string_maps;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << to_string(c.kind) << (c.batch_norm ? "" : " without batch norm")
      << (c.string_maps ? ", string ids" : ", integer ids");
}

class RoundTrip : public ::testing::TestWithParam<Case> {};

TEST_P(RoundTrip, ThroughMemory) {
  ModelConfig c = config_of(GetParam().kind, 13, 9, 5);
  c.batch_norm = GetParam().batch_norm;
  SavedModel m = make_model(c, GetParam().string_maps);
  std::string bytes = encode_model(m);
  ModelFileInfo info;
  SavedModel back = decode_model(bytes, "mem", &info);
  expect_same(m, back);
  EXPECT_EQ(info.version, 1u);
  EXPECT_EQ(info.bytes, bytes.size());
  ASSERT_EQ(info.sections.size(), 5u);
  EXPECT_EQ(info.sections[0].name, "config");
  EXPECT_EQ(info.sections[1].name, "parameters");
  EXPECT_EQ(info.sections[2].name, "id maps");
  EXPECT_EQ(info.sections[3].name, "record");
  EXPECT_EQ(info.sections[4].name, "optimizer state");
  EXPECT_EQ(info.sections[4].bytes, 6u);
  // Encoding is deterministic: the decoded model encodes to the same bytes.
  EXPECT_EQ(encode_model(back), bytes);
}

TEST_P(RoundTrip, ThroughAFile) {
  ModelConfig c = config_of(GetParam().kind, 11, 7, 3);
  c.batch_norm = GetParam().batch_norm;
  SavedModel m = make_model(c, GetParam().string_maps);
  TempDir dir;
  std::string path = dir.file("model.cofi");
  save_model(path, m);
  expect_same(m, load_model(path));
  // Saving again replaces the file; no temporary file is left beside it.
  m.record.data_source = "elsewhere";
  save_model(path, m);
  EXPECT_EQ(load_model(path).record.data_source, "elsewhere");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::others_read, fs::perms::others_read);
}

INSTANTIATE_TEST_SUITE_P(ModelFile, RoundTrip,
                         ::testing::Values(Case{ModelKind::dot, true, false},
                                           Case{ModelKind::dotbias, true, false},
                                           Case{ModelKind::dotbias, true, true},
                                           Case{ModelKind::nn, true, false}, Case{ModelKind::nn, true, true},
                                           Case{ModelKind::nn, false, false}),
                         [](const auto& param_info) {
                           const Case& c = param_info.param;
                           return std::string(to_string(c.kind)) + (c.batch_norm ? "" : "NoBatchNorm") +
                                  (c.string_maps ? "StringIds" : "IntIds");
                         });

TEST(ModelFile, BatchNormBuffersAreSaved) {
  ModelConfig c = config_of(ModelKind::nn, 6, 5, 3);
  SavedModel m = make_model(c, false);
  int buffers = 0;
  for (auto& p : m.model->parameters())
    if (!p.trainable) {
      ++buffers;
      p.value.assign(p.value.size(), 0.75f + static_cast<float>(buffers));
    }
  ASSERT_EQ(buffers, 4);  // running mean and variance of two hidden layers
  SavedModel back = decode_model(encode_model(m), "mem");
  for (size_t k = 0; k < m.model->parameters().size(); ++k)
    EXPECT_EQ(back.model->parameters()[k].value, m.model->parameters()[k].value);
}

TEST(ModelFile, EmptyOptimizerStateWritesNoSection) {
  SavedModel m = make_model(config_of(ModelKind::dot, 3, 3, 2), false);
  m.optimizer_state.clear();
  ModelFileInfo info;
  SavedModel back = decode_model(encode_model(m), "mem", &info);
  EXPECT_TRUE(back.optimizer_state.empty());
  EXPECT_EQ(info.sections.size(), 4u);
}

TEST(ModelFile, UnknownSectionsAreSkipped) {
  SavedModel m = make_model(config_of(ModelKind::dotbias, 10, 8, 4), false);
  std::string bytes = edited(encode_model(m), [](auto& sections) {
    sections.insert(sections.begin() + 1, {detail::section_tag("XTRA"), std::string("later, a new field")});
  });
  ModelFileInfo info;
  SavedModel back = decode_model(bytes, "m.cofi", &info);
  expect_same(m, back);
  ASSERT_EQ(info.sections.size(), 6u);
  EXPECT_EQ(info.sections[1].name, "\"XTRA\"");
  EXPECT_FALSE(info.sections[1].known);
  EXPECT_EQ(info.sections[1].bytes, 18u);
}

TEST(ModelFile, SectionsMayComeInAnyOrder) {
  SavedModel m = make_model(config_of(ModelKind::nn, 5, 4, 2), true);
  std::string bytes = edited(encode_model(m), [](auto& s) { std::reverse(s.begin(), s.end()); });
  expect_same(m, decode_model(bytes, "m.cofi"));
}

TEST(ModelFile, HeaderBytes) {
  std::string bytes = small_dotbias_file();
  EXPECT_EQ(bytes.substr(0, 16), std::string("COFIMODL\x01\x00\x00\x00\x04\x03\x02\x01", 16));
  EXPECT_EQ(bytes.substr(16, 4), "CONF");
  // The config section's payload starts with the kind as a str.
  EXPECT_EQ(bytes.substr(28, 15), std::string("\x07\0\0\0\0\0\0\0dotbias", 15));
}

TEST(ModelFile, SaveRefusesInconsistentModels) {
  SavedModel m = make_model(config_of(ModelKind::dot, 3, 3, 2), false);
  m.users = int_ids(2, 1);
  try {
    encode_model(m);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "cannot encode a model file: the id maps have 2 users and 3 items, the model 3 and 3");
  }
}

TEST(ModelFile, SaveIntoAMissingFolderFails) {
  TempDir dir;
  std::string path = dir.file("no/such/folder/m.cofi");
  try {
    save_model(path, make_model(config_of(ModelKind::dot, 3, 3, 2), false));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              path + ": cannot create a temporary file beside it: No such file or directory");
  }
}

// ---- each bad file, with its message -------------------------------------------------------

TEST(ModelFileErrors, EmptyFile) {
  TempDir dir;
  std::string path = dir.file("empty.cofi");
  write_bytes(path, "");
  EXPECT_EQ(load_error(path), path + ": empty file (0 bytes), not a cofi model file");
}

TEST(ModelFileErrors, Directory) {
  TempDir dir;
  EXPECT_EQ(load_error(dir.path().string()), dir.path().string() + ": is a directory, not a cofi model file");
}

TEST(ModelFileErrors, DeviceOrPipe) {
  // /dev/zero would otherwise be read until memory runs out.
  EXPECT_EQ(load_error("/dev/zero"), "/dev/zero: is not a regular file, not a cofi model file");
}

TEST(ModelFileErrors, MissingFile) {
  TempDir dir;
  std::string path = dir.file("nope.cofi");
  EXPECT_EQ(load_error(path), path + ": cannot open: No such file or directory");
}

TEST(ModelFileErrors, WrongMagic) {
  EXPECT_EQ(decode_error(std::string("PK\x03\x04 zip archive, not a model", 30)),
            "m.cofi: not a cofi model file (magic \"PK\\x03\\x04 zip\", expected \"COFIMODL\")");
  EXPECT_EQ(decode_error("user,item,rating\n1,2,3\n"),
            "m.cofi: not a cofi model file (magic \"user,ite\", expected \"COFIMODL\")");
  EXPECT_EQ(decode_error("CX"), "m.cofi: not a cofi model file (magic \"CX\", expected \"COFIMODL\")");
}

TEST(ModelFileErrors, TruncatedHeader) {
  std::string bytes = small_dotbias_file();
  EXPECT_EQ(decode_error(bytes.substr(0, 5)), "m.cofi: truncated: the header needs 16 bytes, 5 left");
  EXPECT_EQ(decode_error(bytes.substr(0, 10)), "m.cofi: truncated: the header needs 16 bytes, 10 left");
  EXPECT_EQ(decode_error(bytes.substr(0, 18)), "m.cofi: truncated: the checksum needs 4 bytes, 2 left");
}

TEST(ModelFileErrors, TruncatedInASection) {
  std::string bytes = small_dotbias_file();
  ModelFileInfo info;
  decode_model(bytes, "m.cofi", &info);
  const ModelFileSection& params = info.sections[1];
  ASSERT_EQ(params.name, "parameters");
  // Cut 100 bytes into the parameters' payload: the last 4 of those are taken for the checksum.
  std::string cut = bytes.substr(0, params.offset + 12 + 100);
  EXPECT_EQ(decode_error(cut), "m.cofi: truncated: section 'parameters' needs " +
                                   std::to_string(params.bytes) + " bytes, 96 left");
  // Cut inside a section header.
  cut = bytes.substr(0, params.offset + 4 + 4);
  EXPECT_EQ(decode_error(cut), "m.cofi: truncated: a section header needs 12 bytes, 4 left");
}

TEST(ModelFileErrors, EveryTruncationIsAnError) {
  std::string bytes = small_dotbias_file();
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_THAT(decode_error(bytes.substr(0, n)), HasSubstr("m.cofi")) << "cut at " << n;
}

TEST(ModelFileErrors, ChecksumMismatch) {
  std::string bytes = small_dotbias_file();
  uint32_t stored = detail::model_checksum(std::string_view(bytes).substr(0, bytes.size() - 4));
  bytes[200] = static_cast<char>(bytes[200] ^ 0x10);  // a bit in u_weight's values
  uint32_t computed = detail::model_checksum(std::string_view(bytes).substr(0, bytes.size() - 4));
  char expected[128];
  std::snprintf(expected, sizeof expected,
                "m.cofi: checksum mismatch (stored 0x%08x, computed 0x%08x): the file is corrupt", stored,
                computed);
  EXPECT_EQ(decode_error(bytes), expected);
}

TEST(ModelFileErrors, EveryChangedByteIsAnError) {
  std::string bytes = small_dotbias_file();
  for (size_t k = 0; k < bytes.size(); ++k) {
    std::string b = bytes;
    b[k] = static_cast<char>(b[k] ^ 0x5a);
    EXPECT_THAT(decode_error(b), HasSubstr("m.cofi")) << "byte " << k;
  }
}

// Past the checksum (resealed), a changed byte must still give either a model or a cofi::Error:
// never a crash, an out-of-range read or a huge allocation.
TEST(ModelFileErrors, EveryResealedChangeIsHandled) {
  std::string bytes = encode_model(make_model(config_of(ModelKind::nn, 4, 3, 2), true));
  for (size_t k = 16; k + 4 < bytes.size(); ++k)
    for (int x : {0x01, 0x80, 0xff}) {
      std::string b = bytes;
      b[k] = static_cast<char>(b[k] ^ x);
      reseal(b);
      try {
        decode_model(b, "m.cofi");
      } catch (const Error&) {
      }
    }
}

TEST(ModelFileErrors, NewerVersion) {
  std::string bytes = edited(
      small_dotbias_file(), [](auto&) {}, 3);
  EXPECT_EQ(decode_error(bytes), "m.cofi is format version 3; this build reads up to version 2");
}

TEST(ModelFileErrors, VersionZero) {
  std::string bytes = edited(
      small_dotbias_file(), [](auto&) {}, 0);
  EXPECT_EQ(decode_error(bytes), "m.cofi: bad format version 0");
}

TEST(ModelFileErrors, BigEndianMark) {
  std::string bytes = small_dotbias_file();
  bytes.replace(12, 4, std::string("\x01\x02\x03\x04", 4));
  reseal(bytes);
  EXPECT_EQ(
      decode_error(bytes),
      "m.cofi: big-endian byte-order mark (01 02 03 04); cofi model files are little-endian (04 03 02 01)");
  bytes.replace(12, 4, std::string("\x04\x03\x02\x00", 4));
  EXPECT_EQ(decode_error(bytes), "m.cofi: bad byte-order mark (04 03 02 00, expected 04 03 02 01)");
}

TEST(ModelFileErrors, ParameterShapeDiffersFromConfig) {
  std::string bytes = edited(small_dotbias_file(), [](auto& s) {
    section(s, detail::kTagConfig).payload =
        detail::encode_config_payload(config_of(ModelKind::dotbias, 12, 8, 4));
  });
  EXPECT_EQ(decode_error(bytes), "m.cofi: parameter 'u_weight' is 10x4, the config says 12x4");
  bytes = edited(small_dotbias_file(), [](auto& s) {
    section(s, detail::kTagConfig).payload =
        detail::encode_config_payload(config_of(ModelKind::dotbias, 10, 8, 5));
  });
  EXPECT_EQ(decode_error(bytes), "m.cofi: parameter 'u_weight' is 10x4, the config says 10x5");
}

TEST(ModelFileErrors, UnknownModelKind) {
  std::string bytes = edited(small_dotbias_file(), [](auto& s) {
    std::string& p = section(s, detail::kTagConfig).payload;
    ByteWriter w;
    w.str("transformer");
    p = w.take() + p.substr(8 + 7);  // replaces the str "dotbias"
  });
  EXPECT_EQ(
      decode_error(bytes),
      "m.cofi: section 'config': unknown model kind \"transformer\" (expected dot, dotbias, nn, hybrid or "
      "content)");
}

TEST(ModelFileErrors, InvalidConfig) {
  std::string bytes = edited(small_dotbias_file(), [](auto& s) {
    ModelConfig c = config_of(ModelKind::dotbias, 10, 8, 4);
    c.item_factors = 3;
    section(s, detail::kTagConfig).payload = detail::encode_config_payload(c);
  });
  EXPECT_EQ(
      decode_error(bytes),
      "m.cofi: section 'config': model dotbias: user_factors (4) and item_factors (3) must be equal for a "
      "dot product");
}

TEST(ModelFileErrors, ConfigLargerThanTheFile) {
  std::string bytes = edited(small_dotbias_file(), [](auto& s) {
    section(s, detail::kTagConfig).payload =
        detail::encode_config_payload(config_of(ModelKind::dotbias, 4000000000u, 8, 4));
  });
  EXPECT_THAT(
      decode_error(bytes),
      HasSubstr("m.cofi: section 'config': a dotbias model of 4000000000 users and 8 items needs at least "
                "16000000032 parameter values, more than a file of "));
  // nn with factors 0 sizes its tables by fastai's rule (600 for this many rows): counted too.
  bytes = edited(small_dotbias_file(), [](auto& s) {
    ModelConfig c = config_of(ModelKind::nn, 4000000000u, 8, 0);
    c.item_factors = 0;
    section(s, detail::kTagConfig).payload = detail::encode_config_payload(c);
  });
  EXPECT_THAT(decode_error(bytes), HasSubstr("m.cofi: section 'config': an nn model of 4000000000 users"));
}

TEST(ModelFileErrors, ConfigWithBytesLeftOver) {
  std::string bytes =
      edited(small_dotbias_file(), [](auto& s) { section(s, detail::kTagConfig).payload += "xyz"; });
  EXPECT_EQ(decode_error(bytes), "m.cofi: section 'config': 3 bytes left over after its fields");
}

TEST(ModelFileErrors, ConfigCutShort) {
  std::string bytes = edited(small_dotbias_file(), [](auto& s) {
    std::string& p = section(s, detail::kTagConfig).payload;
    p.resize(8 + 7 + 6);  // kind, user count, half the item count
  });
  EXPECT_EQ(decode_error(bytes), "m.cofi: section 'config': item count needs 4 bytes, 2 left");
}

TEST(ModelFileErrors, HugeParameterCount) {
  std::string bytes = edited(small_dotbias_file(), [](auto& s) {
    std::string& p = section(s, detail::kTagParameters).payload;
    p.replace(0, 4, std::string("\xff\xff\xff\xff", 4));
  });
  EXPECT_THAT(decode_error(bytes),
              HasSubstr("m.cofi: section 'parameters': 4294967295 parameters need at least "
                        "73014444015 bytes, "));
}

TEST(ModelFileErrors, ParameterValuesCutShort) {
  std::string bytes = edited(small_dotbias_file(), [](auto& s) {
    std::string& p = section(s, detail::kTagParameters).payload;
    // count, then u_weight: name (8 + 8), rows, cols, flags, 10x4 floats: keep 100 of its 160 bytes.
    p.resize(4 + 16 + 4 + 4 + 1 + 100);
  });
  EXPECT_EQ(decode_error(bytes),
            "m.cofi: section 'parameters': parameter 'u_weight' (10x4 f32) needs 160 bytes, 100 left");
}

TEST(ModelFileErrors, MissingParameter) {
  SavedModel m = make_model(config_of(ModelKind::dotbias, 10, 8, 4), false);
  m.model->parameters().pop_back();  // i_bias
  std::string bytes = encode_model(m);
  EXPECT_EQ(decode_error(bytes),
            "m.cofi: parameter 'i_bias' is missing (a dotbias model has u_weight, i_weight, u_bias, i_bias)");
}

TEST(ModelFileErrors, UnknownParameter) {
  SavedModel m = make_model(config_of(ModelKind::dotbias, 10, 8, 4), false);
  m.model->parameters()[2].name = "user_bias";
  EXPECT_EQ(
      decode_error(encode_model(m)),
      "m.cofi: parameter \"user_bias\" is not part of a dotbias model (it has u_weight, i_weight, u_bias, "
      "i_bias)");
}

TEST(ModelFileErrors, DuplicateParameter) {
  SavedModel m = make_model(config_of(ModelKind::dotbias, 10, 8, 4), false);
  m.model->parameters()[3] = m.model->parameters()[2];
  EXPECT_EQ(decode_error(encode_model(m)), "m.cofi: parameter 'u_bias' appears twice");
}

TEST(ModelFileErrors, MissingAndDuplicateSections) {
  std::string bytes = small_dotbias_file();
  EXPECT_EQ(decode_error(edited(bytes, [](auto& s) { s.erase(s.begin() + 3); })),
            "m.cofi: no 'record' section");
  EXPECT_EQ(decode_error(edited(bytes, [](auto& s) { s.erase(s.begin()); })), "m.cofi: no 'config' section");
  EXPECT_EQ(decode_error(edited(bytes, [](auto& s) { s.push_back(s[2]); })),
            "m.cofi: section 'id maps' appears twice");
}

TEST(ModelFileErrors, IdMapSizeDiffersFromConfig) {
  std::string bytes = edited(small_dotbias_file(), [](auto& s) {
    ByteWriter w;
    w.u8(0);
    w.u64(9);
    for (uint32_t i = 0; i < 9; ++i) w.u32(i);
    w.u8(1);
    w.u64(8);
    for (uint32_t i = 0; i < 8; ++i) w.str(std::string(1, static_cast<char>('a' + i)));
    section(s, detail::kTagIds).payload = w.take();
  });
  EXPECT_EQ(decode_error(bytes), "m.cofi: the user id map has 9 ids, the config says 10 users");
}

TEST(ModelFileErrors, IdsNotSorted) {
  std::string bytes = edited(small_dotbias_file(), [](auto& s) {
    std::string& p = section(s, detail::kTagIds).payload;
    // Swap the first two user ids (1 and 4).
    std::swap_ranges(p.begin() + 9, p.begin() + 13, p.begin() + 13);
  });
  EXPECT_THAT(decode_error(bytes), HasSubstr("m.cofi: section 'id maps': user ids: "));
}

TEST(ModelFileErrors, BadIdKind) {
  std::string bytes =
      edited(small_dotbias_file(), [](auto& s) { section(s, detail::kTagIds).payload[0] = 7; });
  EXPECT_EQ(decode_error(bytes),
            "m.cofi: section 'id maps': user id kind is 7, expected 0 (integers) or 1 (strings)");
}

TEST(ModelFileErrors, HugeStringIdCount) {
  SavedModel m = make_model(config_of(ModelKind::dotbias, 10, 8, 4), true);
  std::string bytes = edited(encode_model(m), [](auto& s) {
    std::string& p = section(s, detail::kTagIds).payload;
    p.replace(1, 8, std::string(8, '\xff'));
  });
  EXPECT_THAT(
      decode_error(bytes),
      HasSubstr("m.cofi: section 'id maps': 18446744073709551615 user ids need more than 2^64 bytes, "));
}

TEST(ModelFileErrors, BadFlagInRecord) {
  std::string bytes = edited(small_dotbias_file(), [](auto& s) {
    std::string& p = section(s, detail::kTagRecord).payload;
    // settings str, epoch count, then epoch 1: number (4), loss (8), has_valid.
    size_t settings = 8 + std::string(R"({"epochs":2,"lr":0.005,"wd":0.1})").size();
    p[settings + 4 + 4 + 8] = 2;
  });
  EXPECT_EQ(decode_error(bytes), "m.cofi: section 'record': has_valid flag is 2, expected 0 or 1");
}

// ---- the version-1 golden file ---------------------------------------------------------------
//
// tests/fixtures/model-v1-dotbias.cofi was written by the version-1 writer (golden_model() below,
// saved by running this test binary with COFI_WRITE_GOLDEN=PATH). It must load, with these exact
// values, in every later build: it is what keeps old model files readable. Never regenerate it
// once a newer format version exists; add a model-v2-... file beside it instead.

SavedModel golden_model() {
  ModelConfig c;
  c.kind = ModelKind::dotbias;
  c.n_users = 3;
  c.n_items = 4;
  c.user_factors = c.item_factors = 2;
  c.y_min = 0.5f;
  c.y_max = 5.5f;
  SavedModel m;
  m.model = Model::create(c, 1);
  auto& p = m.model->parameters();
  p[0].value = {0.25f, -0.5f, 0.125f, 0.75f, -1.0f, 0.0625f};             // u_weight 3x2
  p[1].value = {0.5f, 0.5f, -0.25f, 1.0f, 0.375f, -0.125f, 2.0f, -2.0f};  // i_weight 4x2
  p[2].value = {0.1f, -0.2f, 0.3f};                                       // u_bias 3x1
  p[3].value = {-0.05f, 0.15f, 0.0f, 0.45f};                              // i_bias 4x1
  m.users = IdMap::from_sorted_ints({1, 7, 42});
  m.items = IdMap::from_sorted_strings({"m1", "m2", "m3", "tt0114709"});
  m.record.settings = R"({"model":"dotbias","factors":2,"epochs":2,"lr":0.005,"wd":0.1,"seed":42})";
  m.record.history = {epoch(1, 1.25, 1.125, 0.5, 0.375, false), epoch(2, 0.875, 1.0, 0.25, 0.125, false)};
  m.record.data_source = "golden/ratings.csv";
  m.record.n_ratings = 12;
  m.record.rating_mean = 3.5;
  m.optimizer_state = {'o', 'p', 't', 0, 1, 2};
  return m;
}

std::string golden_path() { return std::string(COFI_FIXTURES_DIR) + "/model-v1-dotbias.cofi"; }

TEST(ModelFileGolden, WriteWhenAsked) {
  const char* out = std::getenv("COFI_WRITE_GOLDEN");
  if (!out) GTEST_SKIP() << "set COFI_WRITE_GOLDEN=PATH to write the golden file";
  save_model(out, golden_model());
}

TEST(ModelFileGolden, Version1StillLoads) {
  ModelFileInfo info;
  SavedModel m = load_model(golden_path(), &info);
  EXPECT_EQ(info.version, 1u);
  const ModelConfig& c = m.model->config();
  EXPECT_EQ(c.kind, ModelKind::dotbias);
  EXPECT_EQ(c.n_users, 3u);
  EXPECT_EQ(c.n_items, 4u);
  EXPECT_EQ(c.user_factors, 2u);
  EXPECT_TRUE(c.y_range);
  EXPECT_EQ(c.y_min, 0.5f);
  EXPECT_EQ(c.y_max, 5.5f);
  const auto& p = m.model->parameters();
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0].name, "u_weight");
  EXPECT_EQ(p[0].value, (std::vector<float>{0.25f, -0.5f, 0.125f, 0.75f, -1.0f, 0.0625f}));
  EXPECT_EQ(p[1].value, (std::vector<float>{0.5f, 0.5f, -0.25f, 1.0f, 0.375f, -0.125f, 2.0f, -2.0f}));
  EXPECT_EQ(p[2].value, (std::vector<float>{0.1f, -0.2f, 0.3f}));
  EXPECT_EQ(p[3].value, (std::vector<float>{-0.05f, 0.15f, 0.0f, 0.45f}));
  EXPECT_EQ(m.users, IdMap::from_sorted_ints({1, 7, 42}));
  EXPECT_EQ(m.items, IdMap::from_sorted_strings({"m1", "m2", "m3", "tt0114709"}));
  EXPECT_EQ(m.record, golden_model().record);
  EXPECT_EQ(m.optimizer_state, (std::vector<uint8_t>{'o', 'p', 't', 0, 1, 2}));

  // A prediction worked by hand: user 7 (row 1), item "tt0114709" (row 3):
  // 0.125 * 2 + 0.75 * -2 + (-0.2) + 0.45 = -1.0; 0.5 + 5 * sigmoid(-1.0).
  uint32_t u = 1, i = 3;
  float out = 0;
  m.model->predict(&u, &i, 1, &out);
  EXPECT_NEAR(out, 0.5 + 5.0 / (1.0 + std::exp(1.0)), 1e-6);
}

// While the writer writes version 1, it writes the golden file byte for byte.
TEST(ModelFileGolden, WriterReproducesIt) {
  // Version 2 added hybrid and content; dotbias files are still written at version 1, byte for byte.
  ASSERT_EQ(detail::format_version_for(ModelKind::dotbias), 1u)
      << "dotbias files are written at a new version: keep the v1 file, drop this test";
  EXPECT_EQ(encode_model(golden_model()), read_bytes(golden_path()));
}

}  // namespace
}  // namespace cofi
