// Reloading: a good file is swapped in atomically, a bad one leaves the old model serving and says
// why, a request in flight keeps the model it started with (and that model is freed when the
// last such request ends), and under concurrent requests every answer comes whole from one model.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "cofi/serve/service.h"
#include "serve/test_models.h"
#include "support/fixtures.h"

namespace {

using namespace cofi;
using namespace cofi::serve;
using namespace cofi::serve_test;
using nlohmann::json;

HttpResponse call(Service& s, const std::string& method, const std::string& target) {
  HttpRequest r;
  r.method = method;
  r.target = target;
  return s.handle(r);
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

struct Files {
  Files() {
    save_model(a, test_model({ModelKind::dotbias, 12, 40}));
    save_model(b, test_model({ModelKind::nn, 9, 25, true, true, false, 7}));
  }
  cofi::test::TempDir dir;
  const std::string path = dir.file("serving.cofi");
  const std::string a = dir.file("a.cofi"), b = dir.file("b.cofi");
  void install(const std::string& from) {
    std::filesystem::copy_file(from, path, std::filesystem::copy_options::overwrite_existing);
  }
};

Service make_service(const std::string& path, const std::string& token = "") {
  ServiceOptions o;
  o.model_path = path;
  o.admin_token = token;
  return Service(o, load_state(path, 1));
}

TEST(ServeReload, AGoodFileIsSwappedIn) {
  Files f;
  f.install(f.a);
  Service s = make_service(f.path);
  EXPECT_EQ(json::parse(call(s, "GET", "/v1/model").body)["items"], 40);
  f.install(f.b);
  auto r = call(s, "POST", "/v1/admin/reload");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["reloaded"], true);
  EXPECT_EQ(j["model"]["kind"], "nn");
  EXPECT_EQ(j["model"]["generation"], 2);
  json m = json::parse(call(s, "GET", "/v1/model").body);
  EXPECT_EQ(m["items"], 25);
  EXPECT_EQ(m["generation"], 2);
  // Users of the old model are gone with it.
  EXPECT_EQ(call(s, "GET", "/v1/recommend?user=112").status, 404);
  EXPECT_EQ(s.metrics().requests(Endpoint::reload, 200), 1u);
}

TEST(ServeReload, ABadFileKeepsTheOldModelServingAndSaysWhy) {
  Files f;
  f.install(f.a);
  Service s = make_service(f.path);
  const std::string before = call(s, "GET", "/v1/recommend?user=105").body;

  write_bytes(f.path, "not a model at all");
  auto r = call(s, "POST", "/v1/admin/reload");
  EXPECT_EQ(r.status, 500);
  const std::string why = json::parse(r.body)["error"];
  EXPECT_NE(why.find("reload failed: " + f.path), std::string::npos) << why;
  EXPECT_NE(why.find("still serving generation 1 (" + f.path + ")"), std::string::npos) << why;

  // A truncated model file: the checks of load_model name what is wrong.
  std::ifstream in(f.b, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  write_bytes(f.path, bytes.substr(0, bytes.size() / 2));
  ReloadOutcome o = s.reload();
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.message.find("truncated"), std::string::npos) << o.message;
  std::filesystem::remove(f.path);
  o = s.reload();
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.serving->generation, 1u);

  EXPECT_EQ(call(s, "GET", "/v1/recommend?user=105").body, before);
  EXPECT_EQ(json::parse(call(s, "GET", "/v1/model").body)["generation"], 1);
  EXPECT_EQ(s.metrics().requests(Endpoint::reload, 500), 1u);
  const std::string metrics = call(s, "GET", "/metrics").body;
  EXPECT_NE(metrics.find("cofi_model_reloads_total{result=\"failed\"} 3\n"), std::string::npos) << metrics;
  // And a good file after the bad ones is taken.
  f.install(f.b);
  o = s.reload();
  EXPECT_TRUE(o.ok) << o.message;
  EXPECT_EQ(o.serving->generation, 2u);
}

