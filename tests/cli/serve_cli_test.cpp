// `cofi serve` over real HTTP: it starts on a free port and says where, answers the API and the
// page, turns what cpp-httplib refuses (oversized bodies) into JSON errors, reloads on SIGHUP
// (keeping the old model when the file is bad), drains and exits 0 on SIGTERM, and refuses to
// listen beyond loopback without an admin token.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <regex>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/cli_runner.h"
#include "cofi/io/model_file.h"
#include "serve/test_models.h"

namespace {

using namespace cofi;
using namespace cofi::cli_test;
using namespace std::chrono_literals;
using nlohmann::json;

// A `cofi serve` started on a free port: its port is read from the line it prints.
class Server {
 public:
  explicit Server(const std::vector<std::string>& args) : process_(with_serve(args)) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    const std::regex listening("listening on http://[^:]+:([0-9]+)/");
    while (std::chrono::steady_clock::now() < deadline) {
      std::smatch m;
      const std::string out = process_.out();
      if (std::regex_search(out, m, listening)) {
        port_ = std::stoi(m[1]);
        return;
      }
      std::this_thread::sleep_for(20ms);
    }
    ADD_FAILURE() << "cofi serve did not start:\n" << process_.out() << process_.err();
  }
  int port() const { return port_; }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(10, 0);
    return c;
  }
  CliProcess& process() { return process_; }
  // Waits until stderr contains `text`.
  bool wait_for_err(const std::string& text) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (process_.err().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

 private:
  static std::vector<std::string> with_serve(std::vector<std::string> args) {
    args.insert(args.begin(), "serve");
    return args;
  }
  CliProcess process_;
  int port_ = 0;
};

// Sends `bytes` on a fresh connection and returns the response: the status line and headers, and
// as many body bytes as Content-Length says (or what came before 10 s passed).
std::string raw_exchange(int port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::send(fd, bytes.data(), bytes.size(), 0) == static_cast<ssize_t>(bytes.size())) {
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) {
      reply.append(buf, static_cast<size_t>(n));
      const size_t end = reply.find("\r\n\r\n"), at = reply.find("Content-Length: ");
      if (end != std::string::npos && at != std::string::npos && at < end &&
          reply.size() >= end + 4 + std::stoul(reply.substr(at + 16)))
        break;
    }
  }
  ::close(fd);
  return reply;
}

json json_of(const httplib::Result& r) {
  if (!r) return json();
  return json::parse(r->body, nullptr, false);
}

struct ModelFiles {
  ModelFiles() {
    save_model(path, serve_test::test_model({ModelKind::dotbias, 12, 40}));
    save_model(other, serve_test::test_model({ModelKind::dot, 9, 25, true, true, false, 5}));
  }
  TempDir dir;
  const std::string path = dir.file("m.cofi"), other = dir.file("other.cofi");
};

