// The cofi page: search movies, rate them, watch recommendations follow (POST /v1/recommend folds
// the visitor in on every change), see similar movies, and explore the model (GET /v1/explain).
// Plain JS, no framework, no requests but to this server's API. Text from the API is only ever
// placed with textContent, never parsed as HTML.
"use strict";

const $ = (id) => document.getElementById(id);

// Ratings given on this page: key String(item id) -> {item, rating}, where item is the API's
// description of the movie (its id keeps the API's type: a number or a string).
const ratings = new Map();
let recsSeq = 0;        // the newest recommendation request; older answers are dropped
let searchSeq = 0;
let searchTimer = null;
let explorerLoaded = false;
let model = null;

async function api(path, options = {}) {
  const response = await fetch(path, options);
  let body = null;
  try {
    body = await response.json();
  } catch (e) {
    throw new Error(`${path}: the server answered ${response.status} without JSON`);
  }
  if (!response.ok) throw new Error(body && body.error ? body.error : `${path}: status ${response.status}`);
  return body;
}

function showStatus(message) {
  const s = $("status");
  s.textContent = message;
  s.hidden = !message;
}

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function titleOf(item) {
  return item.title || `item ${item.item}`;
}

function metaOf(item) {
  const parts = [];
  if (item.genres && item.genres.length) parts.push(item.genres.join(", "));
  if (item.ratings !== null && item.ratings !== undefined) parts.push(`${item.ratings} ratings`);
  return parts.join(" · ");
}

// Five buttons; the visitor's rating lights up to its star.
function starsFor(item) {
  const box = el("span", "stars");
  box.setAttribute("role", "group");
  box.setAttribute("aria-label", `Rate ${titleOf(item)}`);
  const current = ratings.get(String(item.item));
  for (let k = 1; k <= 5; k++) {
    const b = el("button", current && current.rating >= k ? "on" : "", "★");
    b.type = "button";
    b.dataset.value = String(k);
    b.setAttribute("aria-label", `${k} star${k > 1 ? "s" : ""}`);
    b.addEventListener("click", () => rate(item, k));
    box.appendChild(b);
  }
  return box;
}

// One row of a list: title and details, an optional figure, stars, and a "similar" button.
function itemRow(item, figure, figureTitle) {
  const li = el("li");
  li.dataset.item = String(item.item);
  const text = el("div", "text");
  text.appendChild(el("div", "title", titleOf(item)));
  const meta = metaOf(item);
  if (meta) text.appendChild(el("div", "meta", meta));
  li.appendChild(text);
  if (figure !== undefined) {
    const s = el("span", "score", figure);
    if (figureTitle) s.title = figureTitle;
    li.appendChild(s);
  }
  li.appendChild(starsFor(item));
  const sim = el("button", "link similar", "similar");
  sim.type = "button";
  sim.setAttribute("aria-label", `Movies similar to ${titleOf(item)}`);
  sim.addEventListener("click", () => showSimilar(item));
  li.appendChild(sim);
  return li;
}

function fill(list, rows) {
  list.replaceChildren(...rows);
}

// ---- Rating and recommendations ----

function rate(item, stars) {
  ratings.set(String(item.item), { item, rating: stars });
  renderRatings();
  updateRecommendations();
}

function unrate(key) {
  ratings.delete(key);
  renderRatings();
  updateRecommendations();
}

function renderRatings() {
  const rows = [];
  for (const [key, r] of ratings) {
    const li = itemRow(r.item);
    const remove = el("button", "link", "remove");
    remove.type = "button";
    remove.setAttribute("aria-label", `Remove my rating of ${titleOf(r.item)}`);
    remove.addEventListener("click", () => unrate(key));
    li.appendChild(remove);
    rows.push(li);
  }
  fill($("rated"), rows);
  $("rated-count").textContent = ratings.size ? `(${ratings.size})` : "(none yet)";
  $("clear-ratings").hidden = ratings.size === 0;
  // The stars in the search results follow the ratings too.
  for (const li of $("search-results").children) refreshStars(li);
  for (const li of $("recs").children) refreshStars(li);
  for (const li of $("similar-list").children) refreshStars(li);
}

function refreshStars(li) {
  const r = ratings.get(li.dataset.item);
  for (const b of li.querySelectorAll(".stars button"))
    b.classList.toggle("on", Boolean(r) && r.rating >= Number(b.dataset.value));
}

async function updateRecommendations() {
  const seq = ++recsSeq;
  const body = {
    ratings: [...ratings.values()].map((r) => ({ item: r.item.item, rating: r.rating })),
    n: 10,
  };
  const genre = $("genre").value;
  if (genre) body.genre = genre;
  try {
    const answer = await api("/v1/recommend", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (seq !== recsSeq) return;  // a newer request is on its way
    const rows = answer.items.map((it) =>
      itemRow(it, it.prediction === null ? "–" : `${it.prediction.toFixed(2)}★`, "predicted rating"));
    fill($("recs"), rows);
    const list = $("recs");
    list.dataset.rated = String(answer.rated);
    $("recs-title").textContent = answer.rated ? "Recommended for you" : "Popular picks";
    $("recs-note").hidden = answer.rated > 0;
    showStatus("");
  } catch (e) {
    if (seq === recsSeq) showStatus(e.message);
  }
}

// ---- Search ----

function onSearchInput() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(runSearch, 200);
}

