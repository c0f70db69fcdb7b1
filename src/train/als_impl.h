// One row's ridge regression in ALS (als.h), exposed for the tests: the normal equations built
// from the fixed side's rows, solved by Cholesky in double.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cofi::train_detail {

class RowSolver {
 public:
  // Rows of k factors; `bias` appends the constant 1 to every row of the fixed side and a bias to
  // the unknowns (dotbias), so the unknowns are k (+ 1).
  RowSolver(uint32_t k, bool bias);

  // Solves min_x sum_j (t_j - z_j . x)^2 + lambda_f |x[0..k)|^2 + lambda_b x[k]^2, where z_j is row
  // idx[j] of `other` (k factors, `stride` floats apart; then 1 when `bias`), for j < n (n >= 0).
  // Writes x (k floats, then the bias when `bias`) to `x`. lambda_f > 0, and lambda_b > 0 when
  // `bias`: the system is then positive definite whatever the data.
  void solve(const float* other, size_t stride, const uint32_t* idx, const float* t, size_t n,
             double lambda_f, double lambda_b, float* x);

  // sum_j (t_j - z_j . x)^2 for the x of the last solve, in double.
  double residual_sum_of_squares(const float* other, size_t stride, const uint32_t* idx, const float* t,
                                 size_t n, const float* x) const;

 private:
  uint32_t k_;
  uint32_t k1_;                // unknowns: k (+ 1 with a bias)
  std::vector<float> z_;       // a chunk of gathered rows, k1 x kChunk column-major
  std::vector<float> gram_;    // k1 x k1, lower triangle accumulated in float
  std::vector<double> a_, b_;  // the system in double
};

}  // namespace cofi::train_detail
