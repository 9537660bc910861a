"""`rivalry digest`: what is new or changed since the last nightly, grouped by action, as plain
text, Markdown or HTML, for cron to mail after the nightly.

An entry is a story (one real-world action, however many reports) or an event in no story, as on
the site's timelines. It is new when the project first saw it in the window and changed when it
gained a report or one of its documents changed (rivalry.store.entry_times, the rule the
site's feeds use for published and updated).
"""

from __future__ import annotations

import html
import re
import sqlite3
from dataclasses import dataclass

from rivalry.store import entry_times
from rivalry.store import StoreError

FORMATS = ("text", "markdown", "html")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class BadSince(StoreError):
    pass


@dataclass
class Item:
    status: str  # new | changed
    action: str
    headline: str
    date: str | None  # when it happened (YYYY-MM-DD), if known
    sources: int
    source_url: str | None  # the primary document
    page: str  # the site page, relative to the site root


def window_start(conn: sqlite3.Connection, since: str | None) -> tuple[str | None, str]:
    """(UTC ISO time the window starts at, or None for everything; how to say it)."""
    if since is None:
        row = conn.execute("SELECT id, started FROM runs WHERE command = 'nightly' AND finished "
                           "IS NOT NULL ORDER BY id DESC LIMIT 1").fetchone()
        return (row[1], f"the last nightly (run {row[0]}, {row[1][:16]} UTC)") if row else (
            None, "the beginning (no nightly has finished yet)")
    if since.isdigit():
        row = conn.execute("SELECT started FROM runs WHERE id = ?", [int(since)]).fetchone()
        if row is None:
            raise BadSince(f"--since {since}: no run with this id (rivalry status lists them)")
        return row[0], f"run {since} ({row[0][:16]} UTC)"
    if _DATE.match(since):
        return f"{since}T00:00:00+00:00", since
    raise BadSince(f"--since {since!r}: give a run id (rivalry status lists them) or a date (YYYY-MM-DD)")


def items_since(conn: sqlite3.Connection, start: str | None) -> list[Item]:
    """The entries first seen or changed at or after `start` (all when None), by action and
    newest event first."""
    from sitegen.data import action_label
    from sitegen.safe import http_url

    fresh = {entry: first >= start if start else True
             for entry, (first, changed) in entry_times(conn).items()
             if start is None or changed >= start}
    names = dict(conn.execute("SELECT id, name FROM entities"))

    def who(actor, target):
        return f"{names.get(actor) or 'someone'} → {names.get(target) or 'no named target'}"

    items = []
    story_ids = [e.split(":", 1)[1] for e in fresh if e.startswith("story:")]
    event_ids = [e.split(":", 1)[1] for e in fresh if e.startswith("event:")]
    for sid, action, actor, target, first_date, headline, title, n_docs, url in conn.execute(
            "SELECT s.id, s.action, s.actor_id, s.target_id, s.first_date, s.headline, s.title,"
            " s.document_count, d.url FROM stories s LEFT JOIN documents d"
            " ON d.id = s.primary_document_id WHERE s.id IN (SELECT value FROM json_each(?))",
            [_json(story_ids)]):
        items.append(Item("new" if fresh[f"story:{sid}"] else "changed", action_label(action),
                          headline or title or who(actor, target), first_date, n_docs or 1,
                          http_url(url), f"stories/{sid}.html"))
    for evid, action, actor, target, date, title, url in conn.execute(
            "SELECT e.id, e.action, e.actor_id, e.target_id, e.event_date, d.title, d.url"
            " FROM events e JOIN documents d ON d.id = e.document_id"
            " WHERE e.id IN (SELECT value FROM json_each(?))", [_json(event_ids)]):
        items.append(Item("new" if fresh[f"event:{evid}"] else "changed", action_label(action),
                          f"{who(actor, target)}" + (f" ({title})" if title else ""), date, 1,
                          http_url(url), f"events/{evid}.html"))
    items.sort(key=lambda i: (i.date or "", i.headline), reverse=True)
    items.sort(key=lambda i: i.action)
    return items


def _json(values) -> str:
    import json

    return json.dumps(values)


def render(items: list[Item], since_label: str, fmt: str, site_url: str | None = None) -> str:
    """The digest as text, Markdown or HTML. Crawled text is escaped for HTML and Markdown."""
    new = sum(i.status == "new" for i in items)
    summary = (f"{new} new and {len(items) - new} changed since {since_label}" if items
               else f"Nothing new or changed since {since_label}.")
    groups: dict[str, list[Item]] = {}
    for item in items:
        groups.setdefault(item.action, []).append(item)
    site = site_url.rstrip("/") + "/" if site_url else None
    out = []
    if fmt == "html":
        esc = html.escape
        out.append('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
                   "<title>AI Rivalry Tracker digest</title></head><body>\n"
                   f"<h1>AI Rivalry Tracker digest</h1>\n<p>{esc(summary)}</p>\n")
        for action, group in groups.items():
            out.append(f"<h2>{esc(action)} ({len(group)})</h2>\n<ul>\n")
            for i in group:
                title = (f'<a href="{esc(site + i.page)}">{esc(i.headline)}</a>' if site
                         else esc(i.headline))
                source = f' · <a href="{esc(i.source_url)}">source</a>' if i.source_url else ""
                out.append(f"<li><strong>{i.status}</strong> {esc(i.date or 'undated')}: {title}"
                           f" ({_sources(i.sources)}){source}</li>\n")
            out.append("</ul>\n")
        out.append("</body></html>\n")
    elif fmt == "markdown":
        out.append(f"# AI Rivalry Tracker digest\n\n{summary}\n")
        for action, group in groups.items():
            out.append(f"\n## {_md(action)} ({len(group)})\n\n")
            for i in group:
                title = f"[{_md(i.headline)}](<{site + i.page}>)" if site else _md(i.headline)
                source = f" · [source](<{i.source_url}>)" if i.source_url else ""
                out.append(f"- **{i.status}** {i.date or 'undated'}: {title} ({_sources(i.sources)}){source}\n")
    else:
        out.append(f"AI Rivalry Tracker digest: {summary}\n")
        for action, group in groups.items():
            out.append(f"\n{action} ({len(group)})\n")
            for i in group:
                out.append(f"  {i.status:<7} {i.date or 'undated':<10}  {i.headline} ({_sources(i.sources)})\n")
                link = site + i.page if site else i.source_url
                if link:
                    out.append(f"                     {link}\n")
    return "".join(out)


def _sources(n: int) -> str:
    return f"{n} source{'s' if n != 1 else ''}"


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|])")


def _md(text: str) -> str:
    """Crawled text as literal Markdown: its punctuation escaped, no line breaks."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))
