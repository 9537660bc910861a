// Makes the timeline filters quicker: a filter link loads only the new page's <main> (same
// origin, over fetch) instead of a whole page, and pages are fetched on hover before the click.
// Without JavaScript, or opened from disk, the links are ordinary links to pre-rendered pages.
const cache = new Map();

function fetchPage(url) {
  if (!cache.has(url)) {
    cache.set(url, fetch(url, { credentials: "same-origin" }).then((r) => {
      if (!r.ok) throw new Error(r.status);
      return r.text();
    }));
  }
  return cache.get(url);
}

function filterLink(event) {
  const a = event.target.closest("nav.filters a, nav.pager a");
  if (!a || a.origin !== location.origin) return null;
  // Only pages at the same depth: the header and footer links stay right after the swap.
  const depth = (u) => new URL(u, location.href).pathname.split("/").length;
  return depth(a.href) === depth(location.href) ? a : null;
}

async function go(url, push) {
  const main = document.querySelector("main");
  main.classList.add("loading");
  const box = main.querySelector("details.filter-box");
  const wasOpen = Boolean(box && box.open);  // a reader choosing filters keeps them open
  try {
    // DOMParser documents are inert: nothing in them loads or runs.
    const doc = new DOMParser().parseFromString(await fetchPage(url), "text/html");
    const next = doc.querySelector("main");
    if (!next) throw new Error("no main");
    const nodes = Array.from(next.childNodes);  // a snapshot: adopting empties the live list
    main.replaceChildren(...nodes.map((n) => document.adoptNode(n)));
    document.title = doc.title;
    // Relative links in the new content are resolved against the new page's address.
    if (push) history.pushState({ filters: true }, "", url);
    for (const link of document.querySelectorAll('link[rel=alternate][type="application/atom+xml"]')) link.remove();
    const feed = doc.querySelector('link[rel=alternate][type="application/atom+xml"]');
    if (feed) document.head.append(document.adoptNode(feed));
    foldFilters(wasOpen);
    main.classList.remove("loading");
    const h1 = main.querySelector("h1");
    if (h1) { h1.tabIndex = -1; h1.focus({ preventScroll: true }); }
  } catch (err) {
    location.href = url;  // fall back to an ordinary page load
  }
}

// On a phone the filter block starts folded (its summary opens it); on a wide screen it is open
// and its summary hidden. Without JavaScript it is open everywhere.
function foldFilters(open = false) {
  if (window.matchMedia("(max-width: 40rem)").matches) {
    for (const box of document.querySelectorAll("details.filter-box")) box.open = open;
  }
}
foldFilters();

if (/^https?:$/.test(location.protocol)) {
  document.addEventListener("click", (event) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const a = filterLink(event);
    if (!a) return;
    event.preventDefault();
    go(a.href, true);
  });
  document.addEventListener("pointerover", (event) => {
    const a = filterLink(event);
    if (a) fetchPage(a.href).catch(() => cache.delete(a.href));
  });
  window.addEventListener("popstate", () => go(location.href, false));
  document.documentElement.dataset.filters = "ready";
}
