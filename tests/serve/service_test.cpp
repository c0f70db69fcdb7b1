// The service through its transport-free interface: every endpoint answers what the model says
// (checked against predictions, similarities and sorts computed here, not by the code under
// test), for models of every kind, with and without titles, history and integer ids; and every
// error code, with its message.
#include "cofi/serve/service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include <nlohmann/json.hpp>

#include "cofi/recommend/explain.h"
#include "serve/test_models.h"

namespace {

using namespace cofi;
using namespace cofi::serve;
using namespace cofi::serve_test;
using nlohmann::json;

HttpResponse call(Service& s, const std::string& method, const std::string& target,
                  const std::string& body = "") {
  HttpRequest r;
  r.method = method;
  r.target = target;
  r.body = body;
  return s.handle(r);
}

json body_of(const HttpResponse& r) {
  json j = json::parse(r.body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r.body;
  return j;
}

// An error response: the status, JSON {"error": message, "status": status}; returns the message.
std::string error_of(const HttpResponse& r, int status) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  json j = body_of(r);
  EXPECT_TRUE(j.is_object() && j.contains("error") && j["error"].is_string()) << r.body;
  EXPECT_EQ(j.value("status", 0), status) << r.body;
  return j.is_object() && j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>() : "";
}

std::string raw_item(const SavedModel& m, uint32_t row) { return m.items.raw(row); }
std::string raw_user(const SavedModel& m, uint32_t row) { return m.users.raw(row); }
uint32_t row_of_json(const SavedModel& m, const json& id) {
  auto row = id.is_string() ? m.items.find(id.get<std::string>()) : m.items.find(id.get<uint32_t>());
  EXPECT_TRUE(row.has_value()) << id;
  return row.value_or(0);
}

struct Fixture {
  explicit Fixture(const TestModelOptions& o) : service({}, make_state(test_model(o), "test", 1)) {}
  const SavedModel& m() { return service.model()->saved; }
  Service service;
};

std::string name_of(const TestModelOptions& o) {
  return std::string(to_string(o.kind)) + (o.history ? "" : " no-history") +
         (o.catalog ? "" : " no-catalog") + (o.string_ids ? " string-ids" : "");
}

std::vector<TestModelOptions> every_kind() {
  std::vector<TestModelOptions> all;
  for (ModelKind k : {ModelKind::dot, ModelKind::dotbias, ModelKind::nn, ModelKind::hybrid, ModelKind::content}) {
    all.push_back({k});
    all.push_back({k, 12, 40, false, false, true, 2});
  }
  return all;
}

// ---- GET /v1/recommend ----

TEST(ServeRecommend, TopNOfEveryUnratedItemByPredictionForEveryKind) {
  for (const TestModelOptions& o : every_kind()) {
    SCOPED_TRACE(name_of(o));
    Fixture f(o);
    const SavedModel& m = f.m();
    for (uint32_t u = 0; u < o.users; u += 5) {
      auto r = call(f.service, "GET", "/v1/recommend?user=" + raw_user(m, u) + "&n=7");
      ASSERT_EQ(r.status, 200) << r.body;
      json j = body_of(r);
      ASSERT_EQ(j["items"].size(), 7u);
      EXPECT_EQ(j["rated_excluded"], o.history);
      // Every eligible item's prediction, sorted: the full sort the top 7 must equal.
      std::vector<std::pair<float, uint32_t>> all;
      for (uint32_t i = 0; i < o.items; ++i) {
        if (o.history && test_rated(u, i)) continue;
        float p = 0;
        m.model->predict(&u, &i, 1, &p);
        all.push_back({p, i});
      }
      std::stable_sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.first > b.first; });
      for (size_t k = 0; k < 7; ++k) {
        const json& e = j["items"][k];
        const uint32_t row = row_of_json(m, e["item"]);
        EXPECT_FLOAT_EQ(e["prediction"].get<float>(), all[k].first) << "rank " << k;
        EXPECT_EQ(row, all[k].second) << "rank " << k;
        if (o.catalog) {
          EXPECT_EQ(e["title"], test_title(row));
          EXPECT_EQ(e["ratings"], test_count(row));
          EXPECT_EQ(e["genres"].size(), test_item_genres(row).size());
        } else {
          EXPECT_TRUE(e["title"].is_null() && e["year"].is_null() && e["ratings"].is_null());
        }
      }
    }
  }
}

