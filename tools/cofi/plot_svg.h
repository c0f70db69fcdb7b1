// Small SVG line charts for the loss curves of `cofi train --plot` and the learning-rate finder's
// curve: an image any browser shows, with no plotting library.
#pragma once

#include <string>
#include <vector>

namespace cofi::cli {

struct Series {
  std::string label, color;
  std::vector<double> x, y;
  bool points = false;  // markers instead of a line
  std::vector<std::string> point_labels;  // with points: text beside each point ("" for none)
  double radius = 4;                      // of the markers
};

// A chart of the series, axes fitted to the data; `log_x` for learning rates.
std::string line_chart_svg(const std::string& title, const std::string& x_label, const std::string& y_label,
                           const std::vector<Series>& series, bool log_x = false);

// Train loss per batch (smoothed as fastai's recorder does, beta 0.98) and valid MSE per epoch,
// both against the batch count.
std::string loss_curves_svg(const std::vector<double>& batch_losses, const std::vector<double>& valid_x,
                            const std::vector<double>& valid_y);

}  // namespace cofi::cli
