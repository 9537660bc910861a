// Search over the Pagefind index of the report pages (events/*.html).
//
// - Filters take the codes the site's addresses use: ?action=export-control&country=cn (a
//   country's name works too: ?country=China).
// - A date range (?from=2025-01&to=2025-06) is a filter on the reports' months.
// - Order: best match first (Pagefind's ranking), or newest or oldest first (?sort=newest).
// - A model or chip number (a word of letters and digits: H20, A100, 910B) is matched whole
//   first: Pagefind matches the last word as a prefix, so "H20" also finds "H200"; those results
//   come after the exact ones.
// No innerHTML of anything that came from the index: results are built node by node.
const form = document.getElementById("search");
const input = document.getElementById("q");
const status = document.getElementById("status");
const list = document.getElementById("results");
const selects = { action: document.getElementById("f-action"), country: document.getElementById("f-country") };
const range = { from: document.getElementById("f-from"), to: document.getElementById("f-to") };
const order = document.getElementById("f-sort");
const base = new URL(".", document.currentScript ? document.currentScript.src : import.meta.url);
const siteRoot = new URL("..", base);  // this file lives in static/
const SHOWN = 30;
const RERANKED = 200;  // results whose text is read to put exact model numbers first

let pagefind = null;
let months = [];  // every month a report is filed under, from the index

async function load() {
  if (pagefind) return pagefind;
  pagefind = await import(new URL("pagefind/pagefind.js", siteRoot).href);
  await pagefind.options({ baseUrl: siteRoot.pathname });
  return pagefind;
}

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

// A value from the address: the option's code, or an option named so (case aside).
function choose(select, value) {
  if (!value) { select.value = ""; return; }
  const wanted = value.trim().toLowerCase();
  for (const o of select.options) {
    if (o.value.toLowerCase() === wanted || o.textContent.replace(/ \(\d+\)$/, "").toLowerCase() === wanted) {
      select.value = o.value;
      return;
    }
  }
  select.value = "";
}

// Tokens that name a model or a chip: letters and digits together.
function modelTokens(query) {
  return query.split(/[\s"']+/).filter((t) => /[a-z]/i.test(t) && /\d/.test(t))
    .map((t) => t.replace(/[^a-z0-9.-]/gi, "")).filter(Boolean);
}

function wholeWord(token) {
  const escaped = token.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^a-z0-9])${escaped}($|[^a-z0-9])`, "i");
}

// Copy only text and <mark> from an excerpt; DOMParser documents are inert (nothing loads or runs).
function excerptNode(html) {
  const out = document.createElement("p");
  out.className = "excerpt";
  const doc = new DOMParser().parseFromString(`<p>${html}</p>`, "text/html");
  for (const node of doc.body.firstChild.childNodes) {
    if (node.nodeName === "MARK") {
      const m = document.createElement("mark");
      m.textContent = node.textContent;
      out.append(m);
    } else {
      out.append(document.createTextNode(node.textContent));
    }
  }
  return out;
}

function resultItem(r) {
  const url = new URL(r.url, location.href);
  if (url.origin !== location.origin) return null;  // index links are same-site; anything else is dropped
  const meta = r.meta || {};
  const li = document.createElement("li");
  const facts = document.createElement("p");
  facts.className = "meta";
  const parts = [meta.when, meta.action, meta.source && `source: ${meta.source}`].filter(Boolean);
  if (meta.published && meta.published !== meta.when) parts.splice(1, 0, `published ${meta.published}`);
  facts.textContent = parts.join(" · ");
  const head = document.createElement("p");
  head.className = "headline";
  const a = document.createElement("a");
  a.href = url.href;
  a.textContent = meta.title || url.pathname;
  head.append(a);
  li.append(facts, head, excerptNode(r.excerpt || ""));
  return li;
}

function monthFilter() {
  const from = range.from.value, to = range.to.value;
  if (!from && !to) return null;
  return months.filter((m) => m !== "undated" && (!from || m >= from) && (!to || m <= to));
}

async function run(event) {
  if (event) event.preventDefault();
  const query = input.value.trim();
  const params = new URLSearchParams();
  if (query) params.set("q", query);
  const filters = {};
  for (const [key, select] of Object.entries(selects)) {
    if (select.value) { filters[key] = select.value; params.set(key, select.value); }
  }
  for (const [key, field] of Object.entries(range)) if (field.value) params.set(key, field.value);
  const sort = order.value === "relevance" && !query ? "newest" : order.value;
  if (order.value !== "relevance") params.set("sort", order.value);
  history.replaceState(null, "", params.toString() ? `?${params}` : location.pathname);
  list.replaceChildren();
  const inRange = monthFilter();
  if (!query && !Object.keys(filters).length && !inRange) { status.textContent = "Type words to search."; return; }
  if (inRange && !inRange.length) { status.textContent = "0 reports found: none in those months."; return; }
  if (inRange) filters.month = { any: inRange };
  status.textContent = "Searching…";
  const pf = await load();
  const options = { filters };
  if (sort !== "relevance") options.sort = { date: sort === "oldest" ? "asc" : "desc" };
  const search = await pf.search(query || null, options);
  const tokens = modelTokens(query).map(wholeWord);
  let results;
  if (tokens.length) {
    // Exact model numbers first, in the chosen order; then the rest, in the same order.
    const read = await Promise.all(search.results.slice(0, RERANKED).map((r) => r.data()));
    const exact = (r) => tokens.every((t) => t.test(`${(r.meta && r.meta.title) || ""} ${r.content || ""}`));
    results = read.filter(exact).concat(read.filter((r) => !exact(r))).slice(0, SHOWN);
  } else {
    results = await Promise.all(search.results.slice(0, SHOWN).map((r) => r.data()));
  }
  const n = search.results.length;
  status.textContent = `${plural(n, "report", "reports")} found` + (n > SHOWN ? `, ${SHOWN} shown.` : ".");
  for (const r of results) {
    const li = resultItem(r);
    if (li) list.append(li);
  }
}

async function init() {
  let counts;
  try {
    const pf = await load();
    counts = await pf.filters();
  } catch (err) {
    return;  // opened from disk or no index: the static explanation stays
  }
  months = Object.keys(counts.month || {}).sort();
  for (const [key, select] of Object.entries(selects)) {
    for (const o of select.options) {
      if (o.value && counts[key] && counts[key][o.value] !== undefined) o.textContent += ` (${counts[key][o.value]})`;
    }
  }
  const params = new URLSearchParams(location.search);
  input.value = params.get("q") || "";
  for (const [key, select] of Object.entries(selects)) choose(select, params.get(key));
  for (const [key, field] of Object.entries(range)) {
    const v = params.get(key) || "";
    field.value = /^\d{4}-\d{2}$/.test(v) ? v : "";
  }
  order.value = ["newest", "oldest"].includes(params.get("sort")) ? params.get("sort") : "relevance";
  status.textContent = "Type words to search.";
  form.addEventListener("submit", run);
  form.dataset.ready = "1";  // tests (and impatient readers) know the search is live
  if (input.value || [...Object.keys(selects), "from", "to"].some((k) => params.get(k))) run();
}

init();