TEST(ServeRecommend, GenreFilterIncludeRatedAndItemBias) {
  Fixture f({ModelKind::dotbias});
  const SavedModel& m = f.m();
  const uint32_t u = 3;
  // Genre: only items with it, still the best of those.
  json j = body_of(call(f.service, "GET", "/v1/recommend?user=" + raw_user(m, u) + "&n=5&genre=animation"));
  ASSERT_EQ(j["items"].size(), 5u);
  for (const json& e : j["items"]) {
    auto g = test_item_genres(row_of_json(m, e["item"]));
    EXPECT_NE(std::find(g.begin(), g.end(), 3), g.end()) << e;
  }
  // exclude_rated=false: rated items may come back; the list is the top 40 of all items.
  j = body_of(call(f.service, "GET", "/v1/recommend?user=" + raw_user(m, u) + "&n=40&exclude_rated=false"));
  EXPECT_EQ(j["items"].size(), 40u);
  EXPECT_EQ(j["rated_excluded"], false);
  // item_bias=false ranks by user . item + user bias: compare with the order of that score.
  j = body_of(call(f.service, "GET",
                   "/v1/recommend?user=" + raw_user(m, u) + "&n=3&item_bias=false&exclude_rated=0"));
  const Parameter& ue = m.model->embedding(Side::user);
  const Parameter& ie = m.model->embedding(Side::item);
  std::vector<std::pair<double, uint32_t>> taste;
  for (uint32_t i = 0; i < m.items.size(); ++i) {
    double d = 0;
    for (uint32_t k = 0; k < ie.cols; ++k) d += static_cast<double>(ue.row(u)[k]) * ie.row(i)[k];
    taste.push_back({d, i});
  }
  std::stable_sort(taste.begin(), taste.end(), [](auto& a, auto& b) { return a.first > b.first; });
  for (size_t k = 0; k < 3; ++k) EXPECT_EQ(row_of_json(m, j["items"][k]["item"]), taste[k].second);
}

// ---- POST /v1/recommend (fold-in) ----

TEST(ServeFoldIn, AnswersAsTheRecommenderDoesAndLeavesOutTheRatedItems) {
  for (const TestModelOptions& o : every_kind()) {
    SCOPED_TRACE(name_of(o));
    Fixture f(o);
    const SavedModel& m = f.m();
    const std::vector<uint32_t> rows = {2, 5, 11, 17, 30};
    const std::vector<float> stars = {5, 1, 4.5f, 2, 4};
    json req = {{"n", 8}, {"ratings", json::array()}};
    for (size_t k = 0; k < rows.size(); ++k) {
      json id = o.string_ids ? json(raw_item(m, rows[k])) : json(m.items.raw_int(rows[k]));
      req["ratings"].push_back({{"item", id}, {"rating", stars[k]}});
    }
    auto r = call(f.service, "POST", "/v1/recommend", req.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    json j = body_of(r);
    EXPECT_EQ(j["rated"], 5);
    ASSERT_EQ(j["items"].size(), 8u);
    // The same newcomer through the library, and the full sort of their predictions.
    Recommender rec(m);
    Newcomer who = rec.fold_in(rows, stars);
    std::vector<std::pair<float, uint32_t>> all;
    for (uint32_t i = 0; i < o.items; ++i) {
      if (std::find(rows.begin(), rows.end(), i) != rows.end()) continue;
      float p = 0;
      m.model->predict_row(Side::user, who.fit.vector.data(), &i, 1, &p, nullptr);
      all.push_back({p, i});
    }
    std::stable_sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.first > b.first; });
    for (size_t k = 0; k < 8; ++k) {
      EXPECT_EQ(row_of_json(m, j["items"][k]["item"]), all[k].second) << "rank " << k;
      EXPECT_NEAR(j["items"][k]["prediction"].get<float>(), all[k].first, 1e-5f);
    }
  }
}

TEST(ServeFoldIn, NoRatingsGiveTheModelsDefaultNewcomer) {
  Fixture f({ModelKind::dotbias});
  auto r = call(f.service, "POST", "/v1/recommend", R"({"ratings": []})");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = body_of(r);
  EXPECT_EQ(j["rated"], 0);
  EXPECT_EQ(j["items"].size(), 10u);
  // Zero factors and zero bias: the ranking is by item bias alone.
  const Parameter* bias = nullptr;
  for (const auto& p : f.m().model->parameters())
    if (p.sparse && p.key == RowKey::item && p.cols == 1) bias = &p;
  ASSERT_NE(bias, nullptr);
  std::vector<uint32_t> order(f.m().items.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return bias->value[a] > bias->value[b]; });
  for (size_t k = 0; k < 10; ++k) EXPECT_EQ(row_of_json(f.m(), j["items"][k]["item"]), order[k]);
}

