#include "cofi/data/ratings_reader.h"

#include <gtest/gtest.h>

TEST(Smoke, Parses) {
  cofi::RatingsFormat f;
  auto r = cofi::parse_ratings("1,2,3.5,10\n", "x", f);
  EXPECT_EQ(r.size(), 1u);
}
