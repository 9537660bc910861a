// Search over the Pagefind index, with action/country filters and newest-first order.
// No innerHTML of anything that came from the index: results are built node by node.
const form = document.getElementById("search");
const input = document.getElementById("q");
const status = document.getElementById("status");
const list = document.getElementById("results");
const selects = { action: document.getElementById("f-action"), country: document.getElementById("f-country") };
const base = new URL(".", document.currentScript ? document.currentScript.src : import.meta.url);
const siteRoot = new URL("..", base);  // this file lives in static/

let pagefind = null;

async function load() {
  if (pagefind) return pagefind;
  pagefind = await import(new URL("pagefind/pagefind.js", siteRoot).href);
  await pagefind.options({ baseUrl: siteRoot.pathname });
  return pagefind;
}

function option(select, value, count) {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = `${value} (${count})`;
  select.append(o);
}

// Copy only text and <mark> from an excerpt; DOMParser documents are inert (nothing loads or runs).
function excerptNode(html) {
  const out = document.createElement("p");
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

async function run(event) {
  if (event) event.preventDefault();
  const query = input.value.trim();
  const params = new URLSearchParams();
  if (query) params.set("q", query);
  const filters = {};
  for (const [key, select] of Object.entries(selects)) {
    if (select.value) { filters[key] = select.value; params.set(key, select.value); }
  }
  history.replaceState(null, "", params.toString() ? `?${params}` : location.pathname);
  list.replaceChildren();
  if (!query && !Object.keys(filters).length) { status.textContent = "Type words to search."; return; }
  status.textContent = "Searching…";
  const pf = await load();
  const search = await pf.search(query || null, { filters, sort: { date: "desc" } });
  const results = await Promise.all(search.results.slice(0, 30).map((r) => r.data()));
  status.textContent = `${search.results.length} events found` + (search.results.length > 30 ? ", newest 30 shown." : ".");
  for (const r of results) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    const url = new URL(r.url, location.href);
    if (url.origin !== location.origin) continue;  // index links are same-site; anything else is dropped
    a.href = url.href;
    a.textContent = (r.meta && r.meta.title) || url.pathname;
    li.append(a, excerptNode(r.excerpt || ""));
    list.append(li);
  }
}

async function init() {
  try {
    const pf = await load();
    const filters = await pf.filters();
    for (const [key, select] of Object.entries(selects)) {
      for (const [value, count] of Object.entries(filters[key] || {}).sort()) option(select, value, count);
    }
  } catch (err) {
    return;  // opened from disk or no index: the static explanation stays
  }
  const params = new URLSearchParams(location.search);
  input.value = params.get("q") || "";
  for (const [key, select] of Object.entries(selects)) select.value = params.get(key) || "";
  status.textContent = "Type words to search.";
  form.addEventListener("submit", run);
  form.dataset.ready = "1";  // tests (and impatient readers) know the search is live
  if (input.value || params.get("action") || params.get("country")) run();
}

init();
