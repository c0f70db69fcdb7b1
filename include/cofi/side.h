// The two sides of a rating: the user who gives it and the item that gets it. In core because the
// data layer (cold-start splits) and the model layer (tables, features) both name them.
#pragma once

#include <cstdint>

namespace cofi {

enum class Side : uint8_t { user, item };

}  // namespace cofi
