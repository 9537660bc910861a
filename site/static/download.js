// A page's own download: what a timeline filter or an entity page lists, all months of it, as
// CSV or JSON in the columns of stories.csv. Made here from downloads/stories.json (the build
// would otherwise write every story again for each of its filters and entities). The rules
// are the build's: a story counts for the countries of its actor and its target, and for its
// actor, target and object. Opened from disk (no fetch), a link gives the whole stories file.
const siteRoot = new URL("..", import.meta.url);  // this file lives in static/
let stories = null;

function slug(code) {
  if (typeof code !== "string") return null;
  const s = code.trim().toLowerCase().replace(/_/g, "-");
  return /^[a-z0-9][a-z0-9-]{0,80}$/.test(s) ? s : null;
}

function listed(row, want) {
  if (want.entity) return [row.actor_id, row.target_id, row.object_id].includes(want.entity);
  if (want.action && want.action !== "all" && slug(row.action) !== want.action) return false;
  if (want.country && want.country !== "all") {
    return [row.actor_country, row.target_country].map(slug).includes(want.country);
  }
  return true;
}

// As Python's csv module writes it (minimal quoting, \r\n), with the build's spreadsheet
// guard: a text cell starting with = + - @ (or a tab or carriage return) gets a leading '.
function cell(value) {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = "'" + text;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function asCsv(rows, columns) {
  const lines = [columns.join(",")].concat(rows.map((r) => columns.map((c) => cell(r[c])).join(",")));
  return lines.join("\r\n") + "\r\n";
}

async function download(a) {
  if (!stories) {
    const response = await fetch(new URL("downloads/stories.json", siteRoot), { credentials: "same-origin" });
    if (!response.ok) throw new Error(response.status);
    stories = await response.json();
  }
  const want = { country: a.dataset.country, action: a.dataset.action, entity: a.dataset.entity };
  const rows = stories.filter((r) => listed(r, want));
  const columns = stories.length ? Object.keys(stories[0]) : [];
  const json = a.dataset.format === "json";
  const body = json ? JSON.stringify(rows, null, 1) + "\n" : asCsv(rows, columns);
  const blob = new Blob([body], { type: json ? "application/json" : "text/csv;charset=utf-8" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `${a.dataset.name}.${json ? "json" : "csv"}`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

if (/^https?:$/.test(location.protocol)) {
  document.addEventListener("click", (event) => {
    const a = event.target.closest("a.list-download");
    if (!a || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    download(a).catch(() => { location.href = a.href; });  // the whole file, at worst
  });
  document.documentElement.dataset.downloads = "ready";
}
