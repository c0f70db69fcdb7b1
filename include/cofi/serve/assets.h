// The web page served at "/": the files under web/ in the source tree, compiled into the binary
// at build time (src/serve/embed_assets.cmake writes them into a generated source as byte
// arrays), so the server needs no files beside its model and reads none.
#pragma once

#include <span>
#include <string_view>

namespace cofi::serve {

struct Asset {
  std::string_view path;          // "/index.html", "/app.js", ...
  std::string_view content_type;  // "text/html; charset=utf-8", ...
  std::string_view body;
};

// Every embedded file.
std::span<const Asset> web_assets();

// The asset at a request path ("/" is "/index.html"); null when there is none.
const Asset* find_asset(std::string_view path);

}  // namespace cofi::serve