TEST(ServeFoldIn, AHybridVisitorKnownByAttributesAloneOrWithRatings) {
  Fixture f({ModelKind::hybrid});
  const SavedModel& m = f.m();
  Recommender rec(m);
  RecommendOptions o;
  o.n = 6;
  o.threads = 1;
  // Attributes alone: the visitor is their features. The model's users have one feature of
  // weight 1, so one attribute weighs 1 and two weigh 1/2 each, as the users' rows were made.
  struct Case {
    std::string body;
    std::vector<uint32_t> items, features;
    std::vector<float> ratings, weights;
  };
  const std::vector<Case> cases = {
      {R"({"ratings": [], "attributes": ["odd"], "n": 6})", {}, {1}, {}, {1.0f}},
      {R"({"ratings": [], "attributes": ["odd", "even", "odd"], "n": 6})", {}, {0, 1}, {}, {0.5f, 0.5f}},
      {R"({"ratings": [{"item": 30, "rating": 5}, {"item": 70, "rating": 1}], "attributes": ["even"],
           "n": 6})",
       {2, 6}, {0}, {5, 1}, {1.0f}}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    auto r = call(f.service, "POST", "/v1/recommend", c.body);
    ASSERT_EQ(r.status, 200) << r.body;
    json j = body_of(r);
    EXPECT_EQ(j["attributes"], c.features.size());
    const Newcomer who = rec.fold_in(c.items, c.ratings, c.features, c.weights);
    const auto expected = rec.for_newcomer(who, o);
    ASSERT_EQ(j["items"].size(), expected.size());
    for (size_t k = 0; k < expected.size(); ++k) {
      EXPECT_EQ(row_of_json(m, j["items"][k]["item"]), expected[k].item) << "rank " << k;
      EXPECT_NEAR(j["items"][k]["prediction"].get<float>(), expected[k].prediction, 1e-5f);
    }
  }
  // The two attributes move the list: the visitor is not the blank newcomer.
  auto odd = body_of(call(f.service, "POST", "/v1/recommend", R"({"ratings": [], "attributes": ["odd"]})"));
  auto even = body_of(call(f.service, "POST", "/v1/recommend", R"({"ratings": [], "attributes": ["even"]})"));
  EXPECT_NE(odd["items"], even["items"]);
  EXPECT_EQ(error_of(call(f.service, "POST", "/v1/recommend", R"({"ratings": [], "attributes": ["x"]})"), 400),
            "attributes: the model has no user feature \"x\" (it has 2: even, odd)");
}

TEST(ServeFoldIn, GenreAndIncludeRated) {
  Fixture f({ModelKind::nn});
  auto r = call(f.service, "POST", "/v1/recommend",
                R"({"ratings": [{"item": 10, "rating": 5}, {"item": "20", "rating": 3}], "n": 40,
                    "exclude_rated": false, "genre": "Drama", "item_bias": false})");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = body_of(r);
  size_t drama = 0;
  for (uint32_t i = 0; i < 40; ++i) {
    auto g = test_item_genres(i);
    drama += std::find(g.begin(), g.end(), 1) != g.end();
  }
  EXPECT_EQ(j["items"].size(), drama);
  EXPECT_EQ(j["rated_excluded"], false);
}

// ---- similar, predict, items, search, explain, model ----

TEST(ServeSimilar, CosineSimilarityFullSortWithMinRatings) {
  for (const TestModelOptions& o : every_kind()) {
    SCOPED_TRACE(name_of(o));
    Fixture f(o);
    const SavedModel& m = f.m();
    const uint32_t q = 4;
    auto r = call(f.service, "GET", "/v1/similar?item=" + raw_item(m, q) + "&n=6&min_ratings=10");
    ASSERT_EQ(r.status, 200) << r.body;
    json j = body_of(r);
    EXPECT_EQ(row_of_json(m, j["item"]["item"]), q);
    // What an item is known by: its embedding row (hybrid: plus its genres'; content: its profile).
    const size_t dims = m.model->representation_size(Side::item);
    std::vector<float> ra(dims), rb(dims);
    auto cosine = [&](uint32_t a, uint32_t b) {
      m.model->representation(Side::item, a, ra.data());
      m.model->representation(Side::item, b, rb.data());
      double d = 0, na = 0, nb = 0;
      for (size_t k = 0; k < dims; ++k) {
        d += static_cast<double>(ra[k]) * rb[k];
        na += static_cast<double>(ra[k]) * ra[k];
        nb += static_cast<double>(rb[k]) * rb[k];
      }
      return d / std::sqrt(na * nb);
    };
    std::vector<std::pair<double, uint32_t>> all;
    for (uint32_t i = 0; i < o.items; ++i)
      if (i != q && (!o.catalog || test_count(i) >= 10)) all.push_back({cosine(q, i), i});
    std::stable_sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.first > b.first; });
    ASSERT_EQ(j["items"].size(), 6u);
    for (size_t k = 0; k < 6; ++k) {
      EXPECT_EQ(row_of_json(m, j["items"][k]["item"]), all[k].second) << "rank " << k;
      EXPECT_NEAR(j["items"][k]["similarity"].get<double>(), all[k].first, 1e-5);
    }
  }
}

