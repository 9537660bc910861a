"""Static site generator: store -> HTML pages in a folder that needs no server.

Public API: build_site(db, out_dir, search_index=True, site_url=None, workers=None) -> counts.

Every link is relative (templates prefix site-root paths with `root`), so the output works opened
from disk or served under any path. Page addresses:

    index.html                                   home: latest events and the monthly chart
    timeline/<country|all>/<action|all>.html     a timeline (or one of its pre-rendered filters):
                                                 the newest 50 events and an index of months
    timeline/<country|all>/<action|all>/<YYYY-MM|undated>.html   one month of it
    entities/<id>.html  entities/<id>/<YYYY-MM>.html  sources/<id>.html  sources/<id>/<YYYY-MM>.html
    events/<id>.html  documents/<id>.html
    actions.html  countries.html  entities.html  sources.html  methodology.html  downloads.html
    feeds/all.xml  feeds/{entities,actions,countries}/<id>.xml   Atom
    downloads/{events,stories}{.csv,.json,-excel.csv}  downloads/rivalry.db  search.html  pagefind/
    sitemap.xml  404.html

A list longer than PER_PAGE gets month pages. They are the date filter and the pagination at
once, and they are stable: a new event changes the pages of its own month, not every page after
it (as numbered pages would), so an incremental build rewrites little.

How a build stays fast: every page is planned with a key (a fingerprint of everything it shows,
see data.py) made from small Entry tuples (index.py); a page whose key matches the live site's
manifest is not rendered at all. The rest are rendered from cached list items (fragments.py),
by forked workers on every core when there are many. The store is read again only where its
change log says rows changed (data.Rows), and when only a few events and documents did, only the
pages they can change are planned (index.Changes, _Planner). The downloads, the database
snapshot and the spare copy's catching up run in forked children meanwhile (background.py).
"""

from __future__ import annotations

import gc
import hashlib
import heapq
import itertools
import multiprocessing
import operator
import os
import posixpath
import re
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from rivalry import store

from . import chart, downloads, fragments, search, terms
from . import data as sitedata
from .data import digest
from .index import (ACTION, ACTOR, ALL, COUNTRIES, DATE, ID, KEY, LABEL, MONTH, OBJECT,
                    SLUG, TARGET, Changes, Index, facets_of, keys)
from .background import Forked
from .output import LINKED, SAME, Output, OutputError
from .safe import http_url

# A source checkout has site/ beside sitegen/; an installed package carries it inside it as
# sitegen/site/ (pyproject.toml, [tool.setuptools.package-dir]).
_HERE = Path(__file__).resolve().parent
_CHECKOUT = (_HERE.parent / "site" / "templates").is_dir()
SITE_DIR = _HERE.parent / "site" if _CHECKOUT else _HERE / "site"
TEMPLATES = SITE_DIR / "templates"
STATIC = SITE_DIR / "static"
PER_PAGE = 50
FEED_SIZE = 50
FEED_EPOCH = "1970-01-01T00:00:00Z"  # the time of an entry with no date and no document
HOME_SIZE = 20
# Fewer pages to render than this: one process is quicker than forked workers, which copy most
# of its memory (reference counts are written to every object they touch).
PARALLEL_MIN = 1500

month_label = fragments.month_label


def make_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # every template, whatever its extension: all crawled text is hostile
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["month_label"] = month_label
    env.filters["country_label"] = sitedata.country_label
    env.filters["plural"] = terms.plural
    env.filters["date_text"] = terms.date_text
    env.filters["is_chinese"] = is_chinese
    env.globals["counts"] = terms.counts
    env.globals["terms"] = terms
    env.globals["months_nav"] = fragments.months_nav
    return env


def _salt() -> bytes:
    """Changes whenever the code or the templates do, so every page key changes with them."""
    h = hashlib.blake2b(digest_size=16)
    for folder in (TEMPLATES, STATIC, Path(__file__).parent):
        for p in sorted(folder.rglob("*")):
            if p.is_file() and p.suffix != ".pyc":
                h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.digest()


def feed_rel(kind: str, ident: str) -> str:
    return "feeds/all.xml" if kind == ALL else f"feeds/{kind}/{ident}.xml"


def month_index(counts):
    """[(year, [(month, slug, n)])], newest first, from (month, n) pairs (newest first)."""
    years: dict[str, list] = {}
    for month, n in counts:
        years.setdefault(month[:4] or "Undated", []).append((month, fragments.month_slug(month), n))
    return list(years.items())


def month_counts(entries) -> list[tuple[str, int]]:
    """(month, number of entries), newest first, of entries sorted newest first (a month's
    entries are next to each other). Counted by C code: no list per month."""
    return list(Counter(map(_MONTH, entries)).items())


_MONTH = operator.itemgetter(MONTH)
_DOC_MONTH = operator.itemgetter("month")


def docs_by_month(docs) -> list[tuple[str, list]]:
    """Documents (newest first) in runs of one month."""
    return [(m, list(g)) for m, g in itertools.groupby(docs, key=_DOC_MONTH)]


LAST_TIMINGS: dict[str, float] = {}  # seconds per phase of the last build (for bench/)


class _Clock:
    def __init__(self):
        self.now = time.perf_counter
        self.last = self.now()
        LAST_TIMINGS.clear()

    def __call__(self, phase):
        t = self.now()
        LAST_TIMINGS[phase] = round(t - self.last, 3)
        self.last = t


# --- the plan: every page with its key and how to render it -------------------------------------