TEST(ServeCli, AnswersTheApiAndThePageOverHttp) {
  ModelFiles f;
  Server s({"--model", f.path, "--port", "0", "--threads", "2"});
  ASSERT_GT(s.port(), 0);
  EXPECT_NE(s.process().out().find("(dotbias model, 12 users, 40 items, 2 threads, 64 connections)"),
            std::string::npos)
      << s.process().out();
  auto c = s.client();

  auto r = c.Get("/v1/recommend?user=101&n=4");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(json_of(r)["items"].size(), 4u);

  r = c.Post("/v1/recommend",
             R"({"ratings": [{"item": 10, "rating": 5}, {"item": 30, "rating": 1}], "n": 3})",
             "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json_of(r)["rated"], 2);

  r = c.Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(r->get_header_value("Content-Security-Policy").find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");

  // Errors keep their status and JSON body through the transport.
  r = c.Get("/v1/similar?item=11");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(json_of(r)["error"], "item \"11\" is not in the model (its 40 item ids run from 10 to 400)");
  r = c.Delete("/v1/recommend");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->get_header_value("Allow"), "GET, HEAD, POST");
  r = c.Get("/v1/recommend?user=101&n=zero");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(json_of(r)["error"], "parameter n: expected an integer from 1 to 1000, found \"zero\"");
  r = c.Head("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->body.empty());

  // A body over the limit is refused by cpp-httplib before it is read; the answer is still JSON.
  r = c.Post("/v1/recommend", std::string(100000, ' '), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(json_of(r)["error"], "the body is larger than 65536 bytes");
  // Requests no client library would send, written by hand: still JSON answers.
  EXPECT_NE(
      raw_exchange(s.port(), "GARBAGE\r\n\r\n").find("{\"error\":\"malformed request\",\"status\":400}"),
      std::string::npos);
  // (cpp-httplib reads "-5" as a huge length, and reads on until its 5 s read timeout first.)
  EXPECT_NE(raw_exchange(s.port(),
                         "POST /v1/recommend HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n"
                         "Connection: close\r\n\r\n")
                .find("{\"error\":\"malformed Content-Length \\\"-5\\\"\",\"status\":400}"),
            std::string::npos);
  EXPECT_NE(raw_exchange(s.port(), "TRACE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .find("HTTP/1.1 405 Method Not Allowed"),
            std::string::npos);
  // ... also when it comes in chunks, without a length.
  httplib::Client chunked = s.client();
  r = chunked.Post(
      "/v1/recommend",
      [](size_t offset, httplib::DataSink& sink) {
        if (offset >= 200000) {
          sink.done();
          return true;
        }
        std::string block(10000, ' ');
        return sink.write(block.data(), block.size());
      },
      "application/json");
  if (r) {  // or the server closed the connection mid-body
    EXPECT_EQ(r->status, 413) << r->body;
  }

  r = c.Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("cofi_http_requests_total{endpoint=\"recommend_user\",code=\"200\"} 1\n"),
            std::string::npos)
      << r->body;
  EXPECT_NE(r->body.find("cofi_http_requests_total{endpoint=\"other\",code=\"413\"}"), std::string::npos)
      << r->body;

  ASSERT_EQ(::kill(s.process().pid(), SIGTERM), 0);
  Outcome done = s.process().wait(20s);
  EXPECT_EQ(done.code, 0) << done;
  EXPECT_NE(done.err.find("SIGTERM: finishing the requests in flight, then exiting"), std::string::npos)
      << done;
  EXPECT_NE(done.out.find("cofi serve: stopped after"), std::string::npos) << done;
}

TEST(ServeCli, SighupReloadsAndABadFileKeepsTheOldModel) {
  ModelFiles f;
  Server s({"--model", f.path, "--port", "0"});
  ASSERT_GT(s.port(), 0);
  auto c = s.client();
  EXPECT_EQ(json_of(c.Get("/v1/model"))["items"], 40);

  std::filesystem::copy_file(f.other, f.path, std::filesystem::copy_options::overwrite_existing);
  ASSERT_EQ(::kill(s.process().pid(), SIGHUP), 0);
  ASSERT_TRUE(s.wait_for_err("SIGHUP: reloaded " + f.path + " (generation 2, 25 items, dot)"))
      << s.process().err();
  json m = json_of(c.Get("/v1/model"));
  EXPECT_EQ(m["items"], 25);
  EXPECT_EQ(m["kind"], "dot");

  write_file(f.path, "garbage, not a model");
  ASSERT_EQ(::kill(s.process().pid(), SIGHUP), 0);
  ASSERT_TRUE(s.wait_for_err("SIGHUP: reload failed: " + f.path)) << s.process().err();
  EXPECT_NE(s.process().err().find("still serving generation 2"), std::string::npos) << s.process().err();
  EXPECT_EQ(json_of(c.Get("/v1/model"))["generation"], 2);
  EXPECT_EQ(c.Get("/v1/recommend?user=101")->status, 200);

  // Ctrl-C drains and exits as SIGTERM does.
  ASSERT_EQ(::kill(s.process().pid(), SIGINT), 0);
  EXPECT_EQ(s.process().wait(20s).code, 0);
}

TEST(ServeCli, SigtermUnderLoadFinishesTheRequestsInFlightAndExitsZero) {
  ModelFiles f;
  Server s({"--model", f.path, "--port", "0", "--threads", "2", "--connections", "8"});
  ASSERT_GT(s.port(), 0);
  std::atomic<int> ok{0}, bad{0};
  std::atomic<bool> stop{false};
  // One request of each kind before the client threads: cpp-httplib's client builds function-local
  // static regexes on first use, inside its uninstrumented shared library, where ThreadSanitizer
  // cannot see the guard that orders their construction before other threads' use.
  {
    auto c = s.client();
    ASSERT_EQ(c.Get("/v1/recommend?user=101")->status, 200);
    ASSERT_EQ(c.Post("/v1/recommend", R"({"ratings": []})", "application/json")->status, 200);
  }
  std::vector<std::thread> clients;
  for (int t = 0; t < 6; ++t)
    clients.emplace_back([&, t] {
      auto c = s.client();
      for (int k = 0; !stop; ++k) {
        auto r = k % 2 ? c.Get("/v1/recommend?user=" + std::to_string(101 + (t + k) % 12))
                       : c.Post("/v1/recommend", R"({"ratings": [{"item": 20, "rating": 4}]})",
                                "application/json");
        if (!r) return;  // refused or closed: the server has stopped taking requests
        // Every request that was answered was answered whole.
        (r->status == 200 && json::parse(r->body, nullptr, false).contains("items") ? ok : bad)++;
      }
    });
  while (ok < 200 && bad == 0) std::this_thread::sleep_for(1ms);
  ASSERT_EQ(::kill(s.process().pid(), SIGTERM), 0);
  Outcome done = s.process().wait(20s);
  stop = true;
  for (auto& c : clients) c.join();
  EXPECT_EQ(done.code, 0) << done;
  EXPECT_EQ(bad, 0);
  EXPECT_GE(ok, 200);
}

TEST(ServeCli, BeyondLoopbackItNeedsAnAdminToken) {
  ModelFiles f;
  cofi::test::EnvGuard no_token("COFI_SERVE_TOKEN", std::nullopt);
  Outcome r = cli_test::cofi({"serve", "--model", f.path, "--host", "0.0.0.0", "--port", "0"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_NE(
      r.err.find("--host 0.0.0.0 can be reached from other machines, so the admin endpoint needs a token"),
      std::string::npos)
      << r;

  cofi::test::EnvGuard token("COFI_SERVE_TOKEN", std::string("tok-123"));
  Server s({"--model", f.path, "--host", "0.0.0.0", "--port", "0"});
  ASSERT_GT(s.port(), 0);
  EXPECT_NE(s.process().out().find("admin token required"), std::string::npos) << s.process().out();
  auto c = s.client();
  auto res = c.Post("/v1/admin/reload");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  c.set_bearer_token_auth("tok-123");
  res = c.Post("/v1/admin/reload");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json_of(res)["model"]["generation"], 2);
}

TEST(ServeCli, LoopbackAdminNeedsNoTokenAndBadOptionsAreRefused) {
  ModelFiles f;
  cofi::test::EnvGuard no_token("COFI_SERVE_TOKEN", std::nullopt);
  Server s({"--model", f.path, "--port", "0"});
  ASSERT_GT(s.port(), 0);
  auto res = s.client().Post("/v1/admin/reload");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;

  Outcome r = cli_test::cofi({"serve", "--model", f.dir.file("missing.cofi"), "--port", "0"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("missing.cofi"), std::string::npos) << r;
  r = cli_test::cofi({"serve", "--model", f.path, "--port", "70000"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("option --port: expected 0 to 65535, found 70000"), std::string::npos) << r;
  // The port the first server holds is taken.
  r = cli_test::cofi({"serve", "--model", f.path, "--port", std::to_string(s.port())});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("cannot listen on 127.0.0.1:" + std::to_string(s.port())), std::string::npos) << r;
}

}  // namespace
