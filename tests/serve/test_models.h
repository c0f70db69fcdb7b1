// Small models of every kind for the serve tests, built in memory: parameters drawn well away
// from their 0.01-scale initialisation (so rankings are decided by clear margins), raw ids that
// differ from model rows (items 10, 20, 30, ...; users 101, 102, ...) so that a mix-up of the two
// shows, titles that a search can find, genres, rating counts and a training history.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "cofi/io/model_file.h"
#include "features_of.h"

namespace cofi::serve_test {

struct TestModelOptions {
  ModelKind kind = ModelKind::dotbias;
  uint32_t users = 12, items = 40;
  bool history = true;      // a training history (what GET /v1/recommend leaves out)
  bool catalog = true;      // titles, years, genres and rating counts
  bool string_ids = false;  // "u101", "i10" instead of integers
  uint64_t seed = 1;
};

inline std::string test_title(uint32_t row) {
  static const char* names[] = {"Toy Story (1995)", "Toy Story 2 (1999)", "Heat (1995)",   "Casino (1995)",
                                "Toys (1992)",      "Sabrina (1995)",     "Jumanji (1995)"};
  if (row < 7) return names[row];
  return "Film number " + std::to_string(row) + " (" + std::to_string(1950 + row) + ")";
}
inline std::vector<std::string> test_genres() { return {"Comedy", "Drama", "Action", "Animation"}; }
// Item row i has genre i % 4, and Drama too when i % 3 == 0.
inline std::vector<uint16_t> test_item_genres(uint32_t i) {
  std::vector<uint16_t> g = {static_cast<uint16_t>(i % 4)};
  if (i % 3 == 0 && i % 4 != 1) g.push_back(1);
  std::sort(g.begin(), g.end());
  return g;
}
inline uint32_t test_count(uint32_t i) { return (i * 7) % 50 + 1; }
// User u rated item i (with 1 + (u + i) % 5 stars) when (u * 7 + i * 3) % 5 == 0.
inline bool test_rated(uint32_t u, uint32_t i) { return (u * 7 + i * 3) % 5 == 0; }

inline SavedModel test_model(const TestModelOptions& o) {
  ModelConfig c;
  c.kind = o.kind;
  c.n_users = o.users;
  c.n_items = o.items;
  c.user_factors = c.item_factors = o.kind == ModelKind::nn ? 6 : 5;
  c.hidden = {8};
  // hybrid: users have a feature by parity, items their genres; content: the genres alone.
  if (o.kind == ModelKind::hybrid) c.user_features = 2;
  if (o.kind == ModelKind::hybrid || o.kind == ModelKind::content) c.item_features = 4;
  SavedModel m;
  m.model = Model::create(c, o.seed);
  std::mt19937 rng(static_cast<unsigned>(o.seed));
  // hybrid adds feature rows to id rows: smaller values keep its sigmoid off saturation, where
  // predictions would tie in float.
  std::normal_distribution<float> normal(0, o.kind == ModelKind::hybrid ? 0.3f : 0.7f);
  for (auto& p : m.model->parameters())
    if (p.trainable && p.name.find(".2.") == std::string::npos)  // not nn's BatchNorm
      for (float& v : p.value) v = normal(rng);
  if (o.kind == ModelKind::content) {  // nothing trainable: profiles, means near 3, idf 1
    auto& p = m.model->parameters();
    for (float& v : p[0].value) v = normal(rng);
    for (float& v : p[1].value) v = 3.0f + normal(rng);
    for (float& v : p[2].value) v = 1.0f;
  }
  if (uses_features(o.kind)) {
    std::vector<std::vector<std::pair<uint32_t, float>>> items(o.items), users(o.users);
    for (uint32_t i = 0; i < o.items; ++i)
      for (uint16_t g : test_item_genres(i)) items[i].push_back({g, 1.0f});
    m.model->set_features(Side::item, test::features_of(test_genres(), items));
    for (uint32_t u = 0; u < o.users; ++u) users[u].push_back({u % 2, 1.0f});
    if (o.kind == ModelKind::hybrid) m.model->set_features(Side::user, test::features_of({"even", "odd"}, users));
  }
  if (o.string_ids) {
    std::vector<std::string> u, i;
    for (uint32_t k = 0; k < o.users; ++k) u.push_back("u" + std::to_string(101 + k));
    for (uint32_t k = 0; k < o.items; ++k) i.push_back("i" + std::to_string(1000 + 10 * k));
    m.users = IdMap::from_sorted_strings(u);
    m.items = IdMap::from_sorted_strings(i);
  } else {
    std::vector<uint32_t> u, i;
    for (uint32_t k = 0; k < o.users; ++k) u.push_back(101 + k);
    for (uint32_t k = 0; k < o.items; ++k) i.push_back(10 * (k + 1));
    m.users = IdMap::from_sorted_ints(u);
    m.items = IdMap::from_sorted_ints(i);
  }
  if (o.history) {
    double sum = 0;
    m.history.offsets.push_back(0);
    for (uint32_t u = 0; u < o.users; ++u) {
      for (uint32_t i = 0; i < o.items; ++i)
        if (test_rated(u, i)) {
          m.history.items.push_back(i);
          m.history.ratings.push_back(static_cast<float>(1 + (u + i) % 5));
          sum += m.history.ratings.back();
        }
      m.history.offsets.push_back(m.history.items.size());
    }
    m.record.n_ratings = m.history.items.size();
    m.record.rating_mean = sum / static_cast<double>(m.history.items.size());
  }
  if (o.catalog) {
    m.catalog.genre_names = test_genres();
    for (uint32_t i = 0; i < o.items; ++i) {
      m.catalog.titles.push_back(test_title(i));
      m.catalog.years.push_back(i < 7 ? (i == 1 ? 1999 : i == 4 ? 1992 : 1995) : static_cast<int>(1950 + i));
      m.catalog.genres.push_back(test_item_genres(i));
      m.catalog.rating_counts.push_back(test_count(i));
    }
  }
  return m;
}

}  // namespace cofi::serve_test