TEST(ServePredict, EqualsModelPredictAndShowsTheTrainingRating) {
  for (const TestModelOptions& o : every_kind()) {
    SCOPED_TRACE(name_of(o));
    Fixture f(o);
    const SavedModel& m = f.m();
    for (uint32_t u : {0u, 7u})
      for (uint32_t i : {0u, 1u, 2u, 3u, 4u, 39u}) {
        json j =
            body_of(call(f.service, "GET", "/v1/predict?user=" + raw_user(m, u) + "&item=" + raw_item(m, i)));
        float p = 0;
        m.model->predict(&u, &i, 1, &p);
        EXPECT_FLOAT_EQ(j["prediction"].get<float>(), p);
        if (o.history && test_rated(u, i))
          EXPECT_EQ(j["rating"].get<float>(), static_cast<float>(1 + (u + i) % 5));
        else
          EXPECT_TRUE(j["rating"].is_null());
      }
  }
}

TEST(ServeItems, OneItemWithItsBias) {
  Fixture f({ModelKind::dotbias});
  json j = body_of(call(f.service, "GET", "/v1/items/20"));
  EXPECT_EQ(j["item"], 20);
  EXPECT_EQ(j["title"], "Toy Story 2 (1999)");
  EXPECT_EQ(j["year"], 1999);
  EXPECT_EQ(j["genres"], json({"Drama"}));
  EXPECT_EQ(j["ratings"], test_count(1));
  const Parameter* bias = nullptr;
  for (const auto& p : f.m().model->parameters())
    if (p.sparse && p.key == RowKey::item && p.cols == 1) bias = &p;
  ASSERT_NE(bias, nullptr);
  EXPECT_FLOAT_EQ(j["bias"].get<float>(), bias->value[1]);
  // No bias in a dot or nn model; string ids are looked up as text (percent-decoded).
  Fixture g({ModelKind::nn, 12, 40, true, true, true});
  j = body_of(call(g.service, "GET", "/v1/items/%69%31%30%31%30"));  // "i1010"
  EXPECT_EQ(j["item"], "i1010");
  EXPECT_TRUE(j["bias"].is_null());
  // A hybrid item's bias is its id bias plus what its genres add, as explain shows it.
  Fixture h({ModelKind::hybrid});
  j = body_of(call(h.service, "GET", "/v1/items/20"));
  std::vector<float> vec(h.m().model->side_size(Side::item));
  h.m().model->side_vector(Side::item, 1, vec.data());
  EXPECT_FLOAT_EQ(j["bias"].get<float>(), vec.back());
  float id_bias = 0;
  for (const auto& p : h.m().model->parameters())
    if (p.name == "i_bias") id_bias = p.value[1];
  EXPECT_NE(j["bias"].get<float>(), id_bias);
  // content has none.
  Fixture c({ModelKind::content});
  EXPECT_TRUE(body_of(call(c.service, "GET", "/v1/items/20"))["bias"].is_null());
}

TEST(ServeItems, SearchByTitleAndById) {
  Fixture f({ModelKind::dot});
  json j = body_of(call(f.service, "GET", "/v1/items/search?q=toy"));
  // find_titles' order: no exact title, then by rating count (most first).
  std::vector<uint32_t> toy = {0, 1, 4};
  std::stable_sort(toy.begin(), toy.end(),
                   [](uint32_t a, uint32_t b) { return test_count(a) > test_count(b); });
  ASSERT_EQ(j["total"], 3);
  for (size_t k = 0; k < 3; ++k) EXPECT_EQ(row_of_json(f.m(), j["items"][k]["item"]), toy[k]);
  // An exact title (without its year) comes first; '+' is a space in a query.
  j = body_of(call(f.service, "GET", "/v1/items/search?q=toy+story&n=1"));
  EXPECT_EQ(j["total"], 2);
  ASSERT_EQ(j["items"].size(), 1u);
  EXPECT_EQ(j["items"][0]["title"], "Toy Story (1995)");
  // A raw id finds its item, first, even without titles.
  Fixture g({ModelKind::dot, 12, 40, true, false});
  j = body_of(call(g.service, "GET", "/v1/items/search?q=30"));
  ASSERT_EQ(j["total"], 1);
  EXPECT_EQ(j["items"][0]["item"], 30);
  j = body_of(call(g.service, "GET", "/v1/items/search?q=nothing"));
  EXPECT_EQ(j["total"], 0);
  EXPECT_EQ(j["items"], json::array());
}

