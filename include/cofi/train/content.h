// Fitting the `content` model (src/model/content_model.cpp) to training ratings, in closed form:
//   idf_f     = ln((1 + N) / (1 + df_f)) + 1, N the model's items, df_f those with feature f
//               (scikit-learn's smoothed idf: a feature on every item still counts a little);
//   u_mean    = (sum_j r_uj + d * mu) / (n_u + d), the user's mean damped toward the global mean mu
//               (d = ContentFitOptions::mean_damping ratings' worth), mu for users without ratings;
//   P_u       = sum_j (r_uj - u_mean) t_j: items rated above the user's mean pull the profile
//               toward their features, items rated below push it away;
//   scale     = argmin_s sum (r_uj - u_mean - s c_uj)^2 over the training ratings, with c_uj the
//               cosine between item j and the user's profile built without item j (leave one out:
//               with it, each item would explain its own rating); at least 0;
//   u_profile = scale * P_u / |P_u| (0 when P_u is 0).
// fit() (trainer.h) calls this for a content model; it ignores the optimizer and epochs.
#pragma once

#include "cofi/data/ratings.h"
#include "cofi/model/model.h"
#include "cofi/train/trainer.h"

namespace cofi {

struct ContentFitOptions {
  double mean_damping = 5.0;  // d above, in ratings
  unsigned threads = 0;       // for the validation error; 0: all cores
};

// Fits `model` (kind content, item features set) to `train`; scores `valid` (may be null). One
// EpochResult: train_loss is the training MSE after the fit. Throws cofi::Error for another kind.
EpochResult fit_content(Model& model, const Ratings& train, const Ratings* valid,
                        const ContentFitOptions& options = {});

}  // namespace cofi
