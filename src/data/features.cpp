// Features from side data (include/cofi/data/features.h).
#include "cofi/data/features.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cofi/data/ratings.h"
#include "cofi/error.h"
#include "csv_impl.h"
#include "mapped_file_impl.h"
#include "side_data_impl.h"
#include "text_scan_impl.h"

namespace cofi {

namespace {

using Entries = std::vector<std::pair<uint32_t, float>>;  // (feature, weight) of one entity

// A vocabulary in order of first use.
class Vocabulary {
 public:
  uint32_t intern(const std::string& name) {
    auto [it, added] = index_.try_emplace(name, static_cast<uint32_t>(names_.size()));
    if (added) names_.push_back(name);
    return it->second;
  }
  std::vector<std::string> take() { return std::move(names_); }

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, uint32_t> index_;
};

// Appends an entity's entries as one row of `f`: sorted by feature, repeated features summed.
void append_row(Features& f, Entries e) {
  std::sort(e.begin(), e.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t k = 0; k < e.size(); ++k) {
    if (!f.index.empty() && f.index.size() > f.offsets.back() && f.index.back() == e[k].first) {
      f.weight.back() += e[k].second;
      continue;
    }
    f.index.push_back(e[k].first);
    f.weight.push_back(e[k].second);
  }
  f.offsets.push_back(f.index.size());
}

// A table from entities keyed by integer raw id (std::map keeps them sorted).
FeatureTable finish_int(std::map<uint32_t, Entries> by_id, Vocabulary vocab) {
  FeatureTable t;
  std::vector<uint32_t> ids;
  ids.reserve(by_id.size());
  t.features.offsets.push_back(0);
  for (auto& [id, entries] : by_id) {
    ids.push_back(id);
    append_row(t.features, std::move(entries));
  }
  t.ids = IdMap::from_sorted_ints(std::move(ids));
  t.features.names = vocab.take();
  return t;
}

std::string lower_trimmed(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  std::string out(s.substr(b, e - b));
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string age_bucket(uint32_t age) {
  if (age < 18) return "under 18";
  if (age < 25) return "18-24";
  if (age < 35) return "25-34";
  if (age < 45) return "35-44";
  if (age < 50) return "45-49";
  if (age < 56) return "50-55";
  return "56+";
}

FeatureTable item_features(const Items* items, const Tags* tags, const ItemFeatureOptions& o) {
  Vocabulary vocab;
  std::map<uint32_t, Entries> by_id;
  if (items) {
    for (size_t r = 0; r < items->size(); ++r) {
      Entries& e = by_id[items->ids.raw_int(static_cast<uint32_t>(r))];
      const auto& genres = items->genres[r];
      if (o.genres && !genres.empty()) {
        const float w = o.split_genres ? 1.0f / static_cast<float>(genres.size()) : 1.0f;
        for (uint16_t g : genres) e.push_back({vocab.intern("genre=" + items->genre_names[g]), w});
      }
      if (o.decades && items->years[r] > 0)
        e.push_back({vocab.intern("decade=" + std::to_string(items->years[r] / 10 * 10) + "s"), 1.0f});
    }
  }
  if (tags && o.tags) {
    // Applications per (item, tag), and the items each tag is on.
    std::map<std::pair<uint32_t, std::string>, uint32_t> count;
    for (size_t k = 0; k < tags->size(); ++k) {
      std::string tag = lower_trimmed(tags->tag[k]);
      if (!tag.empty()) ++count[{tags->item[k], std::move(tag)}];
    }
    std::unordered_map<std::string, uint32_t> items_of_tag;
    for (const auto& [key, n] : count) ++items_of_tag[key.second];
    // Each item's kept tags, weighted by applications and normalised to sum to 1. The map is
    // ordered by item, then tag: one item's tags are consecutive.
    for (auto it = count.begin(); it != count.end();) {
      const uint32_t item = it->first.first;
      Entries kept;
      double total = 0;
      for (; it != count.end() && it->first.first == item; ++it)
        if (items_of_tag[it->first.second] >= o.min_tag_items) {
          kept.push_back({vocab.intern("tag=" + it->first.second), static_cast<float>(it->second)});
          total += it->second;
        }
      Entries& e = by_id[item];
      for (auto& [f, w] : kept) e.push_back({f, static_cast<float>(w / total)});
    }
  }
  return finish_int(std::move(by_id), std::move(vocab));
}

FeatureTable user_features(const Users& users, const UserFeatureOptions& o) {
  Vocabulary vocab;
  std::map<uint32_t, Entries> by_id;
  for (size_t r = 0; r < users.size(); ++r) {
    Entries& e = by_id[users.ids.raw_int(static_cast<uint32_t>(r))];
    for (size_t a = 0; a < users.attribute_names.size(); ++a) {
      const std::string& name = users.attribute_names[a];
      std::string value = users.values[r][a];
      if (value.empty()) continue;
      if (!o.attributes.empty() &&
          std::find(o.attributes.begin(), o.attributes.end(), name) == o.attributes.end())
        continue;
      uint32_t age = 0;
      if (name == "age" && detail::parse_u32(value, age) == detail::NumError::none) value = age_bucket(age);
      if (name == "zip") {
        if (o.zip_digits == 0) continue;
        if (value.size() > o.zip_digits) value.resize(o.zip_digits);
      }
      e.push_back({vocab.intern(name + "=" + value), 1.0f});
    }
  }
  return finish_int(std::move(by_id), std::move(vocab));
}

FeatureTable read_feature_file(const std::string& path) {
  detail::MappedFile file(path);
  detail::require_content(file.bytes(), path, "lines \"id,feature[,weight]\"");
  detail::CsvScanner csv(file.bytes(), path);
  const std::vector<std::string> names{"id", "feature", "weight"};
  csv.set_field_names(names);
  struct Record {
    std::string id;
    uint32_t feature;
    float weight;
    uint64_t line;
  };
  std::vector<Record> records;
  Vocabulary vocab;
  bool first = true;
  while (csv.next()) {
    detail::Place at{csv.file(), csv.line(), csv.terminated()};
    if (csv.size() < 2 || csv.size() > 3)
      detail::fail(at, csv.size() < 2 ? names[csv.size()] : std::string(),
                   "expected 2 or 3 fields (id,feature[,weight]) separated by ',', found " +
                       std::to_string(csv.size()));
    if (first && csv[1] == "feature") {  // the header line
      first = false;
      continue;
    }
    first = false;
    if (csv[0].empty()) detail::fail(at, names[0], "missing value: expected an id");
    if (csv[1].empty()) detail::fail(at, names[1], "missing value: expected a feature name");
    if (!detail::valid_utf8(csv[1])) detail::fail(at, names[1], "invalid UTF-8 in " + quote_token(csv[1]));
    float w = 1.0f;
    if (csv.size() == 3) {
      auto err = detail::parse_float(csv[2], w);
      if (err != detail::NumError::none || !(w > 0))
        detail::fail(at, names[2], "expected a weight: a finite number > 0, found " + quote_token(csv[2]));
    }
    records.push_back({csv[0], vocab.intern(csv[1]), w, at.line});
  }
  if (records.empty())
    throw Error(Location{path, 0, {}}, "no features: the file has a header but no records");

  // Integer ids when every id is a whole number below 2^32.
  bool ints = true;
  for (const auto& r : records) {
    uint32_t v = 0;
    if (detail::parse_u32(r.id, v) != detail::NumError::none || (r.id.size() > 1 && r.id[0] == '0')) {
      ints = false;
      break;
    }
  }
  // Sort records by id (in the id map's order), then feature; a pair given twice is an error.
  std::vector<uint32_t> int_id(records.size());
  if (ints)
    for (size_t k = 0; k < records.size(); ++k) detail::parse_u32(records[k].id, int_id[k]);
  std::vector<size_t> order(records.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (ints ? int_id[a] != int_id[b] : records[a].id != records[b].id)
      return ints ? int_id[a] < int_id[b] : records[a].id < records[b].id;
    return records[a].feature < records[b].feature;
  });
  FeatureTable t;
  t.features.names = vocab.take();
  t.features.offsets.push_back(0);
  std::vector<uint32_t> id_ints;
  std::vector<std::string> id_strings;
  for (size_t k = 0; k < order.size(); ++k) {
    const Record& r = records[order[k]];
    const bool new_id = k == 0 || records[order[k - 1]].id != r.id;
    if (!new_id && records[order[k - 1]].feature == r.feature) {
      const Record& earlier = records[order[k - 1]];
      throw Error(Location{path, r.line, names[1]},
                  "the feature " + quote_token(t.features.names[r.feature]) + " is given twice for id " +
                      quote_token(r.id) + " (first on line " + std::to_string(earlier.line) + ")");
    }
    if (new_id) {
      if (k > 0) t.features.offsets.push_back(t.features.index.size());
      if (ints)
        id_ints.push_back(int_id[order[k]]);
      else
        id_strings.push_back(r.id);
    }
    t.features.index.push_back(r.feature);
    t.features.weight.push_back(r.weight);
  }
  t.features.offsets.push_back(t.features.index.size());
  t.ids =
      ints ? IdMap::from_sorted_ints(std::move(id_ints)) : IdMap::from_sorted_strings(std::move(id_strings));
  return t;
}

void normalize_rows(FeatureTable& table) {
  Features& f = table.features;
  for (size_t r = 0; r < f.rows(); ++r) {
    double sum = 0;
    for (uint64_t e = f.offsets[r]; e < f.offsets[r + 1]; ++e) sum += f.weight[e];
    for (uint64_t e = f.offsets[r]; e < f.offsets[r + 1]; ++e)
      f.weight[e] = static_cast<float>(f.weight[e] / sum);
  }
}

FeatureTable merge_features(const FeatureTable& a, const FeatureTable& b) {
  FeatureTable out;
  out.ids = union_ids(a.ids, b.ids);
  Vocabulary vocab;
  std::vector<uint32_t> from_a(a.features.names.size()), from_b(b.features.names.size());
  for (size_t k = 0; k < from_a.size(); ++k) from_a[k] = vocab.intern(a.features.names[k]);
  for (size_t k = 0; k < from_b.size(); ++k) from_b[k] = vocab.intern(b.features.names[k]);
  out.features.offsets.push_back(0);
  for (uint32_t r = 0; r < out.ids.size(); ++r) {
    const std::string raw = out.ids.raw(r);
    Entries e;
    for (auto [t, map] : {std::pair{&a, &from_a}, std::pair{&b, &from_b}}) {
      auto row = t->ids.find(std::string_view(raw));
      if (!row || t->features.rows() == 0) continue;
      auto idx = t->features.index_of(*row);
      auto w = t->features.weight_of(*row);
      for (size_t k = 0; k < idx.size(); ++k) e.push_back({(*map)[idx[k]], w[k]});
    }
    append_row(out.features, std::move(e));
  }
  out.features.names = vocab.take();
  return out;
}

Features align_features(const FeatureTable& table, const IdMap& rows, size_t* matched) {
  Features f;
  f.names = table.features.names;
  f.offsets.reserve(rows.size() + 1);
  f.offsets.push_back(0);
  size_t found = 0;
  const bool ints = rows.kind() == IdMap::Kind::integer && table.ids.kind() == IdMap::Kind::integer;
  for (uint32_t r = 0; r < rows.size(); ++r) {
    auto row = ints ? table.ids.find(rows.raw_int(r)) : table.ids.find(std::string_view(rows.raw(r)));
    if (row && table.features.rows() > 0) {
      ++found;
      auto idx = table.features.index_of(*row);
      auto w = table.features.weight_of(*row);
      f.index.insert(f.index.end(), idx.begin(), idx.end());
      f.weight.insert(f.weight.end(), w.begin(), w.end());
    }
    f.offsets.push_back(f.index.size());
  }
  if (matched) *matched = found;
  return f;
}

}  // namespace cofi
