// cofi serve: the recommendation service (cofi_serve, transport-free) behind cpp-httplib. This
// file only moves bytes between the two, and owns what belongs to a process: the listening
// socket, the connection and request threads, and the signals (SIGHUP reloads, SIGTERM and SIGINT
// drain and exit).
#include <httplib.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "cofi/error.h"
#include "cofi/serve/service.h"
#include "commands_impl.h"
#include "text_format.h"

namespace cofi::cli {

namespace {

using serve::HttpRequest;
using serve::HttpResponse;
using serve::Service;

// Whether every address `host` resolves to is a loopback address (127.0.0.0/8 or ::1): only then
// is the server out of reach of other machines.
bool is_loopback(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &list) != 0 || !list) return false;
  bool loopback = true;
  for (addrinfo* a = list; a; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      const auto* v4 = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
      loopback = loopback && (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    } else if (a->ai_family == AF_INET6) {
      const auto* v6 = reinterpret_cast<const sockaddr_in6*>(a->ai_addr);
      loopback = loopback && IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
    } else {
      loopback = false;
    }
  }
  freeaddrinfo(list);
  return loopback;
}

// cpp-httplib's server with two of its socket settings replaced. Its defaults set SO_REUSEPORT,
// which lets a second process bind the same port and take half of the connections (a second
// `cofi serve --port 8080` would start "successfully"), and listen with a backlog of 5, which
// drops connections when a few dozen clients connect at once.
class HttpServer : public httplib::Server {
 public:
  HttpServer() {
    set_socket_options([](socket_t sock) {
      int yes = 1;  // a restart may bind while old connections sit in TIME_WAIT
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
  }
  // After bind_to_port: listening again on a listening socket only changes its backlog (Linux).
  void widen_backlog() { ::listen(svr_sock_, SOMAXCONN); }
};

// The threads that answer requests: --threads of them, taking requests in arrival order from
// the connection threads, which wait for the answer. They never wait on a client, so N of them
// keep N cores busy however many connections are open; the connection threads only do I/O.
class RequestThreads {
 public:
  explicit RequestThreads(Service& service, size_t n) : service_(service) {
    for (size_t i = 0; i < n; ++i) threads_.emplace_back([this] { work(); });
  }
  ~RequestThreads() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (auto& t : threads_) t.join();
  }
  // Answers `request` on one of the threads; returns when it is done.
  HttpResponse answer(const HttpRequest& request) {
    Job job(request);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(&job);
    }
    ready_.notify_one();
    std::unique_lock<std::mutex> lock(job.mutex);
    job.done_cv.wait(lock, [&] { return job.done; });
    return std::move(job.response);
  }

 private:
  struct Job {
    explicit Job(const HttpRequest& r) : request(r) {}
    const HttpRequest& request;
    HttpResponse response;
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
  };
  void work() {
    for (;;) {
      Job* job = nullptr;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and nothing left to answer
        job = queue_.front();
        queue_.pop_front();
      }
      HttpResponse response = service_.handle(job->request);  // never throws
      std::lock_guard<std::mutex> lock(job->mutex);
      job->response = std::move(response);
      job->done = true;
      job->done_cv.notify_one();
    }
  }

  Service& service_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Job*> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

void copy_response(HttpResponse&& from, httplib::Response& to) {
  to.status = from.status;
  for (auto& [name, value] : from.headers) to.set_header(name, value);
  to.set_header("X-Content-Type-Options", "nosniff");
  to.set_content(std::move(from.body), from.content_type);
}

}  // namespace

