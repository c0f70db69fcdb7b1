#include "plot_svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "cofi/error.h"

namespace cofi::cli {

namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

}  // namespace

std::string line_chart_svg(const std::string& title, const std::string& x_label, const std::string& y_label,
                           const std::vector<Series>& series, bool log_x) {
  const double W = 720, H = 440, L = 70, R = 20, T = 40, B = 55;
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  auto fx = [&](double x) { return log_x ? std::log10(x) : x; };
  for (const auto& s : series)
    for (size_t k = 0; k < s.x.size(); ++k) {
      if (!std::isfinite(s.y[k]) || (log_x && s.x[k] <= 0)) continue;
      x0 = std::min(x0, fx(s.x[k]));
      x1 = std::max(x1, fx(s.x[k]));
      y0 = std::min(y0, s.y[k]);
      y1 = std::max(y1, s.y[k]);
    }
  if (!(x1 > x0)) x1 = x0 + 1;
  if (!(y1 > y0)) y1 = y0 + 1;
  double pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  auto px = [&](double x) { return L + (fx(x) - x0) / (x1 - x0) * (W - L - R); };
  auto py = [&](double y) { return H - B - (y - y0) / (y1 - y0) * (H - T - B); };
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(W) + "\" height=\"" + num(H) +
                    "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"" + num(W / 2) + "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" + escape(title) + "</text>\n";
  svg += "<line x1=\"" + num(L) + "\" y1=\"" + num(H - B) + "\" x2=\"" + num(W - R) + "\" y2=\"" + num(H - B) +
         "\" stroke=\"black\"/>\n<line x1=\"" + num(L) + "\" y1=\"" + num(T) + "\" x2=\"" + num(L) + "\" y2=\"" +
         num(H - B) + "\" stroke=\"black\"/>\n";
  for (int k = 0; k <= 5; ++k) {
    double xv = x0 + (x1 - x0) * k / 5, yv = y0 + (y1 - y0) * k / 5;
    double xs = L + (W - L - R) * k / 5, ys = H - B - (H - T - B) * k / 5;
    svg += "<text x=\"" + num(xs) + "\" y=\"" + num(H - B + 16) + "\" text-anchor=\"middle\">" +
           num(log_x ? std::pow(10.0, xv) : xv) + "</text>\n";
    svg += "<text x=\"" + num(L - 6) + "\" y=\"" + num(ys + 4) + "\" text-anchor=\"end\">" + num(yv) + "</text>\n";
    svg += "<line x1=\"" + num(L) + "\" y1=\"" + num(ys) + "\" x2=\"" + num(W - R) + "\" y2=\"" + num(ys) +
           "\" stroke=\"#eee\"/>\n";
  }
  svg += "<text x=\"" + num((L + W - R) / 2) + "\" y=\"" + num(H - 12) + "\" text-anchor=\"middle\">" +
         escape(x_label) + "</text>\n";
  svg += "<text transform=\"translate(16," + num((T + H - B) / 2) + ") rotate(-90)\" text-anchor=\"middle\">" +
         escape(y_label) + "</text>\n";
  double ly = T + 8;
  for (const auto& s : series) {
    if (s.points) {
      for (size_t k = 0; k < s.x.size(); ++k)
        if (std::isfinite(s.y[k]))
        {
          svg += "<circle cx=\"" + num(px(s.x[k])) + "\" cy=\"" + num(py(s.y[k])) + "\" r=\"" + num(s.radius) +
                 "\" fill=\"" + s.color + "\"/>\n";
          if (k < s.point_labels.size() && !s.point_labels[k].empty())
            svg += "<text x=\"" + num(px(s.x[k]) + 5) + "\" y=\"" + num(py(s.y[k]) + 4) + "\" font-size=\"10\">" +
                   escape(s.point_labels[k]) + "</text>\n";
        }
    } else {
      std::string pts;
      for (size_t k = 0; k < s.x.size(); ++k)
        if (std::isfinite(s.y[k]) && (!log_x || s.x[k] > 0)) pts += num(px(s.x[k])) + "," + num(py(s.y[k])) + " ";
      svg += "<polyline fill=\"none\" stroke=\"" + s.color + "\" stroke-width=\"1.5\" points=\"" + pts + "\"/>\n";
    }
    svg += "<rect x=\"" + num(W - R - 150) + "\" y=\"" + num(ly - 9) + "\" width=\"12\" height=\"3\" fill=\"" + s.color +
           "\"/><text x=\"" + num(W - R - 132) + "\" y=\"" + num(ly - 4) + "\">" + escape(s.label) + "</text>\n";
    ly += 16;
  }
  svg += "</svg>\n";
  return svg;
}

std::string loss_curves_svg(const std::vector<double>& batch_losses, const std::vector<double>& valid_x,
                            const std::vector<double>& valid_y) {
  Series train{"train loss (smoothed)", "#1f77b4", {}, {}, false, {}, 4};
  double avg = 0;
  for (size_t k = 0; k < batch_losses.size(); ++k) {
    avg = 0.98 * avg + 0.02 * batch_losses[k];
    train.x.push_back(static_cast<double>(k + 1));
    train.y.push_back(avg / (1.0 - std::pow(0.98, static_cast<double>(k + 1))));  // debiased, as fastai
  }
  Series valid{"valid MSE", "#d62728", valid_x, valid_y, true, {}, 4};
  return line_chart_svg("loss", "batches", "MSE", {train, valid});
}

}  // namespace cofi::cli
