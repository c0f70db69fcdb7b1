// The browser test of `cofi serve`'s page: for a model of each kind (dotbias, dot, nn, hybrid,
// content) trained on ml-latest-small, start `cofi serve --port 0`, open the page in Debian's
// chromium (headless, driven by playwright-core), search and rate 5 movies with the stars, check
// that the 10 recommendations follow (fold-in) and leave the rated movies out, open similar
// movies, look at the model explorer, and keep a screenshot of each page in the artifact folder.
//
//   node tests/browser/serve_page.mjs --cofi build/dev/bin/cofi --out build/dev/browser
//
// Exit status: 0 passed, 1 failed, 77 skipped (chromium cannot run here, or ml-latest-small is
// not in $COFI_DATA_DIR), which ctest reports as skipped (SKIP_RETURN_CODE).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createRequire } from "node:module";

const SKIP = 77;

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const cofi = resolve(option("--cofi", "build/dev/bin/cofi"));
const out = resolve(option("--out", "build/dev/browser"));
const kinds = option("--kinds", "dotbias,dot,nn,hybrid,content").split(",");
const dataDir = process.env.COFI_DATA_DIR || resolve("../shared/data");

function fail(message) {
  console.error(`browser test: FAILED: ${message}`);
  process.exitCode = 1;
  throw new Error(message);
}

function check(condition, message) {
  if (!condition) fail(message);
}

// playwright-core comes from tests/browser/node_modules (scripts/install-npm-deps.sh).
let chromium;
try {
  const require = createRequire(import.meta.url);
  ({ chromium } = require("playwright-core"));
} catch (e) {
  console.error("browser test: FAILED: playwright-core is not installed; run scripts/install-npm-deps.sh " +
                `(npm ci in tests/browser): ${e.message}`);
  process.exit(1);
}

if (!existsSync(cofi)) {
  console.error(`browser test: FAILED: no cofi binary at ${cofi}`);
  process.exit(1);
}
if (!existsSync(join(dataDir, "ml-latest-small"))) {
  console.log(`browser test: SKIPPED: ml-latest-small is not in COFI_DATA_DIR=${dataDir}`);
  process.exit(SKIP);
}

// Debian's chromium (the wrapper script, else the binary behind it), or $COFI_CHROMIUM.
const executable = [process.env.COFI_CHROMIUM, "/usr/bin/chromium", "/usr/lib/chromium/chromium"]
  .find((p) => p && existsSync(p));
if (!executable) {
  console.log("browser test: SKIPPED: chromium is not installed (scripts/install-deps.sh installs Debian's chromium)");
  process.exit(SKIP);
}
let browser;
try {
  // Containers often have a small /dev/shm, where chromium would otherwise keep shared memory.
  browser = await chromium.launch({ executablePath: executable, headless: true, timeout: 60000,
                                    args: ["--disable-dev-shm-usage"] });
} catch (e) {
  console.log(`browser test: SKIPPED: chromium (${executable}) cannot run here: ${e.message.split("\n")[0]}`);
  process.exit(SKIP);
}

mkdirSync(out, { recursive: true });
const work = mkdtempSync(join(tmpdir(), "cofi-browser-"));

