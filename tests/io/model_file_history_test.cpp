// The model file's optional training history (HIST) and item catalog (ITEM) sections: round
// trips with every part (titles with odd bytes, negative and unknown years, genre indices past
// 255, rating counts; integer and string ids), which sections are written when, the encoder's
// refusals, and the exact message for each corrupt payload.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cofi/error.h"
#include "cofi/io/model_file.h"
#include "model_file_impl.h"

namespace cofi {
namespace {

using ::testing::HasSubstr;

// A dotbias model of 3 users and 4 items, with a history and a full catalog.
SavedModel model_with_extras(bool string_ids) {
  ModelConfig c;
  c.kind = ModelKind::dotbias;
  c.n_users = 3;
  c.n_items = 4;
  c.user_factors = c.item_factors = 2;
  SavedModel m;
  m.model = Model::create(c, 3);
  if (string_ids) {
    m.users = IdMap::from_sorted_strings({"alice", "bob", "carol"});
    m.items = IdMap::from_sorted_strings({"tt01", "tt02", "tt03", "tt04"});
  } else {
    m.users = IdMap::from_sorted_ints({1, 5, 9});
    m.items = IdMap::from_sorted_ints({10, 20, 30, 40});
  }
  m.record.data_source = "test";
  // User 0 rated items 0, 2, 3; user 1 none; user 2 item 1.
  m.history.offsets = {0, 3, 3, 4};
  m.history.items = {0, 2, 3, 1};
  m.history.ratings = {4.5f, 1.0f, 3.0f, 0.5f};
  Catalog& k = m.catalog;
  k.titles = {"Toy Story (1995)", "", "Amélie (2001)", "Quote \"this\", comma\nnewline"};
  k.years = {1995, 0, 2001, -44};
  for (int g = 0; g < 300; ++g) k.genre_names.push_back("genre" + std::to_string(g));
  k.genres = {{0, 3}, {}, {299, 256, 1}, {255}};
  k.rating_counts = {3, 1, 1, 0};
  return m;
}

void expect_extras_equal(const SavedModel& a, const SavedModel& b) {
  EXPECT_EQ(a.history, b.history);
  EXPECT_EQ(a.catalog, b.catalog);
  EXPECT_EQ(a.users, b.users);
  EXPECT_EQ(a.items, b.items);
}

TEST(ModelFileExtras, RoundTripWithIntegerAndStringIds) {
  for (bool string_ids : {false, true}) {
    const SavedModel m = model_with_extras(string_ids);
    const std::string bytes = encode_model(m);
    ModelFileInfo info;
    const SavedModel back = decode_model(bytes, "m.cofi", &info);
    expect_extras_equal(m, back);
    EXPECT_EQ(back.history.items_of(0).size(), 3u);
    EXPECT_TRUE(back.history.items_of(1).empty());
    EXPECT_EQ(back.catalog.years[3], -44);
    EXPECT_EQ(back.catalog.genre_text(2), "genre299|genre256|genre1");
    ASSERT_EQ(info.sections.size(), 6u);  // no optimizer state
    EXPECT_EQ(info.sections[4].name, "history");
    EXPECT_EQ(info.sections[5].name, "catalog");
    EXPECT_TRUE(info.sections[4].known);
    // HIST: user count, rating count, 4 offsets, 4 items, 4 ratings.
    EXPECT_EQ(info.sections[4].bytes, 4u + 8 + 4 * 8 + 4 * 4 + 4 * 4);
    EXPECT_EQ(encode_model(back), bytes);  // deterministic
  }
}

TEST(ModelFileExtras, PartsMayBeMissing) {
  SavedModel m = model_with_extras(false);
  // Only counts: a model trained on data without an item file.
  m.catalog = Catalog{};
  m.catalog.rating_counts = {0, 2, 0, 7};
  SavedModel back = decode_model(encode_model(m), "m.cofi");
  EXPECT_EQ(back.catalog, m.catalog);
  EXPECT_FALSE(back.catalog.has_titles());
  // Titles and years, no genres.
  m.catalog = Catalog{};
  m.catalog.titles = {"a", "b", "c", "d"};
  m.catalog.years = {1, 2, 3, 4};
  back = decode_model(encode_model(m), "m.cofi");
  EXPECT_EQ(back.catalog, m.catalog);
  // Genre names only (a vocabulary with no item lists).
  m.catalog = Catalog{};
  m.catalog.genre_names = {"Drama"};
  back = decode_model(encode_model(m), "m.cofi");
  EXPECT_EQ(back.catalog, m.catalog);
}

TEST(ModelFileExtras, EmptyHistoryAndCatalogWriteNoSections) {
  SavedModel m = model_with_extras(false);
  m.history = UserItems{};
  m.catalog = Catalog{};
  ModelFileInfo info;
  SavedModel back = decode_model(encode_model(m), "m.cofi", &info);
  EXPECT_TRUE(back.history.empty());
  EXPECT_EQ(back.catalog, Catalog{});
  EXPECT_EQ(info.sections.size(), 4u);
  // A history of users who rated nothing is still a history (recommend can tell "rated nothing"
  // from "unknown"): its section is written.
  m.history.offsets = {0, 0, 0, 0};
  back = decode_model(encode_model(m), "m.cofi", &info);
  EXPECT_FALSE(back.history.empty());
  EXPECT_EQ(back.history, m.history);
  EXPECT_EQ(info.sections.size(), 5u);
}

TEST(ModelFileExtras, EncoderRefusesMismatchedSizes) {
  SavedModel m = model_with_extras(false);
  m.history.offsets = {0, 3, 4};
  try {
    encode_model(m);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "cannot encode a model file: the history has 2 users, the model 3");
  }
  m = model_with_extras(false);
  m.catalog.years = {1, 2};
  try {
    encode_model(m);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "cannot encode a model file: the catalog has a part of 2 entries for 4 items");
  }
}