TEST(ServeExplain, BiasExtremesAndTheMapOfTheMostRatedItems) {
  Fixture f({ModelKind::dotbias});
  const SavedModel& m = f.m();
  json j = body_of(call(f.service, "GET", "/v1/explain?n=3&min_ratings=20&pca_items=25"));
  auto b = item_bias_extremes(m, 20, 3);
  ASSERT_TRUE(b.has_value());
  ASSERT_EQ(j["bias"]["lowest"].size(), 3u);
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(row_of_json(m, j["bias"]["lowest"][k]["item"]), b->lowest[k].second);
    EXPECT_EQ(row_of_json(m, j["bias"]["highest"][k]["item"]), b->highest[k].second);
    EXPECT_GE(j["bias"]["highest"][k]["ratings"].get<uint32_t>(), 20u);
  }
  ASSERT_EQ(j["pca"]["points"].size(), 25u);
  auto top = most_rated_items(m.catalog, 25);
  auto pca = item_pca(*m.model, top, 2);
  for (size_t k = 0; k < 25; ++k) {
    EXPECT_EQ(row_of_json(m, j["pca"]["points"][k]["item"]), top[k]);
    EXPECT_FLOAT_EQ(j["pca"]["points"][k]["x"].get<float>(), pca.coordinates[0][k]);
    EXPECT_FLOAT_EQ(j["pca"]["points"][k]["y"].get<float>(), pca.coordinates[1][k]);
  }
  // A model without item biases has none to show, and still a map.
  Fixture g({ModelKind::nn, 12, 40, false, false});
  j = body_of(call(g.service, "GET", "/v1/explain"));
  EXPECT_TRUE(j["bias"].is_null());
  EXPECT_EQ(j["pca"]["points"].size(), 40u);
  // content: no biases; its map is of the items' feature profiles.
  Fixture c({ModelKind::content, 12, 40, true, true});
  j = body_of(call(c.service, "GET", "/v1/explain?pca_items=10"));
  EXPECT_TRUE(j["bias"].is_null());
  ASSERT_EQ(j["pca"]["points"].size(), 10u);
  const auto content_pca = item_pca(*c.m().model, most_rated_items(c.m().catalog, 10), 2);
  EXPECT_FLOAT_EQ(j["pca"]["points"][3]["x"].get<float>(), content_pca.coordinates[0][3]);
  // hybrid: biases with the features' part, as cofi explain lists them.
  Fixture h({ModelKind::hybrid});
  j = body_of(call(h.service, "GET", "/v1/explain?n=2&min_ratings=0"));
  const auto hb = item_bias_extremes(h.m(), 0, 2);
  ASSERT_TRUE(hb.has_value());
  EXPECT_FLOAT_EQ(j["bias"]["lowest"][0]["bias"].get<float>(), hb->lowest[0].first);
}

TEST(ServeModel, DescribesTheModelAndHealthz) {
  Fixture f({ModelKind::nn, 12, 40, true, true, true});
  json j = body_of(call(f.service, "GET", "/v1/model"));
  EXPECT_EQ(j["kind"], "nn");
  EXPECT_EQ(j["users"], 12);
  EXPECT_EQ(j["items"], 40);
  EXPECT_EQ(j["genres"], json(test_genres()));
  EXPECT_EQ(j["has_history"], true);
  EXPECT_EQ(j["has_item_bias"], false);
  EXPECT_EQ(j["generation"], 1);
  j = body_of(call(f.service, "GET", "/healthz"));
  EXPECT_EQ(j["status"], "ok");
  // HEAD is GET (the transport leaves the body out).
  EXPECT_EQ(call(f.service, "HEAD", "/healthz").status, 200);
}

