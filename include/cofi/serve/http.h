// The transport-free shape of an HTTP exchange: what the service needs of a request and what it
// answers. The HTTP server (tools/cofi/cmd_serve.cpp, cpp-httplib) copies a request into an
// HttpRequest and an HttpResponse back out, so that everything between can be tested and fuzzed
// without sockets.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cofi/error.h"

namespace cofi::serve {

// A request the service refuses, with the status to answer (400, 404, 405, 413, ...). Thrown by the
// parsers and handlers; Service::handle turns it into an error response.
class HttpError : public Error {
 public:
  HttpError(int status, const std::string& message) : Error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

struct HttpRequest {
  std::string method;         // "GET", "POST", ... as sent (HEAD is answered as GET without a body)
  std::string target;         // the request target as sent: path and query, still percent-encoded
  std::string body;           // the whole body (the transport caps its size; the service checks again)
  std::string authorization;  // the Authorization header's value, "" when absent
  std::string host;           // the Host header ("127.0.0.1:8080"), "" when absent
  std::string origin;         // the Origin header a browser sends with cross-site posts, "" when absent
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Allow, WWW-Authenticate, ...)
};

// The reason phrase of a status code the service uses ("Not Found"); "" for others.
std::string_view status_reason(int status);

// {"error": message, "status": status} as a response with that status.
HttpResponse error_response(int status, std::string_view message);

}  // namespace cofi::serve