// ---- corrupt payloads ------------------------------------------------------------------------

std::string decode_error(const std::string& bytes) {
  try {
    decode_model(bytes, "m.cofi");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// The model's file with the payload of section `tag` replaced.
std::string with_payload(uint32_t tag, const std::string& payload) {
  auto sections = detail::split_model_file(encode_model(model_with_extras(false)), "m.cofi");
  bool found = false;
  for (auto& s : sections)
    if (s.tag == tag) {
      s.payload = payload;
      found = true;
    }
  EXPECT_TRUE(found);
  return detail::assemble_model_file(sections);
}

std::string history_payload(uint32_t users, uint64_t n, const std::vector<uint64_t>& offsets,
                            const std::vector<uint32_t>& items, size_t ratings) {
  ByteWriter w;
  w.u32(users);
  w.u64(n);
  for (uint64_t o : offsets) w.u64(o);
  for (uint32_t i : items) w.u32(i);
  for (size_t r = 0; r < ratings; ++r) w.f32(3.0f);
  return w.take();
}

std::string hist_error(uint32_t users, uint64_t n, const std::vector<uint64_t>& offsets,
                       const std::vector<uint32_t>& items, size_t ratings) {
  return decode_error(with_payload(detail::kTagHistory, history_payload(users, n, offsets, items, ratings)));
}

TEST(ModelFileExtrasErrors, History) {
  const std::string at = "m.cofi: section 'history': ";
  // The valid payload decodes, so each case below fails for its one change.
  EXPECT_EQ(hist_error(3, 4, {0, 3, 3, 4}, {0, 2, 3, 1}, 4), "(no error)");
  EXPECT_EQ(hist_error(2, 4, {0, 3, 4}, {0, 2, 3, 1}, 4), at + "holds 2 users, the config says 3");
  EXPECT_EQ(hist_error(3, 4, {1, 3, 3, 4}, {0, 2, 3, 1}, 4), at + "row offsets do not span the ratings");
  EXPECT_EQ(hist_error(3, 4, {0, 3, 3, 3}, {0, 2, 3, 1}, 4), at + "row offsets do not span the ratings");
  EXPECT_EQ(hist_error(3, 4, {0, 3, 2, 4}, {0, 2, 3, 1}, 4), at + "row offsets are not ascending at user 1");
  // An offset past the end: found before any row is read through it.
  EXPECT_EQ(hist_error(3, 4, {0, 4000000000, 2, 4}, {0, 2, 3, 1}, 4),
            at + "row offsets are not ascending at user 1");
  EXPECT_EQ(hist_error(3, 4, {0, 3, 3, 4}, {0, 3, 2, 1}, 4),
            at + "the items of user 0 are not ascending and unique");
  EXPECT_EQ(hist_error(3, 4, {0, 3, 3, 4}, {0, 2, 2, 1}, 4),
            at + "the items of user 0 are not ascending and unique");
  EXPECT_EQ(hist_error(3, 4, {0, 3, 3, 4}, {0, 2, 3, 4}, 4), at + "item 4 is beyond the 4 items");
  EXPECT_EQ(hist_error(3, 4, {0, 3, 3, 4}, {0, 2, 3, 1}, 3),
            at + "4 ratings need at least 32 bytes, 28 left");
  EXPECT_EQ(hist_error(3, 1000, {0, 3, 3, 1000}, {0, 2, 3, 1}, 4),
            at + "1000 ratings need at least 8000 bytes, 32 left");
  EXPECT_EQ(hist_error(3, 4, {0, 3, 3}, {}, 0), at + "4 row offsets need at least 32 bytes, 24 left");
  EXPECT_EQ(decode_error(with_payload(detail::kTagHistory,
                                      history_payload(3, 4, {0, 3, 3, 4}, {0, 2, 3, 1}, 4) + "xy")),
            at + "2 bytes left over after its fields");
}

struct CatalogParts {
  std::vector<std::string> titles{"a", "b", "c", "d"};
  std::vector<uint32_t> years{1, 2, 3, 4};
  std::vector<std::string> names{"x", "y", "z"};
  std::vector<std::vector<uint16_t>> genres{{0}, {}, {1, 2}, {2}};
  std::vector<uint32_t> counts{1, 2, 3, 4};
};

std::string catalog_payload(const CatalogParts& p) {
  ByteWriter w;
  w.u64(p.titles.size());
  for (const auto& t : p.titles) w.str(t);
  w.u64(p.years.size());
  for (uint32_t y : p.years) w.u32(y);
  w.u64(p.names.size());
  for (const auto& n : p.names) w.str(n);
  w.u64(p.genres.size());
  for (const auto& list : p.genres) {
    w.u32(static_cast<uint32_t>(list.size()));
    for (uint16_t g : list) {
      w.u8(static_cast<uint8_t>(g & 0xff));
      w.u8(static_cast<uint8_t>(g >> 8));
    }
  }
  w.u64(p.counts.size());
  for (uint32_t c : p.counts) w.u32(c);
  return w.take();
}

std::string catalog_error(const CatalogParts& p) {
  return decode_error(with_payload(detail::kTagCatalog, catalog_payload(p)));
}

TEST(ModelFileExtrasErrors, Catalog) {
  const std::string at = "m.cofi: section 'catalog': ";
  CatalogParts ok;
  EXPECT_EQ(catalog_error(ok), "(no error)");
  {
    SavedModel back = decode_model(with_payload(detail::kTagCatalog, catalog_payload(ok)), "m.cofi");
    EXPECT_EQ(back.catalog.genre_text(2), "y|z");
    EXPECT_EQ(back.catalog.years[3], 4);
  }
  CatalogParts p = ok;
  p.titles.pop_back();
  EXPECT_EQ(catalog_error(p), at + "titles: 3 entries for 4 items");
  p = ok;
  p.years.push_back(5);
  EXPECT_EQ(catalog_error(p), at + "years: 5 entries for 4 items");
  p = ok;
  p.genres.resize(2);
  EXPECT_EQ(catalog_error(p), at + "genre lists: 2 entries for 4 items");
  p = ok;
  p.counts = {1};
  EXPECT_EQ(catalog_error(p), at + "rating counts: 1 entries for 4 items");
  p = ok;
  p.genres[2] = {1, 3};
  EXPECT_EQ(catalog_error(p), at + "genre 3 is beyond the 3 genre names");
  p = ok;
  p.genres[0] = {0x0100};  // the high byte counts
  EXPECT_EQ(catalog_error(p), at + "genre 256 is beyond the 3 genre names");
  p = ok;
  p.names.clear();
  EXPECT_EQ(catalog_error(p), at + "genre 0 is beyond the 0 genre names");
  // Counts that the payload cannot hold are refused before anything is allocated.
  {
    ByteWriter w;
    w.u64(0);
    w.u64(0);
    w.u64(70000);
    EXPECT_EQ(decode_error(with_payload(detail::kTagCatalog, w.take())),
              at + "70000 genre names, at most 65536 fit a u16 index");
  }
  {
    ByteWriter w;
    w.u64(4);
    EXPECT_EQ(decode_error(with_payload(detail::kTagCatalog, w.take())),
              at + "4 titles need at least 32 bytes, 0 left");
  }
  {
    std::string bytes = catalog_payload(ok);
    bytes.resize(bytes.size() - 2);  // half of the last rating count
    EXPECT_EQ(decode_error(with_payload(detail::kTagCatalog, bytes)),
              at + "4 rating counts need at least 16 bytes, 14 left");
  }
  EXPECT_EQ(decode_error(with_payload(detail::kTagCatalog, catalog_payload(ok) + "!")),
            at + "1 bytes left over after its fields");
}

TEST(ModelFileExtrasErrors, SectionsAppearOnce) {
  auto sections = detail::split_model_file(encode_model(model_with_extras(false)), "m.cofi");
  for (uint32_t tag : {detail::kTagHistory, detail::kTagCatalog}) {
    auto twice = sections;
    for (const auto& s : sections)
      if (s.tag == tag) twice.push_back(s);
    EXPECT_THAT(decode_error(detail::assemble_model_file(twice)), HasSubstr("appears twice"));
  }
}

}  // namespace
}  // namespace cofi