TEST(ServePage, EmbeddedAssetsWithAStrictContentSecurityPolicy) {
  Fixture f({ModelKind::dot});
  for (const char* path : {"/", "/index.html", "/app.js", "/app.css"}) {
    auto r = call(f.service, "GET", path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_FALSE(r.body.empty()) << path;
    bool csp = false;
    for (auto& [k, v] : r.headers)
      csp |= k == "Content-Security-Policy" && v.find("connect-src 'self'") != std::string::npos;
    EXPECT_TRUE(csp) << path;
  }
  EXPECT_EQ(call(f.service, "GET", "/").content_type, "text/html; charset=utf-8");
  EXPECT_EQ(call(f.service, "GET", "/app.js").content_type, "text/javascript; charset=utf-8");
  EXPECT_NE(call(f.service, "GET", "/").body.find("app.js"), std::string::npos);
  // Nothing outside the embedded files: no path reaches the file system.
  for (const char* path :
       {"/../CMakeLists.txt", "/etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/web/index.html"})
    error_of(call(f.service, "GET", path), 404);
}

// ---- Every error ----

TEST(ServeErrors, BadParametersAre400WithTheReason) {
  Fixture f({ModelKind::dotbias});
  auto msg = [&](const std::string& target, const std::string& body = "") {
    return error_of(call(f.service, body.empty() ? "GET" : "POST", target, body), 400);
  };
  EXPECT_EQ(msg("/v1/recommend"), "parameter user is required");
  EXPECT_EQ(msg("/v1/recommend?user="), "parameter user is required");
  EXPECT_EQ(msg("/v1/recommend?user=101&n=0"),
            "parameter n: expected an integer from 1 to 1000, found \"0\"");
  EXPECT_EQ(msg("/v1/recommend?user=101&n=1001"),
            "parameter n: expected an integer from 1 to 1000, found \"1001\"");
  EXPECT_EQ(msg("/v1/recommend?user=101&n=5x"),
            "parameter n: expected an integer from 1 to 1000, found \"5x\"");
  EXPECT_EQ(msg("/v1/recommend?user=101&n=-1"),
            "parameter n: expected an integer from 1 to 1000, found \"-1\"");
  EXPECT_EQ(msg("/v1/recommend?user=101&exclude_rated=yes"),
            "parameter exclude_rated: expected true or false, found \"yes\"");
  EXPECT_EQ(msg("/v1/recommend?user=101&colour=red"),
            "unknown parameter \"colour\" (known: user, n, genre, exclude_rated, item_bias)");
  EXPECT_EQ(msg("/v1/recommend?user=101&user=102"), "parameter \"user\" is given more than once");
  EXPECT_EQ(msg("/v1/recommend?user=101&genre=Western"),
            "genre: unknown genre \"Western\" (the model's genres: Comedy, Drama, Action, Animation)");
  EXPECT_EQ(msg("/v1/recommend?user=%zz"),
            "parameter user: malformed percent-encoding at byte 1 (expected %XX with two hex digits)");
  EXPECT_EQ(msg("/v1/recommend?=1"), "query: a parameter without a name (\"=1\")");
  EXPECT_EQ(msg("/v1/similar?item=10&min_ratings=x"),
            "parameter min_ratings: expected an integer from 0 to 1073741824, found \"x\"");
  EXPECT_EQ(msg("/v1/items/search?q="), "parameter q is required");
  EXPECT_EQ(msg("/v1/items/search?q=" + std::string(201, 'a')),
            "q: the search text is 201 bytes; at most 200 are accepted");
  EXPECT_EQ(msg("/v1/explain?pca_items=1"),
            "parameter pca_items: expected an integer from 2 to 5000, found \"1\"");
  EXPECT_EQ(msg("/healthz?x=1"), "unknown parameter \"x\" (this endpoint takes none)");
  EXPECT_EQ(msg("/v1/items/10?x"), "unknown parameter \"x\" (this endpoint takes none)");
  EXPECT_EQ(error_of(call(f.service, "GET", "v1/model"), 400),
            "the request target must be an absolute path starting with '/'");
  EXPECT_EQ(error_of(call(f.service, "GET", "/v1/%00"), 400), "path: a NUL byte is not allowed");
  // Bodies.
  EXPECT_EQ(msg("/v1/recommend", "{"),
            "body: not valid JSON (expected {\"ratings\": [{\"item\": ID, \"rating\": R}, ...]})");
  EXPECT_EQ(msg("/v1/recommend", "[]"), "body: expected a JSON object, found array");
  EXPECT_EQ(msg("/v1/recommend", "{}"),
            "body: missing \"ratings\" (expected {\"ratings\": [{\"item\": ID, \"rating\": R}, ...]})");
  EXPECT_EQ(msg("/v1/recommend", R"({"ratings": {}})"), "ratings: expected an array, found object");
  EXPECT_EQ(msg("/v1/recommend", R"({"ratings": [5]})"),
            "ratings[0]: expected {\"item\": ID, \"rating\": R}, found number");
  EXPECT_EQ(msg("/v1/recommend", R"({"ratings": [{"item": 10}]})"), "ratings[0]: missing \"rating\"");
  EXPECT_EQ(msg("/v1/recommend", R"({"ratings": [{"rating": 3}]})"), "ratings[0]: missing \"item\"");
  EXPECT_EQ(msg("/v1/recommend", R"({"ratings": [{"item": 10, "rating": "5"}]})"),
            "ratings[0].rating: expected a number, found string");
  EXPECT_EQ(msg("/v1/recommend", R"({"ratings": [{"item": -3, "rating": 5}]})"),
            "ratings[0].item: expected an item id (a non-negative integer or a string), found -3");
  EXPECT_EQ(msg("/v1/recommend", R"({"ratings": [{"item": 1.5, "rating": 5}]})"),
            "ratings[0].item: expected an item id (a non-negative integer or a string), found number");
  EXPECT_EQ(msg("/v1/recommend", R"({"ratings": [{"item": 10, "rating": 5, "why": 1}]})"),
            "ratings[0]: unknown field \"why\" (known: item, rating)");
  EXPECT_EQ(msg("/v1/recommend", R"({"ratings": [{"item": 10, "rating": 9}]})"),
            "ratings[0].rating: 9 is outside the model's rating range 0 to 5.5");
  EXPECT_EQ(msg("/v1/recommend", R"({"ratings": [], "n": 0})"),
            "n: expected an integer from 1 to 1000, found 0");
  EXPECT_EQ(msg("/v1/recommend", R"({"ratings": [], "n": "3"})"),
            "n: expected an integer from 1 to 1000, found \"3\"");
  EXPECT_EQ(msg("/v1/recommend", R"({"ratings": [], "exclude_rated": 1})"),
            "exclude_rated: expected true or false, found number");
  EXPECT_EQ(msg("/v1/recommend", R"({"ratings": [], "user": 1})"),
            "body: unknown field \"user\" (known: ratings, n, genre, exclude_rated, item_bias, attributes)");
  EXPECT_EQ(msg("/v1/recommend", R"({"ratings": [], "attributes": "odd"})"),
            "attributes: expected an array of strings, found string");
  EXPECT_EQ(msg("/v1/recommend", R"({"ratings": [], "attributes": ["odd", 1]})"),
            "attributes[1]: expected a string, found number");
  EXPECT_EQ(msg("/v1/recommend", R"({"ratings": [], "attributes": ["F"]})"),
            "attributes: the model has no user features (a dotbias model; train a hybrid with demographics or "
            "--user-features)");
  EXPECT_EQ(msg("/v1/recommend", std::string(10, '[') + std::string(10, ']')),
            "body: JSON nested more than 8 levels deep");
  std::string many = R"({"ratings": [)";
  for (int k = 0; k < 1001; ++k) many += std::string(k ? "," : "") + R"({"item":10,"rating":1})";
  EXPECT_EQ(msg("/v1/recommend", many + "]}"), "ratings: 1001 ratings; at most 1000 are accepted");
  EXPECT_EQ(msg("/v1/recommend?n=3", R"({"ratings": []})"),
            "unknown parameter \"n\" (this endpoint takes none)");
}

TEST(ServeErrors, UnknownUsersItemsAndPathsAre404) {
  Fixture f({ModelKind::dotbias});
  EXPECT_EQ(error_of(call(f.service, "GET", "/v1/recommend?user=99"), 404),
            "user \"99\" is not in the model (its 12 user ids run from 101 to 112)");
  EXPECT_EQ(error_of(call(f.service, "GET", "/v1/recommend?user=abc"), 404),
            "user \"abc\" is not in the model (its 12 user ids run from 101 to 112)");
  EXPECT_EQ(error_of(call(f.service, "GET", "/v1/similar?item=15"), 404),
            "item \"15\" is not in the model (its 40 item ids run from 10 to 400)");
  EXPECT_EQ(error_of(call(f.service, "GET", "/v1/predict?user=101&item=401"), 404),
            "item \"401\" is not in the model (its 40 item ids run from 10 to 400)");
  EXPECT_EQ(error_of(call(f.service, "GET", "/v1/items/7"), 404),
            "item \"7\" is not in the model (its 40 item ids run from 10 to 400)");
  EXPECT_EQ(error_of(call(f.service, "POST", "/v1/recommend", R"({"ratings": [{"item": 10, "rating": 4},
                                                                             {"item": 11, "rating": 4}]})"),
                     404),
            "ratings[1].item: item \"11\" is not in the model (its 40 item ids run from 10 to 400)");
  EXPECT_EQ(error_of(call(f.service, "GET", "/v2/recommend"), 404),
            "no such endpoint: \"/v2/recommend\" (see GET / for the page, /v1/...)");
  error_of(call(f.service, "GET", "/v1/items/"), 404);
}

