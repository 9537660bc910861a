"""What a build saves beside the pages for the next one, in one place: the build state (what
the site was built from), the rows it read, and where each entry's line is in the downloads.

These files are not pages (not in the manifest). Each holds the code's salt: a file made by
other code, damaged or missing reads as None, which only costs the next build more work, never
a wrong page.

    .build.state      inputs (store token and change counter, site URL, methodology inputs),
                      pages by kind, the downloads' keys: equal inputs, nothing to build
    .rows.cache       the rows the build read (data.Rows), rewritten now and then
    .rows.delta       the rows changed since .rows.cache, rewritten every build
    .downloads.index  event key -> its line's byte ranges in events.csv and events.json
    .stories.index    the same for stories.csv and stories.json
    .stories.state    each story's entry, face, page key and sources label, with the story
                      rows and links they were made from (stories.saved_state); only when
                      stories are in use
"""

from __future__ import annotations

import hashlib
import marshal
import os

from rivalry import store

from .data import Rows
from .output import Output, _create, _replace_with_link
from .rows import DocumentRow, EventRow

BUILD_STATE = ".build.state"
LOAD_CACHE, LOAD_DELTA = ".rows.cache", ".rows.delta"
DOWNLOADS_CACHE, STORIES_CACHE = ".downloads.index", ".stories.index"
STORIES_STATE = ".stories.state"


# --- the files ---------------------------------------------------------------------------------

