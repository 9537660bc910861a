"""Static site generator: store -> HTML pages in a folder that needs no server.

Public API: build_site(db, out_dir, search_index=True, site_url=None, workers=None) -> counts.

Every link is relative (templates prefix site-root paths with `root`), so the output works opened
from disk or served under any path. Page addresses (one module per page type, sitegen/pages/):

    index.html                                   home: latest events and the monthly chart
    timeline/<country|all>/<action|all>.html     a timeline (or one of its pre-rendered filters):
                                                 the newest 50 events and an index of months
    timeline/<country|all>/<action|all>/<YYYY-MM|undated>.html   one month of it
    entities/<id>.html  entities/<id>/<YYYY-MM>.html  sources/<id>.html  sources/<id>/<YYYY-MM>.html
    events/<id>.html  documents/<id>.html  stories/<id>.html
    actions.html  countries.html  entities.html  sources.html  methodology.html  downloads.html
    feeds/all.xml  feeds/{entities,actions,countries}/<id>.xml   Atom
    downloads/{events,stories}{.csv,.json,-excel.csv}  downloads/rivalry.db  search.html  pagefind/
    sitemap.xml  404.html

A list longer than PER_PAGE gets month pages. They are the date filter and the pagination at
once, and they are stable: a new event changes the pages of its own month, not every page after
it (as numbered pages would), so an incremental build rewrites little.

This module is the build's order; each step lives in its own module:

    state.py     what the live site was built from, and the rows it read (the saved state)
    data.py      the store's rows (reading again only what changed), index.py their entries
    stories.py   each story's dict, entry and page key, derived again only where a change touches
    planner.py   every page with its key (the page types: pages/), plan.py what they share
    render.py    the pages whose key changed, from the templates (forked workers when many)
    downloads.py the data files, background.py the children that make them and the snapshot
    output.py    the second copy of the site, swapped in atomically

How a build stays fast: every page is planned with a key (a fingerprint of everything it shows,
see data.py) made from small Entry tuples (index.py); a page whose key matches the live site's
manifest is not rendered at all. The rest are rendered from cached list items (fragments.py),
by forked workers on every core when there are many. The store is read again only where its
change log says rows changed (data.Rows), and when only a few events and documents did, only the
pages they can change are planned (index.Changes, planner.py); with stories in use, only the
stories those rows touch are derived again (stories.derive_again) and only their pages planned.
The downloads, the database snapshot and the spare copy's catching up run in forked children
meanwhile (background.py).
"""

from __future__ import annotations

import gc
import hashlib
import os
import posixpath
import time
from collections import Counter
from pathlib import Path

from . import data as sitedata
from . import downloads, search, state, stories
from .background import Forked
from .data import digest
from .index import Changes, Index, keys
from .output import Output, OutputError
from .plan import Plan
from .planner import Planner
from .render import STATIC, TEMPLATES, execute
from .safe import http_url

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


def _salt() -> bytes:
    """Changes whenever the code or the templates do, so every page key changes with them."""
    h = hashlib.blake2b(digest_size=16)
    for folder in (TEMPLATES, STATIC, Path(__file__).parent):
        for p in sorted(folder.rglob("*")):
            if p.is_file() and p.suffix != ".pyc":
                h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.digest()


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
        # site was built from, no page can have changed (see state.unchanged_since).
        methodology = state.methodology_inputs(db)
        inputs = state.inputs(db, site_url or "", snapshot, methodology, database_file(db))
        snapshot_job = _start_snapshot(db, out, finished_run) if snapshot else None
        saved = state.unchanged_since(out, inputs, lambda saved: _downloads_unchanged(out, saved))
        plan, changes, removed = Plan(), None, set()
        if saved is not None:
            # Nothing the site shows changed: every page of the live site is kept as it is.
            kinds = Counter(saved["kinds"])
            skipped, n_events, events_key = saved["skipped"], saved["events"], saved["events_key"]
            stories_key = saved.get("stories_key")
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
            planner = Planner(index, site_url or "", changes)
            plan = planner.plan()
            removed = planner.removed
            if changes is None:
                kinds = plan.kinds
        clock("plan")
        out.synced(sync_job.result())  # before any page is written into the target copy
        clock("sync")
        rendered = execute(plan, out, index, workers, site_url or "")
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
        state.save_state(out, inputs, kinds, skipped, n_events, events_key, stories_key)
        files = out.commit()
        clock("commit")
    except BaseException:
        for job in (snapshot_job, files_job, sync_job):
            if job is not None:
                job.cancel()  # it writes into the folder abort() clears
        out.abort()
        raise
    counts: dict[str, int | float] = dict(sorted(kinds.items()))
    counts["pages"] = sum(kinds.values())
    counts["skipped"] = skipped
    counts["search_seconds"] = round(search_seconds, 3)
    counts.update(files)
    counts["rendered"] = rendered
    return counts