async function runSearch() {
  const q = $("search").value.trim();
  const seq = ++searchSeq;
  if (!q) {
    fill($("search-results"), []);
    return;
  }
  try {
    const answer = await api(`/v1/items/search?q=${encodeURIComponent(q)}&n=15`);
    if (seq !== searchSeq) return;
    const rows = answer.items.map((it) => itemRow(it));
    if (!rows.length) rows.push(el("li", "muted", `No title contains “${q}”.`));
    fill($("search-results"), rows);
    $("search-results").dataset.query = q;
    showStatus("");
  } catch (e) {
    if (seq === searchSeq) showStatus(e.message);
  }
}

// ---- Similar movies ----

async function showSimilar(item) {
  try {
    const answer = await api(`/v1/similar?item=${encodeURIComponent(String(item.item))}&n=10`);
    $("similar-title").textContent = `Movies like ${titleOf(answer.item)}`;
    const rows = answer.items.map((it) => itemRow(it, `${Math.round(it.similarity * 100)}%`, "cosine similarity"));
    if (!rows.length) rows.push(el("li", "muted", "No similar movie with enough ratings."));
    fill($("similar-list"), rows);
    $("similar-list").dataset.item = String(answer.item.item);
    $("similar").hidden = false;
    selectTab("rate");
    $("similar").scrollIntoView({ block: "nearest" });
    showStatus("");
  } catch (e) {
    showStatus(e.message);
  }
}

// ---- The model explorer ----

async function loadExplorer() {
  if (explorerLoaded) return;
  explorerLoaded = true;
  try {
    const answer = await api("/v1/explain?n=10&pca_items=1000");
    if (answer.bias) {
      fill($("loved"), answer.bias.highest.map((it) => itemRow(it, it.bias.toFixed(2), "item bias")));
      fill($("unloved"), answer.bias.lowest.map((it) => itemRow(it, it.bias.toFixed(2), "item bias")));
    } else {
      // Only dotbias learns a bias per item; dot and nn have none to rank by.
      $("bias-lists").hidden = true;
      $("no-bias").hidden = false;
      $("no-bias").querySelector("p").textContent =
        `A ${model ? model.kind : ""} model has no item biases: only dotbias learns one per movie.`;
    }
    if (answer.pca) drawMap(answer.pca);
    else $("map-note").textContent = "The model's factors are too few for a map.";
  } catch (e) {
    explorerLoaded = false;
    showStatus(e.message);
  }
}

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attributes, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// The items on the first two components; the 30 most-rated (the API lists them first) labelled.
function drawMap(pca) {
  const W = 720, H = 520, M = 36;
  const xs = pca.points.map((p) => p.x), ys = pca.points.map((p) => p.y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const sx = (x) => M + ((x - x0) / (x1 - x0 || 1)) * (W - 2 * M);
  const sy = (y) => H - M - ((y - y0) / (y1 - y0 || 1)) * (H - 2 * M);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "map of movies" });
  root.appendChild(svg("line", { class: "axis", x1: M, y1: H - M, x2: W - M, y2: H - M }));
  root.appendChild(svg("line", { class: "axis", x1: M, y1: M, x2: M, y2: H - M }));
  const pct = (v) => `${(100 * v).toFixed(1)}%`;
  root.appendChild(svg("text", { class: "axis-label", x: W - M, y: H - 10, "text-anchor": "end" },
                       `component 1 (${pct(pca.explained[0])} of the variance)`));
  root.appendChild(svg("text", { class: "axis-label", x: M, y: 20 },
                       `component 2 (${pct(pca.explained[1])})`));
  pca.points.forEach((p, i) => {
    const c = svg("circle", { cx: sx(p.x).toFixed(1), cy: sy(p.y).toFixed(1), r: i < 30 ? 4 : 2.5 });
    c.dataset.item = String(p.item);
    c.appendChild(svg("title", {}, titleOf(p)));
    c.addEventListener("click", () => showSimilar(p));
    root.appendChild(c);
  });
  pca.points.slice(0, 30).forEach((p) => {
    const label = titleOf(p).replace(/ \(\d{4}\)$/, "");
    const right = sx(p.x) > W / 2;  // labels run towards the middle, so they stay inside the map
    root.appendChild(svg("text", { x: (sx(p.x) + (right ? -5 : 5)).toFixed(1), y: (sy(p.y) - 4).toFixed(1),
                                   "text-anchor": right ? "end" : "start" },
                         label.length > 28 ? label.slice(0, 27) + "…" : label));
  });
  $("map").replaceChildren(root);
}

// ---- Tabs and start ----

function selectTab(name) {
  for (const t of ["rate", "explore"]) {
    $(`tab-${t}`).setAttribute("aria-selected", String(t === name));
    $(`panel-${t}`).hidden = t !== name;
  }
  if (name === "explore") loadExplorer();
}

async function start() {
  $("tab-rate").addEventListener("click", () => selectTab("rate"));
  $("tab-explore").addEventListener("click", () => selectTab("explore"));
  $("search").addEventListener("input", onSearchInput);
  $("genre").addEventListener("change", updateRecommendations);
  $("similar-close").addEventListener("click", () => { $("similar").hidden = true; });
  $("clear-ratings").addEventListener("click", () => {
    ratings.clear();
    renderRatings();
    updateRecommendations();
  });
  try {
    model = await api("/v1/model");
    const items = model.items.toLocaleString(), users = model.users.toLocaleString();
    $("model-info").textContent = `${model.kind} model · ${items} movies · ${users} users`;
    for (const g of model.genres) $("genre").appendChild(new Option(g, g));
    if (!model.genres.length) $("genre").disabled = true;
  } catch (e) {
    showStatus(e.message);
  }
  updateRecommendations();
}

start();