def read(out: Output, name: str):
    """The value the live site's build saved under this name, or None (missing, damaged, or
    made by other code: the salt must match)."""
    try:
        salt, value = marshal.loads((out.out / name).read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    return value if salt == out.salt else None


def write(out: Output, name: str, value) -> None:
    dest = out.target / name
    # version 2: no back-references, whose flags depend on reference counts, so the bytes
    # depend on the value alone (the build is deterministic, this file too)
    _create(dest, marshal.dumps((out.salt, value), 2))
    if out.mirror is not None:
        _replace_with_link(dest, out.mirror / name)


def keep(out: Output, name: str) -> None:
    """The live site's file is still right: the target gets the same file (hard-linked)."""
    src, dest = out.out / name, out.target / name
    try:
        if not (dest.exists() and os.path.samefile(src, dest)):
            _replace_with_link(src, dest)
    except FileNotFoundError:
        dest.unlink(missing_ok=True)  # none in the live site: none in the new one either


# --- what the site is made from ------------------------------------------------------------------

def methodology_inputs(db) -> tuple[dict[str, str], dict | None]:
    """What the methodology page shows besides the rows: the taxonomy the tagger recorded and
    the evaluation figures (the store's taxonomy and evaluations tables; a few rows)."""
    return store.taxonomy(db.conn), store.evaluation(db.conn)


def inputs(db, site_url: str, snapshot: bool, methodology, database_file) -> tuple | None:
    """Everything a build reads besides the code and templates (the salt covers those): the
    store's change counter (rivalry/store/schema.py bumps it on every change to a table the
    site shows) and which store it is, the site URL, and the methodology page's taxonomy and
    figures (tables without the change log). None when the store keeps no change log."""
    change = store.change_state(db.conn)
    if change is None:
        return None
    other = hashlib.blake2b(digest_size=16)
    # The store's path too, hashed: the state file sits in the published folder.
    other.update(os.fsencode(str(database_file)) + b"\0")
    other.update(repr(methodology).encode("utf-8", "surrogatepass"))
    return (change[0], change[1], site_url, bool(snapshot), other.hexdigest())


def unchanged_since(out: Output, built_from, unchanged_downloads) -> dict | None:
    """The live site's build state when the live site was built from exactly these inputs by
    this code (read checks the salt), so every page it holds is right; else None.
    unchanged_downloads(state): whether the live downloads are the ones that build made."""
    if built_from is None or out.mirror is not None or out.live_salt != out.salt:
        return None
    state = read(out, BUILD_STATE)
    if not isinstance(state, dict) or state.get("inputs") != built_from:
        return None
    return state if unchanged_downloads(state) else None


def save_state(out: Output, built_from, kinds, skipped: int, n_events: int, events_key: str,
               stories_key: str | None) -> None:
    write(out, BUILD_STATE, {"inputs": built_from, "kinds": dict(sorted(kinds.items())),
                             "skipped": skipped, "events": n_events,
                             "events_key": events_key, "stories_key": stories_key})


def live_state(out: Output):
    return read(out, BUILD_STATE)


# --- the rows read ---------------------------------------------------------------------------------

# A cache is two files: the full rows, rewritten only now and then, and the rows changed since
# them. Each build rewrites only the small one until it passes this share of rows.
DELTA_LIMIT = 0.1


def previous_rows(out: Output) -> Rows | None:
    """The rows the live site's build read, or None (then every row is read)."""
    return rows_from_cache(read(out, LOAD_CACHE), read(out, LOAD_DELTA))


def save_rows(out: Output, rows: Rows | None) -> None:
    """Save the rows this build read; None: nothing was read, the live files are still right."""
    if rows is None:
        keep(out, LOAD_CACHE)
        keep(out, LOAD_DELTA)
        return
    full, delta = rows_to_cache(rows)
    if full is None:
        keep(out, LOAD_CACHE)
    else:
        write(out, LOAD_CACHE, full)
    write(out, LOAD_DELTA, delta)


def rows_to_cache(rows: Rows) -> tuple[tuple | None, tuple]:
    """(full, delta) to save: full None when the full file of `rows.base` is still the one."""
    if rows.base is not None:
        base_docs, base_events = rows.base
        docs = [d for k, d in rows.documents.items() if base_docs.get(k) is not d]
        events = [e for k, e in rows.events.items() if base_events.get(k) is not e]
        gone_docs = sorted(base_docs.keys() - rows.documents.keys())
        gone_events = sorted(base_events.keys() - rows.events.keys())
        if (len(docs) + len(events) + len(gone_docs) + len(gone_events)
                <= DELTA_LIMIT * (len(base_docs) + len(base_events))):
            return None, ("delta", rows.token, rows.seq, rows.source_keys, rows.entity_keys,
                          _plain(docs), _plain(events), gone_docs, gone_events, sorted(rows.bad_events))
    full = ("full", rows.token, rows.seq, rows.source_keys, rows.entity_keys,
            _plain(rows.documents.values()), _plain(rows.events.values()), sorted(rows.bad_events))
    return full, ("delta",)


def rows_from_cache(full, delta) -> Rows | None:
    """The rows a build saved (rows_to_cache), or None when the full file is missing or not
    ours. A damaged or missing delta only costs reading again the rows it held: the
    store's change log still names them."""
    try:
        tag, token, seq, source_keys, entity_keys, docs, events, bad = full
        if tag != "full":
            return None
        rows = Rows(token, seq, source_keys, entity_keys, _named(DocumentRow, docs),
                   _named(EventRow, events), list(bad))
    except (TypeError, ValueError, IndexError, KeyError):
        return None  # another layout: read everything
    rows.base = (dict(rows.documents), dict(rows.events))
    try:
        tag, token, seq, source_keys, entity_keys, docs, events, gone_docs, gone_events, bad = delta
    except (TypeError, ValueError):
        return rows
    if tag != "delta" or token != rows.token or not isinstance(seq, int) or seq < rows.seq:
        return rows
    try:
        rows.documents.update(_named(DocumentRow, docs))
        rows.events.update(_named(EventRow, events))
        for k in gone_docs:
            rows.documents.pop(k, None)
        for k in gone_events:
            rows.events.pop(k, None)
    except (TypeError, IndexError, KeyError):
        return None  # half applied: read everything
    rows.seq, rows.source_keys, rows.entity_keys, rows.bad_events = seq, source_keys, entity_keys, list(bad)
    return rows


# --- the stories derived ------------------------------------------------------------------------------

def previous_stories(out: Output):
    """What the live site's build saved of its stories (stories.read_saved), or None."""
    from .stories import read_saved

    value = read(out, STORIES_STATE)
    return None if value is None else read_saved(value)


def save_stories(out: Output, value: tuple | None, kept: bool = False) -> None:
    """Save this build's stories (Index.stories_to_save); kept: nothing was read, the live
    file is still right; None: no story in use, no file."""
    if kept:
        keep(out, STORIES_STATE)
    elif value is None:
        for folder in (out.target, out.mirror):
            if folder is not None:
                (folder / STORIES_STATE).unlink(missing_ok=True)
    else:
        write(out, STORIES_STATE, value)


def _plain(rows) -> list[tuple]:
    """Rows as plain tuples, which marshal takes (it refuses a NamedTuple)."""
    return [tuple(r) for r in rows]


def _named(kind, rows) -> dict:
    """id -> row of this kind, from a cache's plain tuples (of its fields: else TypeError)."""
    make, width = kind._make, len(kind._fields)
    out = {}
    for r in rows:
        if len(r) != width:
            raise TypeError("another row layout")
        out[r[0]] = make(r)
    return out


# --- where each entry's line is in the downloads ----------------------------------------------------

def download_lines(out: Output, cache_name: str, rels) -> tuple[dict, list[bytes]]:
    """(entry key -> its line's byte ranges, the live files' bytes) from the index the live
    build saved, when it still describes the live files; else ({}, empty files)."""
    cache = read(out, cache_name)
    if isinstance(cache, tuple) and len(cache) == 3 and isinstance(cache[2], dict):
        shas = [(out.live.get(rel) or [None])[0] for rel in rels]
        if list(cache[:2]) == shas:
            try:
                return cache[2], [out.read_live(rel) for rel in rels]
            except OSError:
                pass
    return {}, [b"", b""]


def save_download_lines(out: Output, cache_name: str, shas, lines: dict) -> None:
    write(out, cache_name, tuple(shas) + (lines,))