def _index(db, out: Output, inputs) -> tuple[Index, Changes | None, Counter]:
    """The store as the plan reads it (index.py), reading again only the rows changed since
    the live site's build (state.previous_rows); and, when only a few events, documents and
    stories changed since, what did, with the live build's pages by kind (else None and no
    kinds: plan every page)."""
    previous = state.previous_rows(out)
    site = sitedata.read(db, previous)
    live = state.live_state(out)
    rows = site.rows
    few_changes = not (
        previous is None or rows.reread < 0 or inputs is None or not isinstance(live, dict)
        or out.salt != out.live_salt or out.mirror is not None or not out.live
        # built from the same store, URL and files, and these rows are the ones it read
        or not isinstance(live.get("inputs"), tuple) or live["inputs"][0] != inputs[0]
        or live["inputs"][2:] != inputs[2:] or live["inputs"][1] != previous.seq
        or previous.entity_keys != rows.entity_keys or previous.source_keys != rows.source_keys
        or rows.reread > 0.05 * (len(rows.events) + len(rows.documents)))
    live_stories = isinstance(live, dict) and live.get("kinds", {}).get("stories") != 0
    if sitedata.stories_in_use(site):
        saved = state.previous_stories(out) if few_changes and live_stories else None
        story_changes = stories.derive_again(site, previous, saved) if saved and previous else None
        if story_changes is None:
            sitedata.fill(site)
            return Index.from_dicts(site), None, Counter()
        assert previous is not None and isinstance(live, dict)
        index = Index.from_rows(site, story_changes)
        return index, Changes.between(previous, rows, story_changes), Counter(live["kinds"])
    index = Index.from_rows(site)
    if not few_changes or live_stories:
        return index, None, Counter()
    assert previous is not None and isinstance(live, dict)
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


# --- the files beside the pages: static files, downloads, the snapshot ---------------------------

DOWNLOADS = ("downloads/events.csv", "downloads/events.json")
EXCEL = "downloads/events-excel.csv"  # the same bytes after a UTF-8 BOM, for spreadsheets
STORY_DOWNLOADS = ("downloads/stories.csv", "downloads/stories.json", "downloads/stories-excel.csv")


def _made_by_write_files(rel: str) -> bool:
    return (rel.startswith("static/") or rel in DOWNLOADS or rel in STORY_DOWNLOADS
            or rel in (EXCEL, downloads.SNAPSHOT))


def _downloads_unchanged(out: Output, saved: dict) -> bool:
    """Whether the live downloads are the ones the saved build made (their keys)."""
    return (all(out.unchanged_key(rel, saved.get("events_key")) for rel in DOWNLOADS + (EXCEL,))
            and all(out.unchanged_key(rel, saved.get("stories_key")) for rel in STORY_DOWNLOADS))


def _write_files(out: Output, index: Index | None, events_key: str, stories_key: str | None) -> list:
    """Everything but the pages and the snapshot: static files, downloads, caches. Runs in a
    child (background.Forked): returns the manifest records for the parent to keep. index
    None: nothing the site shows changed since the live build, whose files are kept."""
    records = []

    def write(rel, data, key=""):
        out.makedirs([rel])
        records.append(out.store(rel, data, key))
        return records[-1][1]

    state.save_rows(out, index.rows if index is not None else None)
    state.save_stories(out, index.stories_to_save() if index is not None else None, kept=index is None)
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            write(posixpath.join("static", path.relative_to(STATIC).as_posix()), path.read_bytes())

    def events(lines, old):
        assert index is not None  # the live downloads are kept when nothing changed
        return downloads.render(index.events, index.full, lines, *old)

    def stories(lines, old):
        assert index is not None
        return downloads.render_stories(index.entries, index.full, lines, *old)

    _write_lines(out, write, records, DOWNLOADS, EXCEL, events_key, state.DOWNLOADS_CACHE, events)
    _write_lines(out, write, records, STORY_DOWNLOADS[:2], STORY_DOWNLOADS[2], stories_key,
                 state.STORIES_CACHE, stories)
    return records


def _write_lines(out: Output, write, records: list, rels, excel: str, key: str | None, cache_name: str,
                 render) -> None:
    """A CSV and a JSON download and the CSV's spreadsheet copy: kept when their key is the
    live one's, else made by render(lines, old files) copying the lines of unchanged entries
    from the live files, found by the index (cache_name) their build saved."""
    if all(out.unchanged_key(rel, key) for rel in (*rels, excel)):
        records.extend(out.keep(rel) for rel in (*rels, excel))
        state.keep(out, cache_name)
        return
    lines, old = state.download_lines(out, cache_name, rels)
    made = render(lines, old)
    del old
    shas = [write(rel, data, key) for rel, data in zip(rels, made)]
    write(excel, downloads.BOM + made[0], key)
    state.save_download_lines(out, cache_name, shas, made[2])


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


__all__ = ["build_site"]