TEST(ServeErrors, WrongMethodsAre405WithAllow) {
  Fixture f({ModelKind::dotbias});
  struct Case {
    const char* method;
    const char* target;
    const char* allow;
  };
  for (const Case& c :
       {Case{"DELETE", "/v1/recommend", "GET, HEAD, POST"}, Case{"POST", "/v1/similar", "GET, HEAD"},
        Case{"PUT", "/v1/items/10", "GET, HEAD"}, Case{"GET", "/v1/admin/reload", "POST"},
        Case{"POST", "/", "GET, HEAD"}, Case{"OPTIONS", "/metrics", "GET, HEAD"}}) {
    auto r = call(f.service, c.method, c.target);
    EXPECT_EQ(error_of(r, 405), std::string("method \"") + c.method + "\" is not allowed on \"" + c.target +
                                    "\" (allowed: " + c.allow + ")");
    EXPECT_EQ(r.headers.front(), std::make_pair(std::string("Allow"), std::string(c.allow)));
  }
}

TEST(ServeErrors, OversizedBodiesAre413AndLongTargets414) {
  Fixture f({ModelKind::dotbias});
  std::string body = R"({"ratings": [], "genre": ")" + std::string(70000, 'x') + "\"}";
  EXPECT_EQ(error_of(call(f.service, "POST", "/v1/recommend", body), 413),
            "the body is " + std::to_string(body.size()) + " bytes; at most 65536 are accepted");
  EXPECT_EQ(error_of(call(f.service, "GET", "/v1/items/search?q=" + std::string(5000, 'a')), 414),
            "the request target is 5019 bytes; at most 4096 are accepted");
}