int run_serve(const Args& args) {
  // Signals are taken by one thread with sigwait (below), never by handlers: blocked here, before
  // any thread exists, every thread started later (loading, request threads) inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const std::string host = args.str("host");
  const uint64_t port = args.count("port");
  if (port > 65535) throw Error("option --port: expected 0 to 65535, found " + args.str("port"));
  // Two kinds of threads. cpp-httplib gives each open connection a thread of its own for as long
  // as it is open, and that thread mostly waits: for the client's next request, for the client to
  // read. So connections get threads of their own (--connections), and requests are answered by
  // --threads request threads (RequestThreads) in arrival order: with 2 of them for 32 busy
  // connections they answer back to back instead of each idling through one client's round trips
  // (measured: twice the requests per second, and a p99 a fifth of a semaphore's around the
  // connection threads, whose barging starves some requests).
  uint64_t threads = args.count("threads");
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  if (threads > 1024) throw Error("option --threads: at most 1024, found " + args.str("threads"));
  const uint64_t connections = args.count("connections");
  if (connections < 1 || connections > 4096)
    throw Error("option --connections: expected 1 to 4096, found " + args.str("connections"));

  serve::ServiceOptions options;
  options.model_path = args.str("model");
  options.admin_token = args.str("token");
  if (options.admin_token.empty())
    if (const char* env = std::getenv("COFI_SERVE_TOKEN")) options.admin_token = env;
  const bool loopback = is_loopback(host);
  if (!loopback && options.admin_token.empty())
    throw Error(
        "--host " + host +
        " can be reached from other machines, so the admin endpoint needs a token: give --token T or set "
        "COFI_SERVE_TOKEN (or listen on 127.0.0.1)");

  Service service(options, serve::load_state(options.model_path, 1));

  HttpServer server;
  server.new_task_queue = [connections] { return new httplib::ThreadPool(static_cast<size_t>(connections)); };
  RequestThreads answering(service, threads);
  // Small responses go out at once instead of waiting for the previous segment's ACK (Nagle).
  server.set_tcp_nodelay(true);
  // A slow or silent client holds a connection thread: these bound how long. An idle keep-alive
  // connection (a browser keeps several) is closed after 2 s.
  server.set_read_timeout(5, 0);
  server.set_write_timeout(5, 0);
  server.set_keep_alive_timeout(2);
  server.set_payload_max_length(options.limits.max_body_bytes);

  auto handle = [&answering](const httplib::Request& req, httplib::Response& res) {
    HttpRequest r;
    r.method = req.method;
    r.target = req.target;
    r.body = req.body;
    r.authorization = req.get_header_value("Authorization");
    r.host = req.get_header_value("Host");
    r.origin = req.get_header_value("Origin");
    copy_response(answering.answer(r), res);
  };
  // Every path goes to the service, which routes (and answers 404 and 405) itself.
  server.Get(".*", handle);
  server.Post(".*", handle);
  server.Put(".*", handle);
  server.Patch(".*", handle);
  server.Delete(".*", handle);
  server.Options(".*", handle);
  // Requests cpp-httplib answers itself (malformed, over the size limit, a method it does not
  // route) get the service's JSON error body too.
  server.set_error_handler(
      httplib::Server::HandlerWithResponse([&service](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;  // the service's own
        std::string message;
        const std::string length = req.get_header_value("Content-Length");
        if (res.status == 413 && length.find_first_not_of("0123456789") != std::string::npos) {
          res.status = 400;  // cpp-httplib reads "-5" as a huge length
          message = "malformed Content-Length " + quote_token(length);
        } else if (res.status == 413) {
          message =
              "the body is larger than " + std::to_string(service.options().limits.max_body_bytes) + " bytes";
        } else if (res.status == 400 &&
                   (req.method == "TRACE" || req.method == "CONNECT" || req.method == "PRI")) {
          res.status = 405;
          message = "method " + req.method + " is not allowed";
        } else {
          message = "malformed request";
        }
        copy_response(service.transport_error(res.status, message), res);
        return httplib::Server::HandlerResponse::Handled;
      }));
  server.set_exception_handler(
      [&service](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        copy_response(service.transport_error(500, "internal error"), res);
      });

  int bound = -1;
  if (port == 0) {
    bound = server.bind_to_any_port(host);
  } else if (server.bind_to_port(host, static_cast<int>(port))) {
    bound = static_cast<int>(port);
  }
  if (bound < 0)
    throw Error("cannot listen on " + host + ":" + std::to_string(port) + " (" + std::strerror(errno) +
                "; is the port in use?)");
  server.widen_backlog();

  auto state = service.model();
  const std::string shown_host = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::printf(
      "cofi serve: listening on http://%s:%d/ (%s model, %s users, %s items, %llu threads, %llu "
      "connections%s)\n",
      shown_host.c_str(), bound, to_string(state->model().config().kind),
      with_commas(state->saved.users.size()).c_str(), with_commas(state->saved.items.size()).c_str(),
      static_cast<unsigned long long>(threads), static_cast<unsigned long long>(connections),
      options.admin_token.empty() ? "" : ", admin token required");
  std::fflush(stdout);

  std::atomic<bool> done{false};
  std::thread signal_thread([&] {
    for (;;) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0 || done) return;
      if (sig == SIGHUP) {
        auto outcome = service.reload();
        std::fprintf(stderr, "cofi serve: SIGHUP: %s\n", outcome.message.c_str());
        continue;
      }
      std::fprintf(stderr, "cofi serve: %s: finishing the requests in flight, then exiting\n",
                   sig == SIGINT ? "SIGINT" : "SIGTERM");
      server.stop();
      return;
    }
  });

  const bool ok = server.listen_after_bind();  // returns once stopped and every request thread has finished
  done = true;
  pthread_kill(signal_thread.native_handle(), SIGTERM);  // wakes its sigwait if it still waits
  signal_thread.join();
  std::printf("cofi serve: stopped after %s requests\n", with_commas(service.metrics().total()).c_str());
  return ok ? 0 : 1;
}

}  // namespace cofi::cli