TEST(ServeReload, ARequestInFlightKeepsItsModelUntilItEnds) {
  Files f;
  f.install(f.a);
  Service s = make_service(f.path);
  // What a request holds while it runs (Service::route takes exactly this).
  std::shared_ptr<const ModelState> in_flight = s.model();
  std::weak_ptr<const ModelState> old = in_flight;
  f.install(f.b);
  ASSERT_TRUE(s.reload().ok);
  EXPECT_EQ(s.model()->generation, 2u);
  // The old model is intact and usable by the request that holds it.
  ASSERT_FALSE(old.expired());
  EXPECT_EQ(in_flight->saved.items.size(), 40u);
  RecommendOptions o;
  EXPECT_EQ(in_flight->recommender->for_user(4, o).size(), 10u);
  in_flight.reset();
  EXPECT_TRUE(old.expired()) << "the old model outlived its last request";
}

TEST(ServeReload, ConcurrentRequestsEachSeeOneWholeModel) {
  Files f;
  f.install(f.a);
  Service s = make_service(f.path);
  // Users 101..109 exist in both models; each answer must be exactly one model's answer.
  const std::string target = "/v1/recommend?user=104&n=5";
  const std::string from_a = call(s, "GET", target).body;
  f.install(f.b);
  ASSERT_TRUE(s.reload().ok);
  const std::string from_b = call(s, "GET", target).body;
  ASSERT_NE(from_a, from_b);

  std::atomic<bool> stop{false};
  std::atomic<int> answered{0}, wrong{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 3; ++t)
    clients.emplace_back([&] {
      while (!stop) {
        auto r = call(s, "GET", target);
        if (r.status != 200 || (r.body != from_a && r.body != from_b)) ++wrong;
        ++answered;
      }
    });
  int reloads = 0;
  for (int k = 0; k < 20; ++k) {
    f.install(k % 2 ? f.b : f.a);
    reloads += s.reload().ok;
  }
  // Let the clients run past the last swap too.
  const int after_swaps = answered;
  while (answered < after_swaps + 100) std::this_thread::yield();
  stop = true;
  for (auto& c : clients) c.join();
  EXPECT_EQ(reloads, 20);
  EXPECT_EQ(wrong, 0) << "of " << answered << " answers";
  EXPECT_EQ(s.model()->generation, 22u);
}

TEST(ServeReload, TheAdminEndpointNeedsTheTokenWhenOneIsSetAndRefusesOtherSites) {
  Files f;
  f.install(f.a);
  Service s = make_service(f.path, "s3cret");
  HttpRequest r;
  r.method = "POST";
  r.target = "/v1/admin/reload";
  auto res = s.handle(r);
  EXPECT_EQ(res.status, 401);
  EXPECT_EQ(json::parse(res.body)["error"], "the admin endpoint needs Authorization: Bearer <token>");
  bool challenge = false;
  for (auto& [k, v] : res.headers) challenge |= k == "WWW-Authenticate" && v.starts_with("Bearer");
  EXPECT_TRUE(challenge);
  for (const char* wrong : {"Bearer s3cre", "Bearer s3cret2", "Bearer S3CRET", "Basic s3cret", "s3cret"}) {
    r.authorization = wrong;
    res = s.handle(r);
    EXPECT_EQ(res.status, 401) << wrong;
    EXPECT_EQ(json::parse(res.body)["error"], "wrong admin token") << wrong;
  }
  r.authorization = "Bearer s3cret";
  EXPECT_EQ(s.handle(r).status, 200);
  EXPECT_EQ(s.model()->generation, 2u);

  // A browser's post from another site (it sends Origin) is refused; from the page itself, not.
  Service open = make_service(f.path);
  r.authorization.clear();
  r.host = "127.0.0.1:8080";
  r.origin = "http://evil.example";
  res = open.handle(r);
  EXPECT_EQ(res.status, 403);
  EXPECT_EQ(json::parse(res.body)["error"],
            "cross-site admin request refused (Origin \"http://evil.example\")");
  r.origin = "http://127.0.0.1:8080";
  EXPECT_EQ(open.handle(r).status, 200);
  // Without a file there is nothing to reload.
  Service memory({}, make_state(test_model({}), "memory", 1));
  ReloadOutcome o = memory.reload();
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.message, "reload failed: the model was not loaded from a file");
}

}  // namespace
