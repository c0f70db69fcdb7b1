#include "cofi/serve/service.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <new>
#include <numeric>

#include "cofi/error.h"
#include "cofi/recommend/attributes.h"
#include "cofi/recommend/explain.h"
#include "cofi/recommend/similar.h"
#include "cofi/serve/assets.h"
#include "json_out.h"

namespace cofi::serve {

namespace {

// ---- Looking things up in the model ----

uint32_t find_row(const IdMap& ids, std::string_view raw, const char* what) {
  if (auto row = ids.find(raw)) return *row;
  std::string range =
      ids.size() == 0 ? "none" : ids.raw(0) + " to " + ids.raw(static_cast<uint32_t>(ids.size() - 1));
  throw HttpError(404, std::string(what) + " " + quote_token(raw) + " is not in the model (its " +
                           std::to_string(ids.size()) + " " + what + " ids run from " + range + ")");
}

// The items a genre allows, or an empty filter (every item) when no genre is asked for.
std::vector<uint8_t> genre_filter(const ModelState& s, const std::optional<std::string_view>& genre) {
  if (!genre) return {};
  const Catalog& cat = s.saved.catalog;
  if (cat.genre_names.empty()) throw HttpError(400, "genre: the model has no genres");
  int g = cat.find_genre(std::string(*genre));
  if (g < 0) {
    std::string names;
    for (const auto& name : cat.genre_names) names += (names.empty() ? "" : ", ") + name;
    throw HttpError(400,
                    "genre: unknown genre " + quote_token(*genre) + " (the model's genres: " + names + ")");
  }
  return s.genre_allowed[static_cast<size_t>(g)];
}

// ---- Writing answers ----

HttpResponse json_response(std::string body) {
  HttpResponse r;
  r.body = std::move(body);
  return r;
}

// {fields,"prediction":p} for each recommendation.
void append_recommendations(std::string& out, const ModelState& s, const std::vector<Recommendation>& recs) {
  out += "\"items\":[";
  for (size_t k = 0; k < recs.size(); ++k) {
    out += k ? ",{" : "{";
    out += s.item_fields[recs[k].item];
    out += ",\"prediction\":";
    append_number(out, recs[k].prediction);
    out += '}';
  }
  out += ']';
}

void append_bool(std::string& out, const char* key, bool value) {
  out += ",\"";
  out += key;
  out += value ? "\":true" : "\":false";
}

// ---- Endpoints ----

HttpResponse recommend_user(const ModelState& s, const QueryParams& q, const RequestLimits& limits) {
  q.allow_only({"user", "n", "genre", "exclude_rated", "item_bias"});
  const uint32_t user = find_row(s.saved.users, q.required("user"), "user");
  RecommendOptions o;
  o.n = q.count("n", 10, 1, limits.max_n);
  o.exclude_rated = q.flag("exclude_rated", true);
  o.item_bias = q.flag("item_bias", true);
  o.allowed = genre_filter(s, q.get("genre"));
  o.threads = 1;  // the server's parallelism is across requests
  const auto recs = s.recommender->for_user(user, o);
  std::string out = "{\"user\":" + s.user_json(user);
  out += ",\"n\":" + std::to_string(o.n);
  // Without a training history nothing can be left out, whatever was asked.
  append_bool(out, "rated_excluded", o.exclude_rated && !s.saved.history.empty());
  append_bool(out, "item_bias", o.item_bias);
  out += ",";
  append_recommendations(out, s, recs);
  out += '}';
  return json_response(std::move(out));
}

HttpResponse recommend_ratings(const ModelState& s, const HttpRequest& req, const RequestLimits& limits) {
  FoldInRequest body = parse_fold_in_request(req.body, limits);
  const ModelConfig& c = s.model().config();
  std::vector<uint32_t> items;
  std::vector<float> ratings;
  items.reserve(body.ratings.size());
  ratings.reserve(body.ratings.size());
  for (size_t k = 0; k < body.ratings.size(); ++k) {
    const auto& [id, rating] = body.ratings[k];
    uint32_t row = 0;
    try {
      row = find_row(s.saved.items, id, "item");
    } catch (const HttpError& e) {
      throw HttpError(404, "ratings[" + std::to_string(k) + "].item: " + e.what());
    }
    // Ratings outside the model's output range would pull the fit towards predictions the
    // sigmoid can never make.
    if (c.y_range && (rating < c.y_min || rating > c.y_max))
      throw HttpError(400, "ratings[" + std::to_string(k) + "].rating: " + show_number(rating) +
                               " is outside the model's rating range " + show_number(c.y_min) + " to " +
                               show_number(c.y_max));
    items.push_back(row);
    ratings.push_back(rating);
  }
  RecommendOptions o;
  o.n = body.n;
  o.exclude_rated = body.exclude_rated;
  o.item_bias = body.item_bias;
  if (body.genre) o.allowed = genre_filter(s, std::string_view(*body.genre));
  o.threads = 1;
  // A hybrid's visitor may also be known by attributes (demographics): their features' part is
  // held fixed and the ratings fit the rest.
  const UserAttributes attributes =
      body.attributes.empty() ? UserAttributes{} : user_attributes(s.model(), body.attributes, "attributes");
  const Newcomer who = s.recommender->fold_in(items, ratings, attributes.index, attributes.weight);
  const auto recs = s.recommender->for_newcomer(who, o);
  std::string out = "{\"rated\":" + std::to_string(who.items.size());
  if (!attributes.index.empty()) out += ",\"attributes\":" + std::to_string(attributes.index.size());
  out += ",\"n\":" + std::to_string(o.n);
  append_bool(out, "rated_excluded", o.exclude_rated);
  append_bool(out, "item_bias", o.item_bias);
  out += ",\"fold_in\":{\"iterations\":" + std::to_string(who.fit.iterations);
  append_bool(out, "converged", who.fit.converged);
  out += ",\"rmse\":";
  append_number(out, who.fit.train_rmse);
  out += "},";
  append_recommendations(out, s, recs);
  out += '}';
  return json_response(std::move(out));
}

HttpResponse similar(const ModelState& s, const QueryParams& q, const RequestLimits& limits) {
  q.allow_only({"item", "n", "min_ratings", "genre"});
  const uint32_t item = find_row(s.saved.items, q.required("item"), "item");
  const size_t n = q.count("n", 10, 1, limits.max_n);
  // Rarely rated items' factors are mostly their initial noise, which cosine similarity scales up
  // to full length: left out unless asked for (as `cofi similar` does).
  const size_t min_ratings = q.count("min_ratings", 20, 0, 1u << 30);
  std::vector<uint8_t> allowed = genre_filter(s, q.get("genre"));
  const auto& counts = s.saved.catalog.rating_counts;
  if (min_ratings > 0 && counts.size() == s.saved.items.size()) {
    if (allowed.empty()) allowed.assign(counts.size(), 1);
    for (size_t i = 0; i < counts.size(); ++i)
      if (counts[i] < min_ratings) allowed[i] = 0;
  }
  const auto near = s.similar_items->most_similar(item, n, allowed, 1);
  std::string out = "{\"item\":{" + s.item_fields[item] + "},\"items\":[";
  for (size_t k = 0; k < near.size(); ++k) {
    out += k ? ",{" : "{";
    out += s.item_fields[near[k].second];
    out += ",\"similarity\":";
    append_number(out, near[k].first);
    out += '}';
  }
  out += "]}";
  return json_response(std::move(out));
}

HttpResponse predict(const ModelState& s, const QueryParams& q) {
  q.allow_only({"user", "item"});
  const uint32_t user = find_row(s.saved.users, q.required("user"), "user");
  const uint32_t item = find_row(s.saved.items, q.required("item"), "item");
  float p = 0;
  s.model().predict(&user, &item, 1, &p);
  std::string out = "{\"user\":" + s.user_json(user) + ",\"item\":" + s.item_json(item) + ",\"prediction\":";
  append_number(out, p);
  // The user's own training rating of the item, when the history has one.
  out += ",\"rating\":";
  if (!s.saved.history.empty()) {
    auto items = s.saved.history.items_of(user);
    auto it = std::lower_bound(items.begin(), items.end(), item);
    if (it != items.end() && *it == item)
      append_number(out, s.saved.history.ratings_of(user)[static_cast<size_t>(it - items.begin())]);
    else
      out += "null";
  } else {
    out += "null";
  }
  out += '}';
  return json_response(std::move(out));
}

HttpResponse item_search(const ModelState& s, const QueryParams& q, const RequestLimits& limits) {
  q.allow_only({"q", "n"});
  const std::string_view text = q.required("q");
  if (text.size() > limits.max_search_bytes)
    throw HttpError(400, "q: the search text is " + std::to_string(text.size()) + " bytes; at most " +
                             std::to_string(limits.max_search_bytes) + " are accepted");
  const size_t n = q.count("n", 20, 1, limits.max_n);
  // An item's raw id finds it too, so a model without titles can still be searched.
  std::vector<uint32_t> hits;
  if (auto row = s.saved.items.find(text)) hits.push_back(*row);
  for (uint32_t row : find_titles(s.saved.catalog, std::string(text)))
    if (hits.empty() || row != hits.front()) hits.push_back(row);
  std::string out =
      "{\"query\":" + json_quote(text) + ",\"total\":" + std::to_string(hits.size()) + ",\"items\":[";
  for (size_t k = 0; k < hits.size() && k < n; ++k) {
    out += k ? ",{" : "{";
    out += s.item_fields[hits[k]];
    out += '}';
  }
  out += "]}";
  return json_response(std::move(out));
}

HttpResponse item(const ModelState& s, std::string_view id, const QueryParams& q) {
  q.allow_only({});
  const uint32_t row = find_row(s.saved.items, id, "item");
  std::string out = "{" + s.item_fields[row] + ",\"bias\":";
  if (!s.item_bias.empty())
    append_number(out, s.item_bias[row]);
  else
    out += "null";
  out += '}';
  return json_response(std::move(out));
}

HttpResponse explain(const ModelState& s, const QueryParams& q, const RequestLimits& limits) {
  q.allow_only({"n", "min_ratings", "pca_items"});
  const size_t n = q.count("n", 10, 1, 100);
  const size_t min_ratings = q.count("min_ratings", 50, 0, 1u << 30);
  const size_t pca_items = q.count("pca_items", 1000, 2, limits.max_pca_items);
  std::string out = "{\"bias\":";
  if (auto b = item_bias_extremes(s.saved, static_cast<uint32_t>(min_ratings), n)) {
    out += "{\"min_ratings\":" + std::to_string(min_ratings) + ",\"eligible\":" + std::to_string(b->eligible);
    for (const auto* side : {&b->lowest, &b->highest}) {
      out += side == &b->lowest ? ",\"lowest\":[" : ",\"highest\":[";
      for (size_t k = 0; k < side->size(); ++k) {
        out += k ? ",{" : "{";
        out += s.item_fields[(*side)[k].second];
        out += ",\"bias\":";
        append_number(out, (*side)[k].first);
        out += '}';
      }
      out += ']';
    }
    out += '}';
  } else {
    out += "null";
  }
  // The recipe's map: the most-rated items on the first two principal components of their factors.
  std::vector<uint32_t> items = most_rated_items(s.saved.catalog, pca_items);
  if (items.empty()) {  // no rating counts: the first items
    items.resize(std::min<size_t>(pca_items, s.saved.items.size()));
    std::iota(items.begin(), items.end(), 0u);
  }
  out += ",\"pca\":";
  if (items.size() >= 2 && s.model().representation_size(Side::item) >= 2) {
    const ItemPca pca = item_pca(s.model(), items, 2);
    out += "{\"explained\":[";
    append_number(out, pca.explained[0]);
    out += ',';
    append_number(out, pca.explained[1]);
    out += "],\"points\":[";
    for (size_t k = 0; k < items.size(); ++k) {
      out += k ? ",{" : "{";
      out += s.item_fields[items[k]];
      out += ",\"x\":";
      append_number(out, pca.coordinates[0][k]);
      out += ",\"y\":";
      append_number(out, pca.coordinates[1][k]);
      out += '}';
    }
    out += "]}";
  } else {
    out += "null";
  }
  out += '}';
  return json_response(std::move(out));
}

HttpResponse page(const Asset& a) {
  HttpResponse r;
  r.content_type = std::string(a.content_type);
  r.body = std::string(a.body);
  // The page talks to this server's API only: no inline scripts, no other origins, no framing.
  r.headers = {{"Content-Security-Policy",
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"},
               {"Cache-Control", "no-cache"}};
  return r;
}

// Equal in time independent of where the two differ, so that a token cannot be guessed byte by
// byte from response times.
bool same_secret(std::string_view given, std::string_view secret) {
  unsigned char diff = given.size() == secret.size() ? 0 : 1;
  for (size_t i = 0; i < secret.size(); ++i)
    diff |= static_cast<unsigned char>(secret[i] ^ (i < given.size() ? given[i] : 0));
  return diff == 0;
}

// "http://host:port" -> "host:port".
std::string_view authority_of(std::string_view origin) {
  if (size_t scheme = origin.find("://"); scheme != std::string_view::npos) origin.remove_prefix(scheme + 3);
  return origin;
}

struct Route {
  std::string_view path;
  Endpoint endpoint;
  bool get, post;
};

constexpr Route kRoutes[] = {
    {"/v1/recommend", Endpoint::recommend_user, true, true},
    {"/v1/similar", Endpoint::similar, true, false},
    {"/v1/predict", Endpoint::predict, true, false},
    {"/v1/items/search", Endpoint::item_search, true, false},
    {"/v1/explain", Endpoint::explain, true, false},
    {"/v1/model", Endpoint::model, true, false},
    {"/healthz", Endpoint::healthz, true, false},
    {"/metrics", Endpoint::metrics, true, false},
    {"/v1/admin/reload", Endpoint::reload, false, true},
};

constexpr std::string_view kItemPrefix = "/v1/items/";

}  // namespace

Service::Service(ServiceOptions options, std::shared_ptr<const ModelState> initial)
    : options_(std::move(options)), holder_(std::move(initial)) {
  COFI_ASSERT(holder_.get());
}

HttpResponse Service::handle(const HttpRequest& request) {
  const auto t0 = std::chrono::steady_clock::now();
  metrics_.enter();
  Endpoint endpoint = Endpoint::other;
  HttpResponse res;
  try {
    res = route(request, endpoint);
  } catch (const HttpError& e) {
    res = error_response(e.status(), e.what());
  } catch (const Error& e) {
    // The library refused an input the handlers let through: still the request's fault.
    res = error_response(400, e.what());
  } catch (const std::bad_alloc&) {
    res = error_response(503, "out of memory");
  } catch (const std::exception& e) {
    res = error_response(500, std::string("internal error: ") + e.what());
  }
  if (res.content_type == "application/json") res.headers.emplace_back("Cache-Control", "no-store");
  metrics_.leave();
  metrics_.record(endpoint, res.status,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return res;
}

HttpResponse Service::transport_error(int status, std::string_view message) {
  metrics_.record(Endpoint::other, status, 0);
  return error_response(status, message);
}

HttpResponse Service::route(const HttpRequest& request, Endpoint& endpoint) {
  const Target target = split_target(request.target, options_.limits.max_target_bytes);
  const bool get = request.method == "GET" || request.method == "HEAD";  // HEAD: GET without the body
  const bool post = request.method == "POST";
  auto refuse_method = [&](const char* allow) {
    HttpResponse r = error_response(405, "method " + quote_token(request.method) + " is not allowed on " +
                                             quote_token(target.path) + " (allowed: " + allow + ")");
    r.headers.emplace_back("Allow", allow);
    return r;
  };

  if (const Asset* a = find_asset(target.path)) {
    endpoint = Endpoint::page;
    if (!get) return refuse_method("GET, HEAD");
    return page(*a);
  }

  const Route* r = nullptr;
  for (const Route& x : kRoutes)
    if (x.path == target.path) r = &x;
  std::string_view item_id;
  if (!r && target.path.size() > kItemPrefix.size() && target.path.starts_with(kItemPrefix)) {
    item_id = std::string_view(target.path).substr(kItemPrefix.size());
    endpoint = Endpoint::item;
    if (!get) return refuse_method("GET, HEAD");
    const QueryParams q = QueryParams::parse(target.query);
    return item(*holder_.get(), item_id, q);
  }
  if (!r)
    throw HttpError(404,
                    "no such endpoint: " + quote_token(target.path) + " (see GET / for the page, /v1/...)");
  endpoint = r->endpoint;
  if (r->endpoint == Endpoint::recommend_user && post) endpoint = Endpoint::recommend_ratings;
  if ((get && !r->get) || (post && !r->post) || (!get && !post))
    return refuse_method(r->get && r->post ? "GET, HEAD, POST" : r->get ? "GET, HEAD" : "POST");

  if (endpoint == Endpoint::reload) {
    QueryParams::parse(target.query).allow_only({});
    return admin_reload(request);
  }

  // The model this request answers with, kept alive to the end whatever reloads happen meanwhile.
  const std::shared_ptr<const ModelState> state = holder_.get();
  const ModelState& s = *state;
  const RequestLimits& limits = options_.limits;
  if (endpoint == Endpoint::recommend_ratings) {
    if (!target.query.empty()) QueryParams::parse(target.query).allow_only({});
    return recommend_ratings(s, request, limits);
  }
  const QueryParams q = QueryParams::parse(target.query);
  switch (endpoint) {
    case Endpoint::recommend_user:
      return recommend_user(s, q, limits);
    case Endpoint::similar:
      return similar(s, q, limits);
    case Endpoint::predict:
      return predict(s, q);
    case Endpoint::item_search:
      return item_search(s, q, limits);
    case Endpoint::explain:
      return explain(s, q, limits);
    case Endpoint::model:
      q.allow_only({});
      return json_response(s.info_json());
    case Endpoint::healthz:
      q.allow_only({});
      return json_response("{\"status\":\"ok\",\"generation\":" + std::to_string(s.generation) + "}");
    case Endpoint::metrics: {
      q.allow_only({});
      HttpResponse m;
      m.content_type = "text/plain; version=0.0.4; charset=utf-8";
      m.body = metrics_.render();
      m.body +=
          "# HELP cofi_model_generation The model serving: 1 at start, one more per successful reload.\n";
      m.body +=
          "# TYPE cofi_model_generation gauge\ncofi_model_generation " + std::to_string(s.generation) + "\n";
      m.body += "# HELP cofi_model_loaded_timestamp_seconds When the model serving was loaded.\n";
      m.body += "# TYPE cofi_model_loaded_timestamp_seconds gauge\ncofi_model_loaded_timestamp_seconds ";
      append_number(m.body, static_cast<double>(s.loaded_unix_ms) / 1000.0);
      m.body += "\n# HELP cofi_model_items Items of the model serving.\n# TYPE cofi_model_items gauge\n";
      m.body += "cofi_model_items " + std::to_string(s.saved.items.size()) + "\n";
      m.body += "# HELP cofi_model_users Users of the model serving.\n# TYPE cofi_model_users gauge\n";
      m.body += "cofi_model_users " + std::to_string(s.saved.users.size()) + "\n";
      return m;
    }
    default:
      break;
  }
  throw HttpError(500, "no handler for " + quote_token(target.path));
}

HttpResponse Service::admin_reload(const HttpRequest& request) {
  // A web page on another site can make a browser post here (a "simple" request needs no
  // preflight); browsers say where such a request comes from, and it must be this server.
  if (!request.origin.empty() && (request.host.empty() || authority_of(request.origin) != request.host))
    throw HttpError(403, "cross-site admin request refused (Origin " + quote_token(request.origin) + ")");
  if (!options_.admin_token.empty()) {
    constexpr std::string_view kBearer = "Bearer ";
    const std::string_view auth = request.authorization;
    if (!auth.starts_with(kBearer) || !same_secret(auth.substr(kBearer.size()), options_.admin_token)) {
      HttpResponse r = error_response(
          401, auth.empty() ? "the admin endpoint needs Authorization: Bearer <token>" : "wrong admin token");
      r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"cofi admin\"");
      return r;
    }
  }
  ReloadOutcome outcome = reload();
  if (!outcome.ok) return error_response(500, outcome.message);
  return json_response("{\"reloaded\":true,\"model\":" + outcome.serving->info_json() + "}");
}

ReloadOutcome Service::reload() {
  std::lock_guard<std::mutex> lock(reload_mutex_);
  ReloadOutcome out;
  std::shared_ptr<const ModelState> current = holder_.get();
  if (options_.model_path.empty()) {
    out.message = "reload failed: the model was not loaded from a file";
    out.serving = current;
    metrics_.reload_done(false);
    return out;
  }
  try {
    auto next = load_state(options_.model_path, current->generation + 1);
    holder_.set(next);
    out.ok = true;
    out.message = "reloaded " + options_.model_path + " (generation " + std::to_string(next->generation) +
                  ", " + std::to_string(next->saved.items.size()) + " items, " +
                  to_string(next->model().config().kind) + ")";
    out.serving = std::move(next);
  } catch (const std::exception& e) {
    out.message = std::string("reload failed: ") + e.what() + "; still serving generation " +
                  std::to_string(current->generation) + " (" + current->source + ")";
    out.serving = current;
  }
  metrics_.reload_done(out.ok);
  return out;
}

}  // namespace cofi::serve
