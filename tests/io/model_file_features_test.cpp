// Format version 2 of the model file: hybrid and content models with their features. Round trips
// (parameters, features and predictions bit for bit, cold rows included), the version each kind is
// written at (dot, dotbias and nn stay version 1), the exact message for each bad features
// section, robustness against every truncation and resealed change, and the version-2 golden
// file every later build must still load (tests/fixtures/model-v2-hybrid.cofi).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "cofi/error.h"
#include "cofi/io/model_file.h"
#include "model_file_impl.h"
#include "support/fixtures.h"
#include "features_of.h"

namespace cofi {
namespace {

using ::testing::HasSubstr;

using cofi::test::features_of;

// A hybrid of 3 users and 4 items, 2 factors, 2 user and 3 item features; item 3 has no ratings
// (its id rows are zero) but has genre "g=B", so its predictions come from its features alone.
SavedModel hybrid_model(bool string_ids = false) {
  ModelConfig c;
  c.kind = ModelKind::hybrid;
  c.n_users = 3;
  c.n_items = 4;
  c.user_factors = c.item_factors = 2;
  c.user_features = 2;
  c.item_features = 3;
  c.y_min = 0.5f;
  c.y_max = 5.5f;
  c.id_dropout = 0.25f;  // training only: predictions do not change
  SavedModel m;
  m.model = Model::create(c, 1);
  auto& p = m.model->parameters();
  p[0].value = {0.25f, -0.5f, 0.125f, 0.75f, -1.0f, 0.0625f};            // u_weight 3x2
  p[1].value = {0.5f, 0.5f, -0.25f, 1.0f, 0.375f, -0.125f, 0.0f, 0.0f};  // i_weight 4x2 (item 3 cold)
  p[2].value = {0.1f, -0.2f, 0.3f};                                      // u_bias 3x1
  p[3].value = {-0.05f, 0.15f, 0.25f, 0.0f};                             // i_bias 4x1
  p[4].value = {0.5f, 0.25f, -0.5f, 0.75f};                              // u_feat_weight 2x2
  p[5].value = {1.0f, -1.0f, 0.5f, 0.5f, -0.25f, 2.0f};                  // i_feat_weight 3x2
  p[6].value = {0.125f, -0.125f};                                        // u_feat_bias 2x1
  p[7].value = {0.2f, -0.3f, 0.4f};                                      // i_feat_bias 3x1
  m.model->set_features(Side::user, features_of({"gender=F", "gender=M"}, {{{0, 1.0f}}, {{1, 1.0f}}, {}}));
  m.model->set_features(Side::item, features_of({"g=A", "g=B", "decade=1990s"},
                                                {{{0, 0.5f}, {1, 0.5f}}, {{2, 1.0f}}, {}, {{1, 1.0f}}}));
  m.users = string_ids ? IdMap::from_sorted_strings({"a", "b", "c"}) : IdMap::from_sorted_ints({1, 7, 42});
  m.items = string_ids ? IdMap::from_sorted_strings({"m1", "m2", "m3", "m4"})
                       : IdMap::from_sorted_ints({10, 20, 30, 40});
  m.record.settings = R"({"model":"hybrid","factors":2})";
  m.record.data_source = "golden/ratings.csv";
  m.record.n_ratings = 9;
  m.record.rating_mean = 3.5;
  return m;
}

SavedModel content_model() {
  ModelConfig c;
  c.kind = ModelKind::content;
  c.n_users = 2;
  c.n_items = 3;
  c.item_features = 2;
  SavedModel m;
  m.model = Model::create(c, 1);
  auto& p = m.model->parameters();
  p[0].value = {0.5f, -0.25f, 0.0f, 0.75f};  // u_profile 2x2
  p[1].value = {3.5f, 4.0f};                 // u_mean
  p[2].value = {1.25f, 2.0f};                // idf
  m.model->set_features(Side::item, features_of({"a", "b"}, {{{0, 1.0f}}, {{0, 0.5f}, {1, 0.5f}}, {}}));
  m.users = IdMap::from_sorted_ints({1, 2});
  m.items = IdMap::from_sorted_ints({1, 2, 3});
  return m;
}

std::vector<float> all_predictions(const Model& model) {
  std::vector<uint32_t> users, items;
  for (uint32_t u = 0; u < model.config().n_users; ++u)
    for (uint32_t i = 0; i < model.config().n_items; ++i) {
      users.push_back(u);
      items.push_back(i);
    }
  std::vector<float> out(users.size());
  model.predict(users.data(), items.data(), users.size(), out.data());
  return out;
}

void expect_same(const SavedModel& a, const SavedModel& b) {
  const ModelConfig &ca = a.model->config(), &cb = b.model->config();
  EXPECT_EQ(ca.kind, cb.kind);
  EXPECT_EQ(ca.user_features, cb.user_features);
  EXPECT_EQ(ca.item_features, cb.item_features);
  EXPECT_EQ(ca.id_dropout, cb.id_dropout);
  ASSERT_EQ(a.model->parameters().size(), b.model->parameters().size());
  for (size_t k = 0; k < a.model->parameters().size(); ++k)
    EXPECT_EQ(a.model->parameters()[k].value, b.model->parameters()[k].value)
        << a.model->parameters()[k].name;
  EXPECT_EQ(a.model->features(Side::user), b.model->features(Side::user));
  EXPECT_EQ(a.model->features(Side::item), b.model->features(Side::item));
  EXPECT_EQ(a.users, b.users);
  EXPECT_EQ(a.items, b.items);
  EXPECT_EQ(all_predictions(*a.model), all_predictions(*b.model));
}

std::string decode_error(const std::string& bytes) {
  try {
    decode_model(bytes, "m.cofi");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

template <class Edit>
std::string edited(const std::string& bytes, Edit edit, uint32_t version = 2) {
  auto sections = detail::split_model_file(bytes, "m.cofi");
  edit(sections);
  return detail::assemble_model_file(sections, version);
}

detail::RawSection& section(std::vector<detail::RawSection>& sections, uint32_t tag) {
  for (auto& s : sections)
    if (s.tag == tag) return s;
  throw std::runtime_error("no such section");
}

// A features payload: user part, then item part (u64 names, names, u64 rows, offsets, u64 entries,
// indices, weights).
std::string features_payload(const Features& users, const Features& items) {
  ByteWriter w;
  for (const Features* f : {&users, &items}) {
    w.u64(f->names.size());
    for (const auto& n : f->names) w.str(n);
    w.u64(f->rows());
    if (f->rows() > 0)
      for (uint64_t o : f->offsets) w.u64(o);
    w.u64(f->index.size());
    for (uint32_t i : f->index) w.u32(i);
    w.f32s(f->weight.data(), f->weight.size());
  }
  return w.take();
}

TEST(ModelFileV2, HybridRoundTrips) {
  for (bool string_ids : {false, true}) {
    SavedModel m = hybrid_model(string_ids);
    std::string bytes = encode_model(m);
    ModelFileInfo info;
    SavedModel back = decode_model(bytes, "mem", &info);
    expect_same(m, back);
    EXPECT_EQ(info.version, 2u);
    std::vector<std::string> names;
    for (const auto& s : info.sections) names.push_back(s.name);
    EXPECT_EQ(names, (std::vector<std::string>{"config", "parameters", "id maps", "record", "features"}));
    EXPECT_EQ(encode_model(back), bytes);  // deterministic
    // The cold item (row 3) is predicted from its genre, through the file.
    uint32_t u = 0, i = 3;
    float before = 0, after = 0;
    m.model->predict(&u, &i, 1, &before);
    back.model->predict(&u, &i, 1, &after);
    EXPECT_EQ(before, after);
  }
  test::TempDir dir;
  save_model(dir.file("h.cofi"), hybrid_model());
  expect_same(hybrid_model(), load_model(dir.file("h.cofi")));
}

TEST(ModelFileV2, ContentRoundTripsAndOtherKindsStayVersion1) {
  SavedModel m = content_model();
  ModelFileInfo info;
  expect_same(m, decode_model(encode_model(m), "mem", &info));
  EXPECT_EQ(info.version, 2u);
  EXPECT_EQ(detail::format_version_for(ModelKind::dotbias), 1u);
  EXPECT_EQ(detail::format_version_for(ModelKind::nn), 1u);
  EXPECT_EQ(detail::format_version_for(ModelKind::hybrid), 2u);
  EXPECT_EQ(detail::format_version_for(ModelKind::content), 2u);
}

TEST(ModelFileV2, HybridInAVersion1FileIsAnError) {
  std::string bytes = edited(
      encode_model(hybrid_model()),
      [](auto& s) {
        section(s, detail::kTagConfig).payload =
            detail::encode_config_payload(hybrid_model().model->config(), 1);
      },
      1);
  EXPECT_EQ(decode_error(bytes),
            "m.cofi: section 'config': model kind \"hybrid\" needs format version 2, the file is version 1");
}

TEST(ModelFileV2, MissingFeaturesSection) {
  std::string bytes = edited(encode_model(hybrid_model()), [](auto& s) {
    s.erase(std::remove_if(s.begin(), s.end(), [](const auto& x) { return x.tag == detail::kTagFeatures; }),
            s.end());
  });
  EXPECT_EQ(decode_error(bytes), "m.cofi: no 'features' section (a hybrid model needs one)");
}

TEST(ModelFileV2, BadFeaturesSections) {
  const SavedModel m = hybrid_model();
  const Features users = m.model->features(Side::user), items = m.model->features(Side::item);
  auto with = [&](const Features& u, const Features& i) {
    return edited(encode_model(hybrid_model()),
                  [&](auto& s) { section(s, detail::kTagFeatures).payload = features_payload(u, i); });
  };
  // Too few rows, a feature beyond the names, a vocabulary of the wrong size, a bad weight.
  Features short_rows = features_of(users.names, {{}, {}});
  EXPECT_EQ(decode_error(with(short_rows, items)),
            "m.cofi: section 'features': model hybrid: user features: features for 2 rows, expected 3");
  Features beyond = features_of(items.names, {{{5, 1.0f}}, {}, {}, {}});
  EXPECT_EQ(
      decode_error(with(users, beyond)),
      "m.cofi: section 'features': model hybrid: item features: row 0 has feature 5, beyond the 3 names");
  Features few_names = features_of({"x"}, {{}, {}, {}});
  EXPECT_EQ(decode_error(with(few_names, items)),
            "m.cofi: section 'features': model hybrid: user features: 1 names, the config says 2");
  Features zero_weight = features_of(users.names, {{{0, 0.0f}}, {}, {}});
  EXPECT_EQ(
      decode_error(with(zero_weight, items)),
      "m.cofi: section 'features': model hybrid: user features: row 0 has feature weight 0 (weights must be "
      "finite and > 0)");
  // Bytes left over, and a count larger than the section.
  std::string bytes =
      edited(encode_model(hybrid_model()), [](auto& s) { section(s, detail::kTagFeatures).payload += "xy"; });
  EXPECT_EQ(decode_error(bytes), "m.cofi: section 'features': 2 bytes left over after its fields");
  bytes = edited(encode_model(hybrid_model()), [](auto& s) {
    std::string& p = section(s, detail::kTagFeatures).payload;
    p[0] = '\xff';  // the user name count's low byte: 255 names
  });
  EXPECT_THAT(decode_error(bytes),
              HasSubstr("m.cofi: section 'features': 255 user feature names need at least"));
  // content: no user features.
  bytes = edited(encode_model(content_model()), [](auto& s) {
    section(s, detail::kTagFeatures).payload =
        features_payload(features_of({"x"}, {{}, {}}), content_model().model->features(Side::item));
  });
  EXPECT_EQ(decode_error(bytes), "m.cofi: section 'features': a content model has no user features");
}

TEST(ModelFileV2, EveryTruncationAndResealedChangeIsHandled) {
  const std::string bytes = encode_model(hybrid_model(true));
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_THAT(decode_error(bytes.substr(0, n)), HasSubstr("m.cofi")) << "cut at " << n;
  for (size_t k = 16; k + 4 < bytes.size(); ++k)
    for (int x : {0x01, 0x80, 0xff}) {
      std::string b = bytes;
      b[k] = static_cast<char>(b[k] ^ x);
      const uint32_t crc = detail::model_checksum(std::string_view(b).substr(0, b.size() - 4));
      for (int i = 0; i < 4; ++i) b[b.size() - 4 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
      try {
        decode_model(b, "m.cofi");
      } catch (const Error&) {
      }
    }
}

// tests/fixtures/model-v2-hybrid.cofi is hybrid_model() as the first version-2 writer saved it
// (COFI_WRITE_GOLDEN_V2=PATH build/dev/tests/test_model_file --gtest_filter=ModelFileV2Golden.*).
std::string golden_v2_path() { return std::string(COFI_FIXTURES_DIR) + "/model-v2-hybrid.cofi"; }

TEST(ModelFileV2Golden, WriteWhenAsked) {
  const char* out = std::getenv("COFI_WRITE_GOLDEN_V2");
  if (!out) GTEST_SKIP() << "set COFI_WRITE_GOLDEN_V2=PATH to write the golden file";
  save_model(out, hybrid_model());
}

TEST(ModelFileV2Golden, Version2StillLoads) {
  ModelFileInfo info;
  SavedModel m = load_model(golden_v2_path(), &info);
  EXPECT_EQ(info.version, 2u);
  expect_same(m, hybrid_model());
  // A prediction worked by hand: user 1 (gender=M), item 3 (cold, g=B):
  //   U = (0.125, 0.75) + (-0.5, 0.75) = (-0.375, 1.5), user bias -0.2 - 0.125 = -0.325
  //   I = (0, 0) + (0.5, 0.5) = (0.5, 0.5), item bias 0 - 0.3 = -0.3
  //   x = -0.1875 + 0.75 - 0.325 - 0.3 = -0.0625; 0.5 + 5 sigmoid(x).
  uint32_t u = 1, i = 3;
  float out = 0;
  m.model->predict(&u, &i, 1, &out);
  EXPECT_NEAR(out, 0.5 + 5.0 / (1.0 + std::exp(0.0625)), 1e-6);
}

TEST(ModelFileV2Golden, WriterReproducesIt) {
  std::ifstream in(golden_v2_path(), std::ios::binary);
  const std::string golden{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  EXPECT_EQ(encode_model(hybrid_model()), golden);
}

}  // namespace
}  // namespace cofi
