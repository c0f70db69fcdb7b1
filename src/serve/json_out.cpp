#include "json_out.h"

#include <nlohmann/json.hpp>

namespace cofi::serve {

std::string json_quote(std::string_view text) {
  return nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace cofi::serve
