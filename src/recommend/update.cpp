#include "cofi/recommend/update.h"

#include <algorithm>
#include <numeric>

#include "cofi/error.h"
#include "cofi/random.h"
#include "cofi/recommend/fold_in.h"

namespace cofi {

namespace {

// The history as ratings in the model's ids.
Ratings history_ratings(const SavedModel& m) {
  const UserItems& h = m.history;
  std::vector<uint32_t> users(h.size());
  for (uint32_t u = 0; u < h.n_users(); ++u)
    std::fill(users.begin() + static_cast<std::ptrdiff_t>(h.offsets[u]),
              users.begin() + static_cast<std::ptrdiff_t>(h.offsets[u + 1]), u);
  Ratings r;
  r.user = Column<uint32_t>(std::move(users));
  r.item = Column<uint32_t>(h.items);
  r.rating = Column<float>(h.ratings);
  r.users = m.users;
  r.items = m.items;
  return r;
}

// Row of each old id in the merged map.
std::vector<uint32_t> rows_in(const IdMap& old, const IdMap& merged) {
  std::vector<uint32_t> out(old.size());
  for (uint32_t r = 0; r < old.size(); ++r) {
    auto at = old.kind() == IdMap::Kind::integer && merged.kind() == IdMap::Kind::integer
                  ? merged.find(old.raw_int(r))
                  : merged.find(old.raw(r));
    COFI_ASSERT(at.has_value());
    out[r] = *at;
  }
  return out;
}

// Concatenation of two rating sets in one id space.
Ratings concat(const Ratings& a, const Ratings& b) {
  auto join = [](const auto& x, const auto& y) {
    std::vector<std::decay_t<decltype(x[0])>> v(x.begin(), x.end());
    v.insert(v.end(), y.begin(), y.end());
    return v;
  };
  Ratings r;
  r.user = Column<uint32_t>(join(a.user, b.user));
  r.item = Column<uint32_t>(join(a.item, b.item));
  r.rating = Column<float>(join(a.rating, b.rating));
  r.users = a.users;
  r.items = a.items;
  return r;
}

}  // namespace

SavedModel update_model(const SavedModel& old, const Ratings& ratings, const Items* items,
                        const UpdateOptions& o, UpdateReport* report, const TrainCallbacks& callbacks) {
  if (old.history.empty())
    throw Error("update: the model file has no training history to replay (it was trained with --no-history)");
  // New rows of these kinds would need their side data too; retraining with it is the way.
  if (uses_features(old.model->config().kind))
    throw Error(
        std::string("update: a ") + to_string(old.model->config().kind) +
        " model cannot be updated yet (its new users and items would need their features); retrain it");
  if (ratings.size() == 0) throw Error("update: no new ratings");
  if (!(o.replay >= 0)) throw Error("update: replay must be 0 or more");
  UpdateReport rep;
  rep.new_ratings = ratings.size();

  // One id space for the history and the update; old rows move to their place in it.
  auto [hist, fresh] = with_shared_ids(history_ratings(old), ratings);
  const std::vector<uint32_t> user_to = rows_in(old.users, hist.users),
                              item_to = rows_in(old.items, hist.items);
  const Model& om = *old.model;
  ModelConfig c = om.config();
  c.n_users = static_cast<uint32_t>(hist.n_users());
  c.n_items = static_cast<uint32_t>(hist.n_items());
  rep.new_users = c.n_users - om.config().n_users;
  rep.new_items = c.n_items - om.config().n_items;

  SavedModel m;
  m.model = Model::create(c, o.seed);
  m.users = hist.users;
  m.items = hist.items;
  std::vector<uint8_t> old_user(c.n_users, 0), old_item(c.n_items, 0);
  for (uint32_t r : user_to) old_user[r] = 1;
  for (uint32_t r : item_to) old_item[r] = 1;
  auto& params = m.model->parameters();
  for (size_t k = 0; k < params.size(); ++k) {
    const Parameter& from = om.parameters()[k];
    Parameter& to = params[k];
    if (!to.sparse) {
      to.value = from.value;
      continue;
    }
    const auto& map = to.key == RowKey::user ? user_to : item_to;
    for (uint32_t r = 0; r < from.rows; ++r) std::copy(from.row(r), from.row(r) + from.cols, to.row(map[r]));
  }

  // New rows from fold-in: items from the old users who rated them, then users from all items.
  const double l2 = calibrate_fold_in_l2(om, old.history);
  FoldInOptions fo;
  fo.l2 = l2;
  // `fresh` is a structured binding, which clang 14 cannot capture implicitly: it comes in by an
  // init-capture.
  auto fold_side = [&, &added = fresh](Side side, const std::vector<uint8_t>& is_old) {
    const size_t d = m.model->side_size(side);
    const uint32_t rows = side == Side::user ? c.n_users : c.n_items;
    std::vector<std::vector<uint32_t>> others(rows);
    std::vector<std::vector<float>> values(rows);
    for (size_t k = 0; k < added.size(); ++k) {
      const uint32_t self = side == Side::user ? added.user[k] : added.item[k];
      const uint32_t other = side == Side::user ? added.item[k] : added.user[k];
      // An item's fold-in sees only users whose rows are already known.
      if (is_old[self] || (side == Side::item && !old_user[other])) continue;
      others[self].push_back(other);
      values[self].push_back(added.rating[k]);
    }
    for (uint32_t r = 0; r < rows; ++r) {
      if (is_old[r] || others[r].empty()) continue;
      FoldInResult fit = fold_in(*m.model, side, others[r].data(), values[r].data(), others[r].size(), fo);
      size_t at = 0;
      for (auto& p : params)
        if (p.sparse && p.key == row_key(side)) {
          std::copy(fit.vector.begin() + static_cast<std::ptrdiff_t>(at),
                    fit.vector.begin() + static_cast<std::ptrdiff_t>(at + p.cols), p.row(r));
          at += p.cols;
        }
      COFI_ASSERT(at == d);
    }
  };
  fold_side(Side::item, old_item);
  fold_side(Side::user, old_user);

  // Training data: the update plus a replay sample of the history.
  const size_t replay =
      std::min(hist.size(), static_cast<size_t>(o.replay * static_cast<double>(fresh.size())));
  std::vector<uint32_t> picks(hist.size());
  std::iota(picks.begin(), picks.end(), 0u);
  SplitMix64 rng = stream(o.seed, 1);
  partial_shuffle(std::span<uint32_t>(picks), replay, rng);
  picks.resize(replay);
  std::sort(picks.begin(), picks.end());
  Ratings train = concat(fresh, select_rows(hist, picks));
  rep.replayed = replay;

  // Rows the training data touches; the others are put back afterwards.
  std::vector<uint8_t> touched_user(c.n_users, 0), touched_item(c.n_items, 0);
  for (size_t k = 0; k < train.size(); ++k) {
    touched_user[train.user[k]] = 1;
    touched_item[train.item[k]] = 1;
  }
  std::vector<Parameter> before = params;
  rep.epochs = fit(*m.model, train, nullptr, o.train, callbacks);
  for (size_t k = 0; k < params.size(); ++k) {
    Parameter& p = params[k];
    if (!p.sparse) continue;
    const auto& touched = p.key == RowKey::user ? touched_user : touched_item;
    for (uint32_t r = 0; r < p.rows; ++r)
      if (!touched[r]) std::copy(before[k].row(r), before[k].row(r) + p.cols, p.row(r));
  }

  // The merged history (an update rating replaces the history's rating of the same pair).
  Ratings all = concat(hist, fresh);
  m.history = group_by_user(all, c.n_users);
  rep.replaced = all.size() - m.history.size();

  // Catalog: old items keep their metadata, new ones get it from `items` when given.
  const Catalog& oc = old.catalog;
  if (items) {
    m.catalog = catalog_from(m.items, *items);
  } else if (oc.has_titles() || !oc.genres.empty()) {
    m.catalog.genre_names = oc.genre_names;
    if (oc.has_titles()) m.catalog.titles.assign(c.n_items, "");
    if (!oc.years.empty()) m.catalog.years.assign(c.n_items, 0);
    if (!oc.genres.empty()) m.catalog.genres.assign(c.n_items, {});
    for (uint32_t r = 0; r < item_to.size(); ++r) {
      if (oc.has_titles()) m.catalog.titles[item_to[r]] = oc.titles[r];
      if (!oc.years.empty()) m.catalog.years[item_to[r]] = oc.years[r];
      if (!oc.genres.empty()) m.catalog.genres[item_to[r]] = oc.genres[r];
    }
  }
  m.catalog.rating_counts = m.history.item_counts(c.n_items);

  m.record = old.record;
  m.record.n_ratings = m.history.size();
  double sum = 0;
  for (float r : m.history.ratings) sum += r;
  m.record.rating_mean = sum / static_cast<double>(m.history.size());
  const uint32_t offset = old.record.history.empty() ? 0 : old.record.history.back().epoch;
  for (EpochResult e : rep.epochs) {
    e.epoch += offset;
    m.record.history.push_back(e);
  }
  if (report) *report = std::move(rep);
  return m;
}

}  // namespace cofi
