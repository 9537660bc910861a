"""What a crawl did per source, why a source failed, and the canary: a source that suddenly
yields nothing, or whose pages suddenly extract no date or no text, is flagged so the nightly
run exits non-zero (a layout change must never fail silently)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

from rivalry import store


def summarise(stats: dict) -> dict:
    """The per-source figures the run record, the summary table and `rivalry sources` show."""
    def prefixed(prefix):
        return {k[len(prefix):]: v for k, v in stats.items() if k.startswith(prefix)}

    return {
        "requests": stats.get("downloader/request_count", 0),
        "responses": stats.get("downloader/response_count", 0),
        "items": stats.get("item_scraped_count", 0),
        "entries": stats.get("rivalry/entries", 0),
        "new": stats.get("rivalry/new", 0),
        "changed": stats.get("rivalry/changed", 0),
        "unchanged": stats.get("rivalry/unchanged", 0),
        "irrelevant": stats.get("rivalry/irrelevant", 0),
        "skipped_known": stats.get("rivalry/skipped_known", 0),
        "not_modified": stats.get("rivalry/not_modified", 0),
        "no_date": stats.get("rivalry/no_date", 0),
        "no_text": stats.get("rivalry/no_text", 0),
        "pdfs": stats.get("rivalry/pdfs", 0),
        "article_errors": stats.get("rivalry/article_errors", 0),
        "http_errors": sum(v for k, v in stats.items()
                           if k.startswith("downloader/response_status_count/") and k[-3] in "45"),
        "failures": {reason: {"count": n, "url": stats.get(f"rivalry/fail_url/{reason}")}
                     for reason, n in prefixed("rivalry/fail/").items()},
        "notes": sorted(prefixed("rivalry/note/")),
        "note_counts": prefixed("rivalry/note/"),  # e.g. feed entries skipped for want of a link
        "selectors": sorted(prefixed("rivalry/selector/")),  # configured selectors that matched nothing
    }


def problem(summary: dict, stats: dict) -> str | None:
    """One line saying why a source failed, or None when it worked."""
    reasons = [f"{reason} ({info['url']})" if info["url"] else reason
               for reason, info in sorted(summary["failures"].items())]
    reasons += [f"spider error {key.split('/', 1)[1]}" for key in stats
                if key.startswith("spider_exceptions/") and key != "spider_exceptions/count"]
    if reasons:
        return "; ".join(reasons)
    if summary["article_errors"] and not summary["items"] and not summary["skipped_known"]:
        return "every article page failed: " + ", ".join(n for n in summary["notes"] if n.startswith("article"))
    if summary["responses"] == 0:
        return "no response"
    return None


def history(db_path, source_ids) -> dict:
    """Before a crawl: per source, (most items ever seen in one crawl, documents with a date,
    documents with text). The canary compares tonight with this."""
    out = {sid: (0, 0, 0, True) for sid in source_ids}
    try:
        conn = store.connect(db_path, mode="mode=ro")
        best = dict(conn.execute("SELECT source_id, best_entries FROM source_health"))
        complete = dict(conn.execute("SELECT source_id, complete FROM source_health"))
        docs = {row[0]: row[1:] for row in conn.execute(
            "SELECT source_id, count(published_at), count(text) FROM documents GROUP BY source_id")}
        conn.close()
    except sqlite3.Error:
        return out
    for sid in source_ids:
        out[sid] = (best.get(sid) or 0, *docs.get(sid, (0, 0)), bool(complete.get(sid, 1)))
    return out


def mark_started(db_path, source_ids) -> None:
    """Each source's crawl is incomplete until it finishes without failure (see record)."""
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    conn = store.connect(db_path)
    try:
        with conn:
            conn.executemany(
                """INSERT INTO source_health (source_id, last_run, last_started, complete) VALUES (?, ?, ?, 0)
                   ON CONFLICT(source_id) DO UPDATE SET last_started = excluded.last_started, complete = 0""",
                [(sid, now, now) for sid in source_ids])
    finally:
        conn.close()


def canary(summary: dict, best_entries: int, had_dates: int, had_texts: int) -> str | None:
    """Why this source looks broken although nothing failed, or None. A configured selector
    that matched nothing is named: it flags the source even on its first crawl."""
    if summary["error"] or summary["not_modified"]:
        return None  # a failure is loud already; a 304 means nothing changed
    found = _canary(summary, best_entries, had_dates, had_texts)
    selectors = "; ".join(summary.get("selectors") or ())
    if found:
        finding, guess = found
        return f"{finding}: {selectors or guess}"
    return selectors or None


def _canary(summary: dict, best_entries: int, had_dates: int, had_texts: int) -> tuple[str, str] | None:
    """(what looks wrong, the likely cause) or None."""
    if summary["entries"] == 0 and best_entries > 0:
        return f"yields nothing (saw {best_entries} items in an earlier crawl)", "layout or API changed?"
    fetched = summary["new"] + summary["changed"] + summary["unchanged"]
    if fetched >= 2 and summary["no_date"] == fetched and had_dates:
        return f"no date on any of {fetched} pages (earlier pages had dates)", "date markup changed?"
    if fetched >= 2 and summary["no_text"] == fetched and had_texts:
        return f"no text on any of {fetched} pages (earlier pages had text)", "layout changed?"
    return None


def record(db_path, source_id: str, summary: dict, before: tuple) -> None:
    """Update source_health with this crawl's outcome; sets summary['canary']."""
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    conn = store.connect(db_path)
    try:
        summary["canary"] = canary(summary, *before[:3])
        failed = summary["error"]
        with conn:
            conn.execute(
                """INSERT INTO source_health (source_id, last_run, last_success, last_items, last_entries,
                       best_entries, last_error, last_error_at, canary)
                   VALUES (:id, :now, :ok, :items, :entries, :entries, :error, :error_at, :canary)
                   ON CONFLICT(source_id) DO UPDATE SET last_run = :now,
                       last_success = coalesce(:ok, last_success), last_items = :items,
                       last_entries = :entries, best_entries = max(coalesce(best_entries, 0), :entries),
                       last_error = coalesce(:error, last_error),
                       last_error_at = coalesce(:error_at, last_error_at), canary = :canary,
                       complete = :complete""",
                {"id": source_id, "now": now, "ok": None if failed else now,
                 "items": summary["new"] + summary["changed"], "entries": summary["entries"],
                 "error": failed, "error_at": now if failed else None, "canary": summary["canary"],
                 "complete": 0 if failed else 1})
    finally:
        conn.close()