// ---- Metrics ----

TEST(ServeMetrics, CountsRequestsErrorsAndLatencyInPrometheusText) {
  Fixture f({ModelKind::dotbias});
  for (int k = 0; k < 3; ++k) call(f.service, "GET", "/v1/recommend?user=101");
  call(f.service, "GET", "/v1/recommend?user=1");
  call(f.service, "DELETE", "/v1/recommend");
  call(f.service, "GET", "/nope");
  EXPECT_EQ(f.service.metrics().requests(Endpoint::recommend_user, 200), 3u);
  EXPECT_EQ(f.service.metrics().requests(Endpoint::recommend_user, 404), 1u);
  EXPECT_EQ(f.service.metrics().errors(Endpoint::recommend_user), 2u);  // the 404 and the 405
  auto r = call(f.service, "GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  const std::string& t = r.body;
  for (const char* line :
       {"cofi_http_requests_total{endpoint=\"recommend_user\",code=\"200\"} 3\n",
        "cofi_http_requests_total{endpoint=\"recommend_user\",code=\"404\"} 1\n",
        "cofi_http_requests_total{endpoint=\"recommend_user\",code=\"405\"} 1\n",
        "cofi_http_requests_total{endpoint=\"other\",code=\"404\"} 1\n",
        "cofi_http_errors_total{endpoint=\"recommend_user\"} 2\n",
        "cofi_http_request_duration_seconds_bucket{endpoint=\"recommend_user\",le=\"+Inf\"} 5\n",
        "cofi_http_request_duration_seconds_count{endpoint=\"recommend_user\"} 5\n",
        "# TYPE cofi_http_request_duration_seconds histogram\n", "cofi_model_generation 1\n",
        "cofi_http_requests_in_flight 1\n", "cofi_model_items 40\n"})
    EXPECT_NE(t.find(line), std::string::npos) << line << "\nin\n" << t;
  // Buckets are cumulative: each at least the one before.
  uint64_t last = 0;
  size_t at = 0;
  const std::string prefix = "cofi_http_request_duration_seconds_bucket{endpoint=\"recommend_user\",le=\"";
  int buckets = 0;
  while ((at = t.find(prefix, at)) != std::string::npos) {
    at = t.find("} ", at) + 2;
    uint64_t v = std::stoull(t.substr(at));
    EXPECT_GE(v, last);
    last = v;
    ++buckets;
  }
  EXPECT_EQ(buckets, static_cast<int>(Metrics::kBuckets.size()) + 1);
}

}  // namespace