// Starts `cofi serve` on a free port; resolves with its URL once it prints it.
function startServer(model) {
  return new Promise((resolveUrl, reject) => {
    const server = spawn(cofi, ["serve", "--model", model, "--port", "0", "--threads", "4"],
                         { stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    const timer = setTimeout(() => reject(new Error(`cofi serve did not start: ${text}`)), 30000);
    const onData = (chunk) => {
      text += chunk;
      const m = text.match(/listening on (http:\/\/\S+\/)/);
      if (m) {
        clearTimeout(timer);
        resolveUrl({ server, url: m[1] });
      }
    };
    server.stdout.on("data", onData);
    server.stderr.on("data", (chunk) => { text += chunk; });
    server.on("exit", (code) => reject(new Error(`cofi serve exited (${code}): ${text}`)));
  });
}

function stopServer(server) {
  return new Promise((done) => {
    if (server.exitCode !== null) return done(server.exitCode);
    server.removeAllListeners("exit");
    server.on("exit", (code) => done(code));
    server.kill("SIGTERM");
  });
}

// The five movies the visitor rates: a search and the stars for its first result.
const visits = [
  ["toy story", 5],
  ["matrix", 4],
  ["star wars", 5],
  ["pulp fiction", 2],
  ["forrest gump", 4],
];

async function runKind(kind) {
  const model = join(work, `${kind}.cofi`);
  const train = spawnSync(cofi, ["train", "--data", "ml-latest-small", "--model", kind, "--out", model, "--quiet"],
                          { encoding: "utf8", env: { ...process.env, COFI_DATA_DIR: dataDir } });
  check(train.status === 0, `cofi train --model ${kind} failed: ${train.stderr}`);

  const { server, url } = await startServer(model);
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console error: ${m.text()}`); });
  // The page may talk to this server only.
  page.on("request", (r) => { if (!r.url().startsWith(url)) problems.push(`request to another origin: ${r.url()}`); });
  try {
    await page.goto(url);
    await page.locator("#model-info", { hasText: `${kind} model` }).waitFor();
    // Before any rating: the default newcomer's list.
    await page.locator("#recs > li").nth(9).waitFor();
    check(await page.locator("#recs-title").textContent() === "Popular picks", "the first list is not 'Popular picks'");

    const rated = [];
    for (const [query, stars] of visits) {
      await page.fill("#search", query);
      await page.locator(`#search-results[data-query="${query}"] > li[data-item]`).first().waitFor();
      const first = page.locator("#search-results > li[data-item]").first();
      const id = await first.getAttribute("data-item");
      const title = await first.locator(".title").textContent();
      check(title.toLowerCase().includes(query), `the first result for '${query}' is '${title}'`);
      await first.locator(`.stars button[data-value="${stars}"]`).click();
      rated.push(id);
      // Recommendations follow each rating: they come back for exactly the ratings given so far.
      await page.locator(`#recs[data-rated="${rated.length}"]`).waitFor();
      check(await first.locator(".stars button.on").count() === stars, `'${title}' does not show ${stars} stars`);
    }
    check(await page.locator("#rated > li").count() === 5, "'Your ratings' does not list 5 movies");
    check(await page.locator("#recs-title").textContent() === "Recommended for you", "the list is not the visitor's");
    const recs = await page.locator("#recs > li").evaluateAll((lis) => lis.map((li) => li.dataset.item));
    check(recs.length === 10, `${recs.length} recommendations instead of 10`);
    const again = recs.filter((id) => rated.includes(id));
    check(again.length === 0, `recommendations include rated movies: ${again.join(", ")}`);
    check(new Set(recs).size === 10, "a movie is recommended twice");

    // Similar movies for the first recommendation.
    const firstRec = page.locator("#recs > li").first();
    const recTitle = await firstRec.locator(".title").textContent();
    await firstRec.locator("button.similar").click();
    await page.locator(`#similar-list[data-item="${recs[0]}"] > li`).nth(9).waitFor();
    check(await page.locator("#similar").isVisible(), "the similar movies are not shown");
    check((await page.locator("#similar-title").textContent()) === `Movies like ${recTitle}`, "wrong similar title");
    const similar = await page.locator("#similar-list > li").evaluateAll((lis) => lis.map((li) => li.dataset.item));
    check(similar.length === 10 && !similar.includes(recs[0]), `similar movies: ${similar.join(", ")}`);
    await page.screenshot({ path: join(out, `serve-${kind}.png`), fullPage: true });

    // The model explorer: biases (dotbias and hybrid) and the map of the 1,000 most-rated movies.
    await page.click("#tab-explore");
    await page.locator("#map circle").nth(999).waitFor();
    if (kind === "dotbias" || kind === "hybrid") {
      await page.locator("#loved > li").nth(9).waitFor();
      check(await page.locator("#unloved > li").count() === 10, "least loved is not 10 movies");
    } else {
      await page.locator("#no-bias").waitFor();
      check(await page.locator("#loved > li").count() === 0, "a model without biases lists loved movies");
    }
    // A point on the map opens its similar movies: the last one drawn, which nothing covers.
    const point = page.locator("#map circle").last();
    const pointId = await point.getAttribute("data-item");
    await point.click();
    await page.locator(`#similar-list[data-item="${pointId}"] > li`).first().waitFor();
    check(await page.locator("#panel-rate").isVisible(), "clicking the map does not show the similar movies");
    await page.click("#tab-explore");
    await page.screenshot({ path: join(out, `serve-${kind}-explorer.png`), fullPage: true });
    check(problems.length === 0, problems.join("; "));
    console.log(`browser test: ${kind}: rated ${rated.join(", ")}; recommended ${recs.join(", ")}; ` +
                `similar to ${recs[0]}: ${similar.join(", ")}; screenshots in ${out}`);
  } finally {
    await page.close();
    const code = await stopServer(server);
    check(code === 0, `cofi serve exited with ${code} on SIGTERM`);
  }
}

try {
  for (const kind of kinds) await runKind(kind);
  console.log("browser test: passed");
} catch (e) {
  if (!process.exitCode) console.error(`browser test: FAILED: ${e.stack || e.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
  rmSync(work, { recursive: true, force: true });
}
