#include <chrono>
#include <cstdio>
#include <ctime>

#include "commands_impl.h"
#include "text_format.h"
#include "cofi/data/summary.h"

namespace cofi::cli {

namespace {

std::string date_of(int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

}  // namespace

void print_skip_report(const ReadReport& report) {
  if (report.skipped == 0) return;
  std::printf("skipped     %s malformed records (--skip-bad); the first:\n", with_commas(report.skipped).c_str());
  for (const auto& m : report.first_skipped) std::printf("  %s\n", m.c_str());
}

int run_data_info(const Args& args) {
  auto t0 = std::chrono::steady_clock::now();
  Dataset d = load_dataset(args.str("DATA"), load_options_from(args));
  auto t1 = std::chrono::steady_clock::now();
  DataSummary s = summarize(d, args.count("top"));
  double secs = std::chrono::duration<double>(t1 - t0).count();

  std::printf("data set    %s (%s layout)\n", d.source.c_str(), to_string(d.layout));
  std::printf("ratings     %s\n", with_commas(s.ratings).c_str());
  std::printf("users       %s\n", with_commas(s.users).c_str());
  if (s.catalog_items)
    std::printf("items       %s rated of %s in the catalogue\n", with_commas(s.items).c_str(),
                with_commas(s.catalog_items).c_str());
  else
    std::printf("items       %s\n", with_commas(s.items).c_str());
  std::printf("density     %.4f%%\n", 100.0 * s.density);
  std::printf("ratings     mean %.3f, from %g to %g\n", s.mean_rating, s.min_rating, s.max_rating);
  if (s.has_timestamps)
    std::printf("time span   %s to %s\n", date_of(s.first_timestamp).c_str(), date_of(s.last_timestamp).c_str());
  std::printf("per user    min %llu, median %llu, mean %.1f, max %llu\n", (unsigned long long)s.per_user.min,
              (unsigned long long)s.per_user.median, s.per_user.mean, (unsigned long long)s.per_user.max);
  std::printf("per item    min %llu, median %llu, mean %.1f, max %llu\n", (unsigned long long)s.per_item.min,
              (unsigned long long)s.per_item.median, s.per_item.mean, (unsigned long long)s.per_item.max);
  if (d.report.duplicates)
    std::printf("duplicates  %s repeated pairs merged (%s)\n", with_commas(d.report.duplicates).c_str(),
                to_string(load_options_from(args).read.duplicates));
  print_skip_report(d.report);

  std::printf("\nrating histogram\n");
  uint64_t peak = 1;
  for (auto& [v, c] : s.histogram) peak = std::max(peak, c);
  for (auto& [v, c] : s.histogram) {
    int bar = static_cast<int>(40.0 * static_cast<double>(c) / static_cast<double>(peak) + 0.5);
    std::printf("  %4g  %12s  %5.1f%%  %s\n", static_cast<double>(v), with_commas(c).c_str(),
                100.0 * static_cast<double>(c) / static_cast<double>(s.ratings), std::string(static_cast<size_t>(bar), '#').c_str());
  }

  if (!s.most_rated.empty()) {
    std::printf("\nmost rated\n");
    for (auto& t : s.most_rated)
      std::printf("  %8s ratings, mean %.2f  %s%s\n", with_commas(t.count).c_str(), t.mean_rating,
                  t.title.empty() ? ("item " + t.id).c_str() : t.title.c_str(),
                  t.title.empty() ? "" : (" [" + t.id + "]").c_str());
  }

  std::printf("\nside data\n");
  std::printf("  genres        %s\n", s.genres ? (std::to_string(s.genres) + " genres").c_str() : "none");
  std::printf("  tags          %s\n", s.tags ? (with_commas(s.tags) + " tag applications, " +
                                                with_commas(s.distinct_tags) + " distinct").c_str() : "none");
  std::printf("  links         %s\n", s.links ? "IMDb and TMDb ids" : "none");
  if (!s.user_attributes.empty()) {
    std::string names;
    for (auto& a : s.user_attributes) names += (names.empty() ? "" : ", ") + a;
    std::printf("  demographics  %s (%s users)\n", names.c_str(), with_commas(s.users_with_attributes).c_str());
  } else {
    std::printf("  demographics  none\n");
  }
  if (!s.predefined_splits.empty()) {
    std::string names;
    for (auto& n : s.predefined_splits) names += (names.empty() ? "" : ", ") + n;
    std::printf("  splits        %s\n", names.c_str());
  }
  std::printf("\nloaded in %.3f s%s\n", secs, d.from_cache ? " (ratings from the binary cache)" : "");
  return 0;
}

}  // namespace cofi::cli