def page_key(parts) -> str:
    """Fingerprint of what a page shows: bytes parts (row keys) as they are, others by repr.
    The page's path and the code's version (the salt, kept once in the manifest) are implied."""
    if len(parts) == 1 and isinstance(parts[0], bytes) and len(parts[0]) == 16:
        return parts[0].hex()  # an event or document page: its row's key is the page's
    h = hashlib.blake2b(digest_size=16)
    for p in parts:
        h.update(p if isinstance(p, bytes) else repr(p).encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()


class Plan:
    """Pages to have, each with its key and how to render it, counted by kind."""

    def __init__(self):
        # rel, key, template, context: a dict, or (function, argument) that makes it when rendered
        self.pages: list[tuple[str, str, str, object]] = []
        self.kinds: Counter = Counter()

    def add(self, kind: str, rel: str, template: str, key_parts: tuple, **ctx) -> None:
        self.kinds[kind] += 1
        self.pages.append((rel, page_key(key_parts), template, ctx))

    def add_lazy(self, kind: str, rel: str, template: str, key: str, make, arg) -> None:
        self.kinds[kind] += 1
        self.pages.append((rel, key, template, (make, arg)))


# Rendering happens in the parent or in forked workers; both read these module globals.
_STATE: dict = {}


def _full(entry):
    """The dict the templates use for an index Entry (see index.py), in this process."""
    return _STATE["index"].full(entry)


def _feed_full(entry):
    """_full with when the project first saw the entry and when it last changed ('seen')."""
    index = _STATE["index"]
    return {**index.full(entry), "seen": index.seen.get(entry[0])}  # index.ENTRY_ID


def _render(rel: str, template: str, ctx) -> str:
    env, items = _STATE["env"], _STATE["items"]
    ctx = ctx[0](ctx[1]) if isinstance(ctx, tuple) else dict(ctx)
    root = ctx.setdefault("root", "../" * rel.count("/"))
    ctx.setdefault("path", rel)
    ctx.setdefault("feed", None)
    lazy = ctx.pop("_lazy", None)
    if lazy:  # list HTML is built here, only for pages that are rendered
        for name, (how, entries) in lazy.items():
            if how == "months":
                ctx[name] = items.months(entries, root)
            elif how == "plain":
                ctx[name] = items.plain(entries, root)
            elif how == "feed":
                ctx[name] = _STATE["feed_items"].plain(entries, root)
            else:  # a function of one object, giving HTML with the root placeholder
                ctx[name] = fragments.with_root(how(entries), root)
    return env.get_template(template).render(**ctx)


def _render_share(share) -> list:
    """Render these pages (indexes into the pages to render): in a forked worker or here."""
    out, todo = _STATE["out"], _STATE["todo"]
    results = []
    for i in share:
        rel, key, template, ctx = todo[i]
        results.append(out.store(rel, _render(rel, template, ctx), key))
    return results


_MONTH_PAGE = re.compile(r"/(\d{4}-\d{2}|undated)\.html$")


def _shares(todo: list, n: int) -> list[list[int]]:
    """The pages to render in n shares of about the same size. The month pages of one month
    go to the same share: they list the same entries, whose list items each worker would
    otherwise make again (it caches them only for itself)."""
    months: dict[str, list[int]] = {}
    others = []
    for i, page in enumerate(todo):
        m = _MONTH_PAGE.search(page[0])
        (months.setdefault(m.group(1), []) if m else others).append(i)
    shares: list[list[int]] = [[] for _ in range(n)]
    # The largest months first, each to the smallest share; then the other pages in turn.
    for pages in sorted(months.values(), key=len, reverse=True):
        min(shares, key=len).extend(pages)
    for k, i in enumerate(others):
        shares[k % n].append(i)
    return [s for s in shares if s]


def _keep(pages, out: Output) -> tuple[list, list]:
    """(records of the pages kept as they are live, pages to render). A kept page is
    hard-linked into the target copy when that copy holds an older version of it."""
    records, todo, to_link = [], [], []
    live, base = out.live, out.base
    same_code = out.salt == out.live_salt and out.mirror is None
    for page in pages:
        rel, key = page[0], page[1]
        old = live.get(rel) if same_code else None
        if old is not None and old[1] == key:  # same inputs: the live file is right
            b = base.get(rel)
            if b is None or b[0] != old[0]:
                to_link.append(rel)
                records.append((rel, old[0], key, LINKED))
            else:
                records.append((rel, old[0], key, SAME))
        else:
            todo.append(page)
    # Folders only where a file is written or linked: the target has all the others already.
    out.makedirs(itertools.chain(to_link, (p[0] for p in todo)))
    for rel in to_link:
        out.link_from_live(rel)
    return records, todo


def build_site(db, out_dir, *, search_index: bool = True, site_url: str | None = None,
               workers: int | None = None, snapshot: bool = True,
               finished_run: dict | None = None) -> dict:
    """Render the whole site from the store into out_dir, swapped in atomically.

    Returns counts: pages per kind, 'pages' (total), 'skipped' (rows whose id cannot be a file
    name), the file counts 'written' (new or changed bytes), 'unchanged', 'removed', 'rendered'
    (pages whose inputs changed), and 'search_seconds'.
    finished_run: the run building the site, recorded in the database download as finished
    with that outcome (rivalry.store.snapshot).
    """
    # The build makes a million small objects and frees none until the end: the cyclic garbage
    # collector would walk the whole heap again and again for nothing (a third of the time).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _build_site(db, out_dir, search_index, site_url, workers, snapshot, finished_run)
    finally:
        if enabled:
            gc.enable()


def _build_site(db, out_dir, search_index, site_url, workers, snapshot, finished_run=None) -> dict:
    site_url = site_url if site_url is not None else os.environ.get("RIVALRY_SITE_URL")
    if site_url:
        if not http_url(site_url):
            raise OutputError(f"site URL {site_url!r} is not an absolute http(s) URL")
        site_url = site_url.rstrip("/") + "/"
    clock = _Clock()
    # Pages name the site's address (Open Graph, the sitemap): another address, other pages.
    salt = hashlib.blake2b(_salt() + (site_url or "").encode(), digest_size=16).digest()
    out = Output(out_dir, salt.hex())
    clock("manifests")
    snapshot_job = files_job = sync_job = None
    try:
        # The target copy is the build before the live one: a child links into it the pages
        # that build changed while this process reads the store and plans.
        sync_job = Forked("spare copy", lambda: out.sync_from_live(_made_by_write_files))
        # What the site is made from, read before the store is: if it equals what the live
        # site was built from, no page can have changed (see _unchanged_since).
        methodology = _methodology_inputs(db)
        inputs = _inputs(db, site_url or "", snapshot, methodology)
        snapshot_job = _start_snapshot(db, out, finished_run) if snapshot else None
        state = _unchanged_since(out, inputs)
        plan, changes, removed = Plan(), None, set()
        if state is not None:
            # Nothing the site shows changed: every page of the live site is kept as it is.
            kinds = Counter(state["kinds"])
            skipped, n_events, events_key = state["skipped"], state["events"], state["events_key"]
            stories_key = state.get("stories_key")
            index = None
        else:
            index, changes, kinds = _index(db, out, inputs)
            index.to_be_published = sitedata.to_be_published(db)
            index.seen = sitedata.seen_times(db)
            index.taxonomy, index.evaluation = methodology
            events_key = digest(keys(index.events)).hex()
            stories_key = digest(keys(index.entries)).hex()
            skipped, n_events = index.skipped, len(index.events)
        clock("load")
        # Downloads and caches are written by a child while the pages are planned and rendered.
        files_job = Forked("downloads", lambda: _write_files(out, index, events_key, stories_key))
        if index is not None:
            planner = _Planner(index, site_url or "", changes)
            for section in planner.sections():
                section(plan)
            removed = planner.removed
            if changes is None:
                kinds = plan.kinds
        clock("plan")
        out.synced(sync_job.result())  # before any page is written into the target copy
        clock("sync")
        rendered = _execute(plan, out, index, workers, site_url or "")
        clock("render")
        if index is None or changes is not None:
            # Only the pages the changes can touch were planned: every other live page stays.
            _keep_the_rest(out, plan, removed, kinds)
            # As a full plan counts: events and stories always, other kinds when there are any.
            kinds = Counter({k: n for k, n in kinds.items() if n or k in ("events", "stories")})
        clock("keep")
        for record in files_job.result():
            out.record(record)
        if snapshot_job is not None:
            digest_of_snapshot = snapshot_job.result()
            if digest_of_snapshot is not None:
                out.adopt(downloads.SNAPSHOT, digest=digest_of_snapshot)
        clock("downloads (rest)")
        if search_index and n_events:
            import shutil
            shutil.rmtree(out.target / "pagefind", ignore_errors=True)
            search_seconds = search.index(out.target)
        else:
            out.carry_unmanaged()
            search_seconds = 0.0
        clock("search")
        out.write_cache(BUILD_STATE, {"inputs": inputs, "kinds": dict(sorted(kinds.items())),
                                      "skipped": skipped, "events": n_events,
                                      "events_key": events_key, "stories_key": stories_key})
        files = out.commit()
        clock("commit")
    except BaseException:
        for job in (snapshot_job, files_job, sync_job):
            if job is not None:
                job.cancel()  # it writes into the folder abort() clears
        out.abort()
        raise
    counts = dict(sorted(kinds.items()))
    counts["pages"] = sum(kinds.values())
    counts["skipped"] = skipped
    counts["search_seconds"] = round(search_seconds, 3)
    counts.update(files)
    counts["rendered"] = rendered
    return counts


def _index(db, out: Output, inputs) -> tuple[Index, Changes | None, Counter | None]:
    """The store as the plan reads it (index.py), reading again only the rows changed since
    the live site's build (its LOAD_CACHE); and, when only a few events and documents changed
    since, what did, with the live build's pages by kind (else None, None: plan every page)."""
    previous = sitedata.Rows.from_cache(out.read_cache(LOAD_CACHE), out.read_cache(LOAD_DELTA))
    site = sitedata.read(db, previous)
    if sitedata.stories_in_use(site):
        sitedata.fill(site)
        return Index.from_dicts(site), None, None
    index = Index.from_rows(site)
    live = out.read_cache(BUILD_STATE)
    rows = site.rows
    if (previous is None or rows.reread < 0 or inputs is None or not isinstance(live, dict)
            or out.salt != out.live_salt or out.mirror is not None or not out.live
            # built from the same store, URL and files, and these rows are the ones it read
            or not isinstance(live.get("inputs"), tuple) or live["inputs"][0] != inputs[0]
            or live["inputs"][2:] != inputs[2:] or live["inputs"][1] != previous.seq
            or live.get("kinds", {}).get("stories") != 0
            or previous.entity_keys != rows.entity_keys or previous.source_keys != rows.source_keys
            or rows.reread > 0.05 * (len(rows.events) + len(rows.documents))):
        return index, None, None
    return index, Changes.between(previous, rows), Counter(live["kinds"])


def _keep_the_rest(out: Output, plan: Plan, removed: set, kinds: Counter) -> None:
    """Every live page that was not planned and is not removed is kept as it is (linked into
    the target copy where that holds an older version); kinds (the live build's pages by kind)
    is brought up to date with the pages removed and added."""
    planned = {page[0] for page in plan.pages}
    live, base = out.live, out.base
    for rel in planned - live.keys():
        kinds[_kind_of(rel)] += 1
    for rel in removed & live.keys():
        kinds[_kind_of(rel)] -= 1
    skip = planned | removed
    kept = {rel: entry for rel, entry in live.items()
            if rel not in skip and not _made_by_write_files(rel)}
    to_link = [rel for rel, entry in kept.items()
               if (b := base.get(rel)) is None or b[0] != entry[0]]
    out.makedirs(to_link)
    for rel in to_link:
        out.link_from_live(rel)
    out.keep_all(kept)


def _kind_of(rel: str) -> str:
    """The kind (as the plan counts pages) of a page, from its path."""
    parts = rel.split("/")
    nested = {"timeline": ("timeline", 3, "timeline_months"), "entities": ("entities", 2, "entity_months"),
              "sources": ("sources", 2, "source_months")}
    if parts[0] in nested:
        kind, depth, months = nested[parts[0]]
        return kind if len(parts) == depth else months
    if parts[0] in ("events", "documents", "stories", "feeds"):
        return parts[0]
    return "home" if rel == "index.html" else "index_pages"


def _execute(plan: Plan, out: Output, index: Index | None, workers: int | None,
             site_url: str = "") -> int:
    """Keep the pages whose key is the live one's; render the others, in forked workers on
    every core when there are many. Returns how many were rendered."""
    records, todo = _keep(plan.pages, out)
    for record in records:
        out.record(record)
    full = index.full if index is not None else None
    env = make_env()
    env.globals["site_url"] = site_url
    _STATE.update(env=env, items=fragments.Items(full), out=out, index=index, todo=todo,
                  feed_items=fragments.Items(_feed_full, fragments.feed_entry))
    workers = workers or len(os.sched_getaffinity(0))
    try:
        if workers > 1 and len(todo) >= PARALLEL_MIN:
            for name in env.list_templates(filter_func=lambda n: not n.startswith("_")):
                env.get_template(name)  # compiled once here, not once per worker
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for results in pool.imap_unordered(_render_share, _shares(todo, workers * 4)):
                    for record in results:
                        out.record(record)
        else:
            for record in _render_share(range(len(todo))):
                out.record(record)
    finally:
        _STATE.clear()
    return len(todo)


# Not pages (not in the manifest): where each event's line is in events.csv and events.json,
# and the rows the build read (data.Rows), so the next build reads only those changed since.
DOWNLOADS_CACHE, STORIES_CACHE = ".downloads.index", ".stories.index"
LOAD_CACHE, LOAD_DELTA = ".rows.cache", ".rows.delta"


DOWNLOADS = ("downloads/events.csv", "downloads/events.json")
EXCEL = "downloads/events-excel.csv"  # the same bytes after a UTF-8 BOM, for spreadsheets
STORY_DOWNLOADS = ("downloads/stories.csv", "downloads/stories.json", "downloads/stories-excel.csv")
SITEMAP = "sitemap.xml"
SITEMAP_MAX = 50_000  # URLs a sitemap may hold (sitemaps.org)
# Not a page (not in the manifest): what the live site was built from (see _unchanged_since).
BUILD_STATE = ".build.state"


def _made_by_write_files(rel: str) -> bool:
    return (rel.startswith("static/") or rel in DOWNLOADS or rel in STORY_DOWNLOADS
            or rel in (EXCEL, downloads.SNAPSHOT))


def _methodology_inputs(db) -> tuple[dict[str, str], dict | None]:
    """What the methodology page shows besides the rows: the taxonomy the tagger recorded and
    the evaluation figures (the store's taxonomy and evaluations tables; a few rows)."""
    return store.taxonomy(db.conn), store.evaluation(db.conn)


def _inputs(db, site_url: str, snapshot: bool, methodology) -> tuple | None:
    """Everything a build reads besides the code and templates (the salt covers those): the
    store's change counter (rivalry/store/schema.py bumps it on every change to a table the
    site shows) and which store it is, the site URL, and the methodology page's taxonomy and
    figures (tables without the change log). None when the store keeps no change log."""
    change = store.change_state(db.conn)
    if change is None:
        return None
    other = hashlib.blake2b(digest_size=16)
    # The store's path too, hashed: the state file sits in the published folder.
    other.update(os.fsencode(str(database_file(db))) + b"\0")
    other.update(repr(methodology).encode("utf-8", "surrogatepass"))
    return (change[0], change[1], site_url, bool(snapshot), other.hexdigest())


def _unchanged_since(out: Output, inputs) -> dict | None:
    """The live site's build state when the live site was built from exactly these inputs by
    this code (read_cache checks the salt), so every page it holds is right; else None."""
    if inputs is None or out.mirror is not None or out.live_salt != out.salt:
        return None
    state = out.read_cache(BUILD_STATE)
    if not isinstance(state, dict) or state.get("inputs") != inputs:
        return None
    if not all(out.unchanged_key(rel, state.get("events_key")) for rel in DOWNLOADS + (EXCEL,)):
        return None
    if not all(out.unchanged_key(rel, state.get("stories_key")) for rel in STORY_DOWNLOADS):
        return None
    return state


def _write_files(out: Output, index: Index | None, events_key: str, stories_key: str) -> list:
    """Everything but the pages and the snapshot: static files, downloads, caches. Runs in a
    child (background.Forked): returns the manifest records for the parent to keep. index
    None: nothing the site shows changed since the live build, whose files are kept."""
    records = []

    def write(rel, data, key=""):
        out.makedirs([rel])
        records.append(out.store(rel, data, key))
        return records[-1][1]

    if index is None:
        out.keep_cache(LOAD_CACHE)
        out.keep_cache(LOAD_DELTA)
    else:
        full, delta = index.rows.to_cache()
        if full is None:
            out.keep_cache(LOAD_CACHE)
        else:
            out.write_cache(LOAD_CACHE, full)
        out.write_cache(LOAD_DELTA, delta)
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            write(posixpath.join("static", path.relative_to(STATIC).as_posix()), path.read_bytes())
    _write_lines(out, write, records, DOWNLOADS, EXCEL, events_key, DOWNLOADS_CACHE,
                 lambda lines, old: downloads.render(index.events, index.full, lines, *old))
    _write_lines(out, write, records, STORY_DOWNLOADS[:2], STORY_DOWNLOADS[2], stories_key,
                 STORIES_CACHE,
                 lambda lines, old: downloads.render_stories(index.entries, index.full, lines, *old))
    return records


def _write_lines(out: Output, write, records: list, rels, excel: str, key: str, cache_name: str,
                 render) -> None:
    """A CSV and a JSON download and the CSV's spreadsheet copy: kept when their key is the
    live one's, else made by render(lines, old files) copying the lines of unchanged entries
    from the live files, found by the index (cache_name) their build saved."""
    if all(out.unchanged_key(rel, key) for rel in (*rels, excel)):
        records.extend(out.keep(rel) for rel in (*rels, excel))
        out.keep_cache(cache_name)
        return
    cache = out.read_cache(cache_name)
    lines, old = {}, [b"", b""]
    if isinstance(cache, tuple) and len(cache) == 3 and isinstance(cache[2], dict):
        shas = [(out.live.get(rel) or [None])[0] for rel in rels]
        if list(cache[:2]) == shas:
            try:
                old = [out.read_live(rel) for rel in rels]
                lines = cache[2]
            except OSError:
                old = [b"", b""]
    made = render(lines, old)
    del old
    shas = [write(rel, data, key) for rel, data in zip(rels, made)]
    write(excel, downloads.BOM + made[0], key)
    out.write_cache(cache_name, tuple(shas) + (made[2],))


def _start_snapshot(db, out: Output, finished_run: dict | None = None) -> Forked | None:
    """The database download, taken by a child while the store is read and pages planned;
    its result is the file's digest. None for a store without a file."""
    source = database_file(db)
    if not source:
        return None
    target = out.target_path(downloads.SNAPSHOT)

    def take():
        from rivalry.store import snapshot as take_snapshot

        take_snapshot(source, target, finished_run)
        with open(target, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()[:32]
    return Forked("snapshot", take)


def database_file(db) -> Path | None:
    """The file behind a sqlite_utils Database (None for an in-memory one)."""
    for _, name, file in db.execute("PRAGMA database_list").fetchall():
        if name == "main" and file:
            return Path(file)
    return None


# --- what each page shows ---------------------------------------------------------------------

class _Planner:
    """What each page shows, by section. What several sections need is worked out once, here."""

    def __init__(self, index: Index, site_url: str, changes: Changes | None = None):
        self.index, self.site_url = index, site_url
        # With changes (since the live build), only the pages they can change are planned, and
        # the pages they remove are listed here; every other live page is kept as it is.
        self.changes = changes
        self.removed: set[str] = set()
        labels = {}
        for code in index.actions:  # two codes with the same slug share one page: first label wins
            labels.setdefault(sitedata.slug(code), sitedata.action_label(code))
        self.labels = labels
        self.facets = facets = _facets(index.entries)
        self.action_counts = {a: len(facets[(ALL, a)]) for a in labels if (ALL, a) in facets}
        self.country_counts = {c: len(facets[(c, ALL)]) for c in index.countries if (c, ALL) in facets}
        self.common = {"labels": labels, "action_counts": self.action_counts,
                       "country_counts": self.country_counts}
        self.common_key = (tuple(sorted(labels.items())), tuple(sorted(self.action_counts.items())),
                           tuple(sorted(self.country_counts.items())))
        self.entities = [e for e in index.entities.values() if e["href"]]
        self._months: dict[tuple[str, str], list] = {}  # filter -> month_counts of its entries
        self._times: dict[str, tuple[str, str]] | None = None  # entry id -> feed order (_feed_times)

    def _facet_months(self, country: str, action: str) -> list[tuple[str, int]]:
        """month_counts of a timeline filter's entries, counted once for both sections."""
        counts = self._months.get((country, action))
        if counts is None:
            counts = self._months[(country, action)] = month_counts(self.facets[(country, action)])
        return counts

    def sections(self) -> list:
        return [self.home_and_timelines, self.timeline_months, self.event_pages,
                self.entity_pages, self.entity_feeds, self.document_and_source_pages,
                self.site_files]

    # -- sections --------------------------------------------------------------------------------

    def home_and_timelines(self, plan: Plan) -> None:
        index, labels, common, common_key = self.index, self.labels, self.common, self.common_key
        codes = list(index.actions)
        latest = index.entries[:HOME_SIZE]
        # The chart stacks what the timeline lists (stories), so its bars and the timeline's
        # months say the same numbers.
        the_chart = chart.monthly_chart([(e[MONTH], e[ACTION]) for e in index.entries], codes,
                                        {c: sitedata.action_label(c) for c in codes})
        totals = _totals(index)
        plan.add("home", "index.html", "home.html",
                 (repr(the_chart), keys(latest), repr(totals), common_key,
                  repr(index.to_be_published)),
                 title="Latest stories", latest=None, _lazy={"latest": ("plain", latest)},
                 to_be_published=index.to_be_published, totals=totals,
                 total=len(index.entries), chart=the_chart, feed=feed_rel(ALL, ""), **common)
        facets = self.facets
        for (country, action), events in sorted(facets.items()):
            base = f"timeline/{country}/{action}"
            feed = self._facet_feed(country, action)
            title = _facet_title(country, action, labels)
            month_list = (month_index(self._facet_months(country, action))
                          if len(events) > PER_PAGE else [])
            nav_c = tuple((c, len(facets[(c, action)])) for c in self.country_counts
                          if (c, action) in facets)
            nav_a = tuple((a, len(facets[(country, a)])) for a in self.action_counts
                          if (country, a) in facets)
            plan.add("timeline", base + ".html", "timeline.html",
                     (title, len(events), nav_c, nav_a, repr(month_list), feed,
                      keys(events[:PER_PAGE]), common_key),
                     country=country, action=action, nav_c=nav_c, nav_a=nav_a, feed=feed,
                     title=title, month=None, index=month_list, total=len(events), base=base,
                     _lazy={"listing": ("months", events[:PER_PAGE])}, **common)
        self._feed(plan, feed_rel(ALL, ""), "All stories", index.entries, "timeline/all/all.html")
        for (country, action), events in sorted(facets.items()):
            if country == ALL and action != ALL:
                self._feed(plan, feed_rel("actions", action), labels[action], events,
                           f"timeline/all/{action}.html")
            elif action == ALL and country != ALL:
                self._feed(plan, feed_rel("countries", country), sitedata.country_label(country),
                           events, f"timeline/{country}/all.html")
        plan.add("index_pages", "actions.html", "actions.html", (common_key,), title="Action types",
                 **common)
        plan.add("index_pages", "countries.html", "countries.html", (common_key,),
                 title="Countries", **common)
        tax = _taxonomy(index.taxonomy, codes, self.action_counts)
        evaluation = _evaluation(index.evaluation)
        plan.add("index_pages", "methodology.html", "methodology.html",
                 (repr(tax), repr(totals), repr(evaluation), common_key),
                 title="Methodology", taxonomy=tax, totals=totals, evaluation=evaluation, **common)
        plan.add("index_pages", "downloads.html", "downloads.html", (repr(totals),),
                 title="Downloads", columns=downloads.COLUMNS, story_columns=downloads.STORY_COLUMNS,
                 totals=totals, snapshot_tables=downloads.SNAPSHOT_TABLES)
        plan.add("index_pages", "search.html", "search.html", (common_key,), title="Search",
                 **common)

    def timeline_months(self, plan: Plan) -> None:
        changed = self.changes.facets if self.changes else None
        for (country, action), events in sorted(self.facets.items()):
            base = f"timeline/{country}/{action}"
            if changed is not None and (country, action) not in changed:
                continue
            counts = self._facet_months(country, action)
            only = self._months_to_plan(base, events, counts, changed[(country, action)]) if changed else None
            if len(events) > PER_PAGE:
                _month_pages(plan, "timeline_months", base, "timeline.html", events, counts,
                             _facet_title(country, action, self.labels), only=only,
                             country=country, action=action,
                             feed=self._facet_feed(country, action), **self.common)
        for country, action in (changed or {}):
            if (country, action) not in self.facets:  # no entry left under this filter
                base = f"timeline/{country}/{action}"
                self._months_to_plan(base, [], [], changed[(country, action)])
                self.removed.add(base + ".html")
                feed = self._facet_feed(country, action)
                if feed:
                    self.removed.add(feed)

    def event_pages(self, plan: Plan) -> None:
        index = self.index
        events = index.events
        if self.changes is not None:  # (no story is in use then)
            by_id = {e[ID]: e for e in events}
            events = [by_id[i] for i in sorted(self.changes.events) if i in by_id]
            self.removed.update(f"events/{i}.html" for i in self.changes.events if i not in by_id)
        plan.kinds["events"] += len(events)
        story_of, append = index.event_story.get, plan.pages.append
        for ev in events:
            st = story_of(ev[ID])
            key = page_key((ev[KEY], st[0], st[1])) if st else ev[KEY].hex()
            append((f"events/{ev[ID]}.html", key, "event.html", (_event_ctx, ev)))
        plan.kinds["stories"] += len(index.stories)
        for href, key, st in index.stories:
            plan.pages.append((href, key, "story.html", (_story_ctx, st)))

    def entity_pages(self, plan: Plan) -> None:
        index, no_events = self.index, []
        changed = self.changes.entities if self.changes else None
        for ent in self.entities:
            if changed is not None and ent["id"] not in changed:
                continue
            events = index.entity_entries.get(ent["id"], no_events)
            own = index.entity_events.get(ent["id"], no_events)
            paged = len(events) > PER_PAGE
            counts = month_counts(events)
            only = self._months_to_plan(ent["href"][:-5], events, counts, changed[ent["id"]]) if changed else None
            month_list = month_index(counts) if paged else []
            base = ent["href"][:-5]
            feed = feed_rel("entities", ent["id"]) if events else None
            # The summary (what it did, what was done to it, with whom) is a function of its own
            # events' keys (they cover actions, roles and the other entities' names): made only
            # when the page is rendered.
            key = page_key((ent["key"], keys(own), len(events), repr(month_list),
                            keys(events[:PER_PAGE]), feed))
            plan.add_lazy("entities", ent["href"], "entity.html", key, _entity_ctx,
                          (ent, own, events, month_list, base, feed))
            if paged:
                _month_pages(plan, "entity_months", base, "entity.html", events, counts,
                             ent["name"], only=only, ent=ent, feed=feed, entity_key=ent["key"])
        # Only entities something happened to or by: a page with no story is not listed (it
        # exists, and says so).
        groups = [(t, [(e, n) for e in es
                       if (n := len(index.entity_entries.get(e["id"], no_events)))])
                  for t, es in _group_entities(self.entities)]
        groups = [(t, es) for t, es in groups if es]
        plan.add("index_pages", "entities.html", "entities.html",
                 (tuple((t, tuple((e["key"], n) for e, n in es)) for t, es in groups),),
                 title="Entities", groups=groups)

    def entity_feeds(self, plan: Plan) -> None:
        changed = self.changes.entities if self.changes else None
        for ent in self.entities:
            if changed is not None and ent["id"] not in changed:
                continue
            entries = self.index.entity_entries.get(ent["id"])
            if entries:
                self._feed(plan, feed_rel("entities", ent["id"]), ent["name"], entries, ent["href"])
            elif changed is not None:
                self.removed.add(feed_rel("entities", ent["id"]))

    def document_and_source_pages(self, plan: Plan) -> None:
        index, append = self.index, plan.pages.append
        docs = index.documents.values()
        if self.changes is not None:
            docs = [index.documents[d] for d in sorted(self.changes.documents) if d in index.documents]
            self.removed.update(f"documents/{d}.html" for d in self.changes.documents
                                if d not in index.documents or not index.documents[d]["href"])
        for doc in docs:
            if doc["href"]:
                plan.kinds["documents"] += 1
                key = (page_key((doc["key"], keys(doc["events"]))) if doc["events"]
                       else doc["key"].hex())
                append((doc["href"], key, "document.html", (_document_ctx, doc)))
        by_source = defaultdict(list)
        for doc in sorted(index.documents.values(), key=lambda d: (d["published"] or "", d["id"]),
                          reverse=True):
            if doc["source"]:
                doc["month"] = (doc["published"] or "")[:7]
                by_source[doc["source"]["id"]].append(doc)
        sources = [s for s in index.sources.values() if s["href"]]
        for src in sources:
            _source_pages(plan, src, by_source.get(src["id"], []))
        plan.add("index_pages", "sources.html", "sources.html",
                 (tuple((s["key"], len(by_source.get(s["id"], []))) for s in sources),),
                 title="Sources", sources=[(s, len(by_source.get(s["id"], []))) for s in sources])

    def site_files(self, plan: Plan) -> None:
        """sitemap.xml (the pages worth finding: no month page, no entity without a story) and
        the 404 page, whose links start at the site's root (it is served at any depth)."""
        index = self.index
        rels = [f"{name}.html" for name in ("index", "actions", "countries", "entities",
                                             "sources", "methodology", "downloads", "search")]
        rels += [f"timeline/{c}/{a}.html" for c, a in sorted(self.facets)]
        rels += [href for href, _, _ in sorted(index.stories)]
        rels += [e["href"] for e in self.entities if index.entity_entries.get(e["id"])]
        rels += [s["href"] for s in index.sources.values() if s["href"]]
        rels += [f"events/{e[ID]}.html" for e in index.events]
        rels = rels[:SITEMAP_MAX]
        plan.add("index_pages", SITEMAP, "sitemap.xml", (self.site_url, tuple(rels)),
                 rels=rels, site_url=self.site_url)
        root = urlsplit(self.site_url).path if self.site_url else "/"
        plan.add("index_pages", "404.html", "404.html", (root,), title="Page not found",
                 root=root)

    # -- shared ----------------------------------------------------------------------------------

    def _months_to_plan(self, base: str, entries, counts, delta: Counter) -> set | None:
        """The month pages of one list (timeline filter or entity) to plan after changes: the
        months that gained or lost entries (delta: month -> gained minus lost), or all (None)
        when the list's months or its paging changed (every page links its neighbours). The
        month pages that no longer exist are added to self.removed."""
        new = dict(counts)
        old = {m: new.get(m, 0) - delta.get(m, 0) for m in new.keys() | delta.keys()}
        old_months = {m for m, n in old.items() if n > 0}
        was_paged, paged = sum(old.values()) > PER_PAGE, len(entries) > PER_PAGE
        if was_paged:
            gone = old_months - set(new) if paged else old_months
            self.removed.update(f"{base}/{fragments.month_slug(m)}.html" for m in gone)
        if paged and was_paged and old_months == set(new):
            return set(delta)
        return None

    @staticmethod
    def _facet_feed(country: str, action: str) -> str | None:
        return (feed_rel(ALL, "") if country == ALL and action == ALL else
                feed_rel("actions", action) if country == ALL else
                feed_rel("countries", country) if action == ALL else None)

    def _feed_times(self) -> dict[str, tuple[str, str]]:
        """Entry id -> (last changed, first seen) for every entry, made once per plan: when the
        project saw it (data.seen_times), else its event date."""
        if self._times is None:
            self._times = {e[0]: self._time_of(e) for e in self.index.entries}
        return self._times

    def _time_of(self, entry) -> tuple[str, str]:
        first, changed = self.index.seen.get(entry[0]) or (
            (f"{entry[DATE]}T00:00:00Z",) * 2 if entry[DATE] else (FEED_EPOCH,) * 2)
        return changed, first

    def _feed(self, plan: Plan, rel: str, title: str, events, alternate: str) -> None:
        """A feed of the entries the project saw or changed last (whatever their event date:
        a story newly found about an older event reaches subscribers too)."""
        times = self._feed_times()
        for e in events:
            if e[0] not in times:
                times[e[0]] = self._time_of(e)
        # Latest change first; entries seen at the same moment (one night's crawl) newest first.
        # nlargest, not a sort: ~425 feeds over 50,000 entries are planned on every build.
        entries = heapq.nlargest(FEED_SIZE, events, key=lambda e: (*times[e[0]], e[DATE] or "", e[0]))
        updated = max((times[e[0]][0] for e in entries), default=FEED_EPOCH)
        ctx = {"root": self.site_url} if self.site_url else {}
        plan.add("feeds", rel, "feed.xml", (title, alternate, updated, self.site_url, keys(entries),
                                            tuple(times[e[0]][::-1] for e in entries)),
                 title=title, _lazy={"entries": ("feed", entries)}, updated=updated,
                 alternate=alternate, feed_id=rel, **ctx)


def _entity_ctx(arg):
    ent, own, events, month_list, base, feed = arg
    return {"ent": ent, "title": ent["name"], "total": len(events), "month": None,
            "noindex": not events,  # a name no story involves yet: not for search engines
            "summary": _entity_summary(ent, own, _STATE["index"].entities), "n_events": len(own),
            "index": month_list, "base": base, "feed": feed,
            "_lazy": {"listing": ("months", events[:PER_PAGE])}}


def _event_ctx(entry):
    ev = _full(entry)
    return {"ev": ev, "title": ev["headline"], "_lazy": {"body": (fragments.event_body, ev)}}


STORY_SOURCES = 60  # a story page lists this many sources, then says how many more


def _story_ctx(entry):
    st = _full(entry)
    quotes, seen = [], set()
    for ev in ([st["primary_event"]] if st["primary_event"] else []) + st["events"]:
        if ev["evidence"] not in seen and len(quotes) < sitedata.MAX_QUOTES:
            seen.add(ev["evidence"])
            quotes.append(ev)
    return {"st": st, "title": st["headline"],
            "quotes": quotes, "docs": st["documents"][:STORY_SOURCES],
            "more_docs": max(0, len(st["documents"]) - STORY_SOURCES),
            "events": st["events"][:STORY_SOURCES]}


def _document_ctx(doc):
    return {"doc": doc, "title": doc["title"], "_lazy": {"listing": ("plain", doc["events"])}}


def _month_pages(plan: Plan, kind, base, template, entries, counts, title, only=None, **ctx):
    """One page per month of a long list (entries newest first; counts: month_counts of them).
    There are tens of thousands: the key is one hash of the page's fixed facts and its entries'
    keys, and the context is made only for a page that is rendered (_month_ctx). only: the
    months to plan (None: all), when the others are known not to have changed."""
    entity_key = ctx.pop("entity_key", None)
    slugs = [fragments.month_slug(month) for month, _ in counts]
    fixed = (title, entity_key, ctx.get("feed"), ctx.get("country"), ctx.get("action"))
    blake2b, last = hashlib.blake2b, len(counts) - 1
    append = plan.pages.append
    start = 0
    for i, (month, n) in enumerate(counts):
        evs_start, start = start, start + n
        if only is not None and month not in only:
            continue
        plan.kinds[kind] += 1
        evs = entries[evs_start:start]
        slug = slugs[i]
        newer = slugs[i - 1] if i > 0 else None
        older = slugs[i + 1] if i < last else None
        # repr of the tuple is unambiguous, and the entries' keys (16 bytes each) come last
        key = blake2b(repr((fixed, month, newer, older)).encode("utf-8", "surrogatepass")
                      + keys(evs), digest_size=16).hexdigest()
        append((f"{base}/{slug}.html", key, template,
                (_month_ctx, (ctx, title, base, month, slug, newer, older, evs))))


def _month_ctx(arg):
    ctx, title, base, month, slug, newer, older, evs = arg
    return {**ctx, "title": f"{title} · {month_label(month)}", "month": month, "month_slug": slug,
            "newer": newer, "older": older, "total": len(evs), "base": base, "index": [],
            "_lazy": {"listing": ("months", evs)}}


def _source_pages(plan: Plan, src, docs):
    base = src["href"][:-5]
    paged = len(docs) > PER_PAGE
    index = month_index((m, len(ds)) for m, ds in docs_by_month(docs)) if paged else []
    dkeys = lambda ds: b"".join(d["key"] + str(len(d["events"])).encode() for d in ds)  # noqa: E731
    plan.add("sources", src["href"], "source.html",
             (src["key"], len(docs), repr(index), dkeys(docs[:PER_PAGE])),
             src=src, docs=docs[:PER_PAGE], total=len(docs), title=src["name"], month=None,
             index=index, base=base)
    if paged:
        groups = docs_by_month(docs)
        for i, (month, ds) in enumerate(groups):
            slug = fragments.month_slug(month)
            newer = fragments.month_slug(groups[i - 1][0]) if i > 0 else None
            older = fragments.month_slug(groups[i + 1][0]) if i + 1 < len(groups) else None
            plan.add("source_months", f"{base}/{slug}.html", "source.html",
                     (src["key"], month, newer, older, dkeys(ds)),
                     src=src, docs=ds, total=len(ds), title=f"{src['name']} · {month_label(month)}",
                     month=month, month_slug=slug, newer=newer, older=older, index=[], base=base)


def _facets(entries) -> dict[tuple[str, str], list]:
    """(country slug | 'all', action slug | 'all') -> entries, newest first. Only non-empty keys."""
    facets: dict[tuple[str, str], list] = defaultdict(list)
    # Entries share a few (countries, action) combinations: the lists each one goes into are
    # looked up once per combination, not once per entry.
    lists_of: dict[tuple, list] = {}
    for ev in entries:
        combination = (ev[COUNTRIES], ev[SLUG])
        lists = lists_of.get(combination)
        if lists is None:
            lists = lists_of[combination] = [facets[k] for k in facets_of(ev)]
        for facet in lists:
            facet.append(ev)
    return facets


_ROLES = operator.itemgetter(ACTOR, TARGET, OBJECT)
_ACTOR, _TARGET, _LABEL = (operator.itemgetter(i) for i in (ACTOR, TARGET, LABEL))


def _entity_summary(ent, events, entities) -> dict:
    """What an entity did, what was done to it, and whom it appears with, over its events."""
    # Counted by C code (map, compress, Counter): the largest entities have tens of thousands.
    me = ent["id"]
    labels, eq, mine = list(map(_LABEL, events)), operator.eq, itertools.repeat(me)
    took = Counter(itertools.compress(labels, map(eq, mine, map(_ACTOR, events))))
    against = Counter(itertools.compress(labels, map(eq, mine, map(_TARGET, events))))
    # Every role of its events, less itself and the empty ones: the others, once per role.
    partners = Counter(itertools.chain.from_iterable(map(_ROLES, events)))
    partners.pop(me, None)
    partners.pop(None, None)
    top = sorted(partners.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    return {"took": sorted(took.items()), "against": sorted(against.items()),
            "partners": [(entities[i]["name"], entities[i]["href"], n) for i, n in top]}


def _facet_title(country, action, labels) -> str:
    what = labels[action] if action != ALL else "All stories"
    return what if country == ALL else f"{what} · {sitedata.country_label(country)}"


def _group_entities(entities):
    groups = defaultdict(list)
    for e in entities:
        groups[(e["type"] or "other")].append(e)
    return [(t, sorted(es, key=lambda e: (e["name"].lower(), e["id"]))) for t, es in sorted(groups.items())]


def _taxonomy(described: dict[str, str], seen_codes, action_counts):
    """Every action code with its description, as the tagger recorded them; before a tag run
    recorded any, only the codes seen in the events, without descriptions."""
    codes = sorted(set(described) | set(seen_codes))
    return [{"code": c, "slug": sitedata.slug(c), "label": sitedata.action_label(c),
             "description": described.get(c, ""),
             "count": action_counts.get(sitedata.slug(c) or "", 0)} for c in codes]


def _totals(index: Index):
    """The site's figures, the same on every page that names them (see terms.py)."""
    return {"stories": len(index.entries), "reports": len(index.events),
            "entities": len(index.entities), "documents": len(index.documents),
            "sources": len(index.sources)}


_CJK = re.compile("[\u3400-\u9fff\uf900-\ufaff]")


def is_chinese(text: str) -> bool:
    """Whether a name is written in Chinese characters (then marked lang="zh")."""
    return bool(_CJK.search(text or ""))


def _evaluation(raw: dict | None) -> dict | None:
    """The tagger's figures on the test split, as the store records them (`rivalry eval`
    measured them, or `rivalry tag` recorded the shipped docs/eval.json), checked field by
    field. The build never runs the model: it shows the figures recorded, or none."""
    if not isinstance(raw, dict) or not isinstance(raw.get("per_class"), dict):
        return None

    def num(v):
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    rows = []
    for code, v in sorted(raw["per_class"].items()):
        if isinstance(v, dict):
            rows.append({"code": str(code), "precision": num(v.get("precision")),
                         "recall": num(v.get("recall")), "f1": num(v.get("f1")),
                         "support": v.get("support") if isinstance(v.get("support"), int) else None})
    acc = raw.get("accuracy") if isinstance(raw.get("accuracy"), dict) else {}
    support = raw.get("support") if isinstance(raw.get("support"), dict) else {}
    roles = [{"role": str(k), "value": num(v), "n": support.get(k) if isinstance(support.get(k), int) else None}
             for k, v in sorted(acc.items()) if num(v) is not None]
    documents = []  # timeline entries on real documents, then on those written for the project
    for key, label in (("documents", "real White House documents"),
                       ("written_for_project", "documents written for the project")):
        d = raw.get(key)
        if not isinstance(d, dict):
            continue
        dacc = d.get("accuracy") if isinstance(d.get("accuracy"), dict) else {}
        dsup = d.get("support") if isinstance(d.get("support"), dict) else {}
        targets = d.get("targets") if isinstance(d.get("targets"), dict) else {}
        measures = [("entry precision", num(d.get("precision")), d.get("predicted_entries"),
                     targets.get("precision"), "≥"),
                    ("entry recall", num(d.get("recall")), d.get("gold_entries"),
                     targets.get("recall"), "≥")]
        measures += [(f"{k} accuracy", num(dacc.get(k)), dsup.get(k), targets.get(k), "≥")
                     for k in ("action", "actor", "target", "date", "modality") if k in dacc]
        measures += [("entries per document", num(d.get("entries_per_document")),
                      d.get("documents"), None, ""),
                     ("entries per out-of-scope document",
                      num(d.get("entries_per_out_of_scope_document")),
                      d.get("out_of_scope_documents"),
                      targets.get("entries_per_out_of_scope_document"), "≤")]
        documents.append({"label": label, "n": d.get("documents"), "rows": [
            {"name": n, "value": v, "n": c if isinstance(c, int) else None,
             "target": f"{op} {t}" if isinstance(t, (int, float)) else ""}
            for n, v, c, t, op in measures if v is not None]})
    return {"split": str(raw.get("split", "test")), "documents": documents,
            "count": raw.get("items") if isinstance(raw.get("items"), int) else None,
            "macro_f1": num(raw.get("macro_f1")), "per_class": rows, "roles": roles,
            "date": str(raw["date"]) if isinstance(raw.get("date"), str) else None,
            "pipeline_version": str(raw["pipeline_version"]) if isinstance(raw.get("pipeline_version"), str) else None}


__all__ = ["build_site", "feed_rel", "month_index", "Markup"]
