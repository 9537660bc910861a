"""The `rivalry` command: composes the stages (crawler, nlp, sitegen) around the store.

This is the only module that knows about all stages; none of them imports it. Heavy stages
(Scrapy, spaCy) are imported inside the commands that use them so `rivalry query` starts fast.
Every failure ends with a one-line reason and a non-zero exit code.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import sys
from pathlib import Path

import click

from rivalry import limits, store

DEFAULT_OUT = Path("public")


DB_HELP = "SQLite file [default: $RIVALRY_DB or data/rivalry.db]."


def _db_from_group(ctx, param, value):
    """A command's --db, else the one given before the command (`rivalry --db X status`)."""
    return value if value is not None else ctx.find_root().params.get("db")


def db_option(func):
    return click.option("--db", "db", type=click.Path(dir_okay=False), default=None,
                        callback=_db_from_group, help=DB_HELP)(func)


def sources_option(func):
    return click.option("--sources", "sources_file", type=click.Path(dir_okay=False),
                        default=lambda: os.environ.get("RIVALRY_SOURCES"),
                        help="Sources file [default: $RIVALRY_SOURCES or the bundled crawler/sources.toml].")(func)


def one_line_errors(func):
    """Turn the errors a user can cause (bad file, bad config, bad SQL, damaged or read-only
    storage) into one clear line."""
    from crawler.sources import SourcesError
    from rivalry.installed import NotInstalled
    from rivalry.store.lock import LockError

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (store.StoreError, SourcesError, LockError, NotInstalled, FileNotFoundError) as exc:
            raise click.ClickException(str(exc)) from None
        except sqlite3.DatabaseError as exc:
            if "malformed" in str(exc):  # a reader met a damaged page part way through
                raise click.ClickException(store.damaged_message(store.db_path(kwargs.get("db")), str(exc))
                                           + "; any rows printed above are incomplete") from None
            raise click.ClickException(f"SQLite: {exc}") from None
        except sqlite3.Error as exc:
            raise click.ClickException(f"SQLite: {exc}") from None
        except OSError as exc:  # e.g. an output folder on read-only storage
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}") from None
    return wrapper


class BusyError(click.ClickException):
    exit_code = 75  # rivalry.store.lock.EXIT_BUSY: cron and scripts can tell "busy" from "failed"


def writes_database(func=None, *, create: bool = True):
    """Hold the database's writer lock for the whole command; a second writer exits at once.
    ``create=False``: the command never creates the database (a missing one stays missing)."""
    from rivalry.store.lock import Busy, exclusive

    if func is None:
        return functools.partial(writes_database, create=create)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            with exclusive(store.db_path(kwargs.get("db")), func.__name__, create=create):
                return func(*args, **kwargs)
        except Busy as exc:
            raise BusyError(str(exc)) from None
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ai-rivalry-tracker")
@click.option("--db", "db", type=click.Path(dir_okay=False), default=None,
              help=DB_HELP + " Before the command, or after it (there it wins).")
def cli(db):
    """AI Rivalry Tracker: collect, tag and publish US-China AI policy actions."""


# --- the three stages -------------------------------------------------------------------------

def _select_sources(sources_file, only):
    from crawler.sources import SourcesError, load_sources

    config = load_sources(sources_file)
    sources = [s for s in config["sources"] if s["enabled"] or only]
    if only:
        unknown = set(only) - {s["id"] for s in sources}
        if unknown:
            raise SourcesError(f"{config['path']}: no source with id {', '.join(sorted(unknown))}")
        sources = [s for s in sources if s["id"] in only]
    return config, sources


def _crawl(db_path, sources_file, only, refresh, archive, replay, verbose, since=None):
    """Run the crawler; returns its per-source report (with 'error' and 'canary' per source)."""
    from crawler.extract import to_utc_iso
    from crawler.run import run_crawl_isolated as run_crawl

    if replay and not Path(replay).exists():
        raise FileNotFoundError(f"{replay}: replay archive not found")
    if since and not to_utc_iso(since):
        raise click.ClickException(f"--since {since!r} is not a date (YYYY-MM-DD)")
    config, sources = _select_sources(sources_file, only)
    # The caller has already opened (created and upgraded) the store; the crawl child writes to it.
    # A live line per source on stderr every few seconds, on a terminal only: under cron any
    # output is mailed, and a healthy night must stay quiet. $RIVALRY_PROGRESS_INTERVAL forces it.
    interval = os.environ.get("RIVALRY_PROGRESS_INTERVAL") or ("5" if sys.stderr.isatty() else "0")
    progress = 0 if verbose else float(interval)
    return run_crawl(db_path, sources, defaults=config["defaults"], replay=replay, archive_dir=archive,
                     refresh=refresh, since=since, log_level="INFO" if verbose else None,
                     progress=progress)


def _crawl_problems(report: dict) -> tuple[dict, dict]:
    """(failed sources -> reason, flagged sources -> canary) from a crawl report."""
    errors = {sid: r["error"] for sid, r in report.items() if r.get("error")}
    canaries = {sid: r["canary"] for sid, r in report.items() if r.get("canary")}
    return errors, canaries


def _print_crawl_report(report: dict) -> None:
    click.echo(f"{'source':<20} {'requests':>8} {'seen':>5} {'new':>5} {'changed':>7} {'known':>5} "
               f"{'off-topic':>9} {'no date':>7}  problem")
    for source_id, r in sorted(report.items()):
        known = r["skipped_known"] + r["unchanged"]
        problem = r["error"] or (f"CANARY: {r['canary']}" if r.get("canary") else None)
        if not problem and r.get("skipped"):
            problem = f"skipped: {r['skipped']}"
        if not problem and r.get("not_modified"):
            problem = "not modified (304)"
        if not problem and r.get("notes"):
            problem = "note: " + "; ".join(r["notes"])
        click.echo(f"{source_id:<20} {r['requests']:>8} {r.get('entries', 0):>5} {r['new']:>5} "
                   f"{r['changed']:>7} {known:>5} {r.get('irrelevant', 0):>9} {r['no_date']:>7}  "
                   f"{problem or '-'}")
    from crawler.run import REPLAY_SKIPPED

    skipped = sorted(sid for sid, r in report.items() if r.get("skipped") == REPLAY_SKIPPED)
    if skipped:
        click.echo(f"{len(skipped)} of {len(report)} sources skipped: the replay archive holds no "
                   f"page of theirs (the bundled sample covers {len(report) - len(skipped)}); "
                   f"a crawl without --replay fetches them from the web")


def crawl_options(func):
    for option in reversed([
        click.option("--source", "only", multiple=True, metavar="ID", help="Crawl only this source (repeatable)."),
        click.option("--since", metavar="DATE", help="Only items published on or after DATE (YYYY-MM-DD)."),
        click.option("--refresh", is_flag=True, help="Fetch articles again even if stored (no conditional GET)."),
        click.option("--archive", type=click.Path(file_okay=False), help="Write every response to a WARC file in DIR."),
        click.option("--replay", type=click.Path(),
                     help="Replay responses from a WARC file (or a folder of them); no network."),
        click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log."),
    ]):
        func = option(func)
    return func


@cli.command()
@db_option
@sources_option
@crawl_options
@one_line_errors
@writes_database
def crawl(db, sources_file, only, since, refresh, archive, replay, verbose):
    """Collect new documents from the configured sources."""
    database = store.open_db(db)
    with store.recorded_run(database, "crawl") as run_id:
        report = _crawl(store.db_path(db), sources_file, only, refresh, archive, replay, verbose, since)
    errors, canaries = _crawl_problems(report)
    flagged = {**{sid: f"canary: {c}" for sid, c in canaries.items()}, **errors}
    store.finish_run(database, run_id, "failed" if errors else "flagged" if canaries else "ok",
                     {"crawl": report}, flagged)
    _print_crawl_report(report)
    if flagged:
        raise click.ClickException(f"{len(errors)} source(s) failed, {len(canaries)} flagged: "
                                   f"{', '.join(sorted(flagged))}")


def _tag(database, retag, workers=1):
    from nlp.tagger import tag_documents

    return tag_documents(database, retag=retag, workers=workers)


@cli.command()
@db_option
@click.option("--retag", is_flag=True, help="Tag every document again, not only new or outdated ones.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Tagging processes (one per core is a good choice).")
@one_line_errors
@writes_database
def tag(db, retag, workers):
    """Tag entities and events in documents not yet tagged by this pipeline version."""
    database = store.open_db(db)
    with store.recorded_run(database, "tag") as run_id:
        counts = _tag(database, retag, workers)
    store.finish_run(database, run_id, "ok", {"tag": counts})
    click.echo(" ".join(f"{k}={v}" for k, v in counts.items()))


def _build(database, out, finished_run=None):
    from sitegen.build import build_site

    if not os.environ.get("RIVALRY_SITE_URL"):
        # On stderr: cron mails it, every night, until the operator sets it.
        click.echo("warning: RIVALRY_SITE_URL is not set: the feeds' links are relative, which "
                   "many feed readers cannot follow; set it to the site's public address "
                   "(e.g. https://tracker.example.org/)", err=True)
    return build_site(database, Path(out), finished_run=finished_run)


@cli.command()
@db_option
@click.option("--out", type=click.Path(file_okay=False), default=str(DEFAULT_OUT), show_default=True,
              help="Folder for the generated site.")
@one_line_errors
@writes_database(create=False)
def build(db, out):
    """Generate the static site from the database."""
    database = store.open_db(db, create=False)
    with store.recorded_run(database, "build") as run_id:
        counts = _build(database, out)
    store.finish_run(database, run_id, "ok", {"build": counts})
    click.echo(f"site written to {out}: " + " ".join(f"{k}={v}" for k, v in counts.items()))


@cli.command()
@db_option
@sources_option
@crawl_options
@click.option("--out", type=click.Path(file_okay=False), default=str(DEFAULT_OUT), show_default=True)
@one_line_errors
@writes_database
def nightly(db, sources_file, only, since, refresh, archive, replay, verbose, out):
    """Crawl, tag and build in order, recorded as one run. Exits non-zero if a source failed
    or was flagged by the canary (it suddenly yields nothing, or pages without date or text)."""
    database = store.open_db(db)
    counts, errors, canaries = {}, {}, {}
    with store.recorded_run(database, "nightly", counts, errors) as run_id:
        counts["crawl"] = _crawl(store.db_path(db), sources_file, only, refresh, archive, replay,
                                 verbose, since)
        crawl_errors, canaries = _crawl_problems(counts["crawl"])
        errors.update(crawl_errors)
        errors.update({sid: f"canary: {c}" for sid, c in canaries.items() if sid not in errors})
        counts["tag"] = _tag(database, False)
        failed = set(errors) - set(canaries)
        status = "failed" if failed else "flagged" if errors else "ok"
        # What the published copies (the site's download, Datasette's snapshot) say of this run:
        # finished, with this outcome, as it is once they are published.
        outcome = {"id": run_id, "status": status, "counts": counts, "errors": errors}
        counts["build"] = _build(database, out, outcome)
        # The publication copy for Datasette and downloads, swapped in atomically.
        from rivalry.store import snapshot as take_snapshot

        counts["snapshot"] = str(take_snapshot(store.db_path(db), default_snapshot_path(db), outcome))
    store.finish_run(database, run_id, status, counts, errors)
    _print_crawl_report(counts["crawl"])
    click.echo("tag:   " + " ".join(f"{k}={v}" for k, v in counts["tag"].items()))
    click.echo("build: " + " ".join(f"{k}={v}" for k, v in counts["build"].items()))
    click.echo(f"database: {store.db_path(db)}  (snapshot: {counts['snapshot']})\n"
               f"site:     {out}/index.html  (browse: rivalry serve --dir {out})")
    if errors:
        raise click.ClickException(f"{len(failed)} source(s) failed, {len(canaries)} flagged by the canary: "
                                   f"{', '.join(sorted(errors))}")


# --- an analyst's own material ------------------------------------------------------------------

@cli.command()
@db_option
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--date", "date", help="Publication date for files that carry none (YYYY-MM-DD).")
@one_line_errors
@writes_database
def ingest(db, paths, date):
    """Add local HTML or text files (optionally gzipped), or folders of them (read at any
    depth), as documents of the 'manual' source. A saved page's <link rel="canonical"> is its
    key: the same article crawled from its source stays one document. Files larger than a page
    the crawler accepts (20 MB), or not text, are refused, and then none is stored."""
    from crawler.extract import to_utc_iso
    from rivalry.local_files import files_in, read_local_file

    known_date = to_utc_iso(date) if date else None
    if date and not known_date:
        raise click.ClickException(f"--date {date!r} is not a date")
    found, others = files_in(paths)
    if not found:
        raise click.ClickException(f"no HTML or text file in {', '.join(map(str, paths))}")
    files = [read_local_file(path.resolve()) for path in found]  # all refusals come first
    database = store.open_db(db)
    outcomes = {}
    with store.recorded_run(database, "ingest") as run_id:
        with database.conn:
            store.upsert_source(database, {"id": "manual", "name": "Added by hand", "kind": "manual"})
        for path, local in zip(found, files):
            outcomes[str(path)] = _ingest_file(database, local, known_date)
            click.echo(f"{outcomes[str(path)]:<9} {path}")
    if others:
        click.echo(f"{others} other file(s) in the folders left alone (not HTML or text)")
    store.finish_run(database, run_id, "ok", {"ingest": outcomes})


def _ingest_file(database, local, known_date: str | None) -> str:
    """Store one local file as a document of the 'manual' source; returns the upsert outcome,
    or 'known' when its canonical URL is a document another source stored (left as it is)."""
    import json

    from crawler.extract import extract_article
    from rivalry.local_files import canonical_link

    path, content = local.path, local.content
    uri = path.as_uri()
    canonical = None
    if local.is_html:
        canonical = canonical_link(content)
        found = extract_article(content, canonical or uri, known_date=known_date,
                                known_date_source="manual")
        title, text, published, date_source = found.title, found.text, found.published_at, found.date_source
    else:
        lines = content.strip().splitlines()
        title = lines[0].strip() if lines else path.name
        text, published, date_source = content.strip(), known_date, "manual" if known_date else None
    if canonical:
        stored = database.execute("SELECT source_id FROM documents WHERE id = ?",
                                  [store.document_id(canonical)]).fetchone()
        if stored and stored[0] != "manual":
            return "known"  # crawled already: the source's own copy is the document
    doc = {"source_id": "manual", "url": canonical or uri, "canonical_url": canonical or uri,
           "title": title or path.name, "text": text, "published_at": published,
           "date_source": date_source, "language": None, "status": "ok" if text else "no_text",
           "extra": json.dumps({"file": str(path)}) if canonical else None}
    with database.atomic():  # the new version, the document and its dropped tags together
        return store.upsert_document(database, doc)


# --- reading ------------------------------------------------------------------------------------

def _print_rows(columns, rows, fmt):
    if fmt in ("csv", "json", "jsonl"):
        from rivalry.reading import write_rows

        write_rows(columns, rows, fmt, sys.stdout)
    else:
        from tabulate import tabulate

        click.echo(tabulate(list(rows), headers=columns))


def format_options(func):
    for option in reversed([
        click.option("--csv", "fmt", flag_value="csv", help="Print CSV."),
        click.option("--json", "fmt", flag_value="json", help="Print a JSON array."),
        click.option("--jsonl", "fmt", flag_value="jsonl", help="Print one JSON object per line."),
    ]):
        func = option(func)
    return func


@cli.command()
@db_option
@click.argument("sql")
@format_options
@click.option("--timeout", type=click.FloatRange(0, min_open=True), default=limits.QUERY_TIMEOUT_SECONDS,
              show_default=True, help="Stop the query after this many seconds.")
@click.option("--max-memory", type=click.IntRange(1), default=limits.QUERY_MAX_MEMORY_MB, show_default=True,
              metavar="MB", help="Stop the query when SQLite needs more memory than this.")
@click.option("--no-limits", is_flag=True, help="Lift --timeout and --max-memory (a query may then run "
              "for ever or take all memory).")
@one_line_errors
def query(db, sql, fmt, timeout, max_memory, no_limits):
    """Run read-only SQL against the database (writes, ATTACH and setting PRAGMAs are refused).
    A query is stopped after --timeout seconds or past --max-memory; --no-limits lifts both."""
    from rivalry.reading import QueryLimits, run_query

    bounds = None if no_limits else QueryLimits(seconds=timeout, memory_mb=max_memory)
    columns, rows = run_query(store.open_readonly(db), sql, limits=bounds)
    _print_rows(columns, rows, fmt)


def _page_key(value: str) -> tuple[str | None, str]:
    date, sep, event_id = value.rpartition("/")
    if not sep or not event_id:
        raise click.BadParameter("give the key printed after the previous page: DATE/EVENT_ID")
    return date or None, event_id


@cli.command()
@db_option
@click.argument("entity")
@click.option("--since", help="Only events on or after this date (YYYY-MM-DD).")
@click.option("--until", help="Only events before this date (YYYY-MM-DD).")
@click.option("--after", "after", metavar="DATE/EVENT_ID", help="The page after this key (printed after "
              "each full page).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@format_options
@one_line_errors
def timeline(db, entity, since, until, after, limit, fmt):
    """One page of the events touching ENTITY (an entity id), newest first: the
    timeline_by_entity view read by key, so a page costs the same at any depth and size. The
    key of the next page goes to stderr."""
    from rivalry.reading import entity_timeline_page

    columns, rows = entity_timeline_page(store.open_readonly(db), entity, since=since, until=until,
                                         after=_page_key(after) if after else None, limit=limit)
    if not columns:
        click.echo(f"no events of {entity!r}", err=True)
        return
    _print_rows(columns, rows, fmt)
    if len(rows) == limit:
        last = rows[-1]
        key = f"{last[columns.index('date')] or ''}/{last[columns.index('event_id')]}"
        click.echo(f"next page: --after {key}", err=True)


class DashTextCommand(click.Command):
    """A command whose TEXT argument may start with a dash: Click reads `-export` as options
    (-e -x ...), so the error says how to pass such a text."""

    def parse_args(self, ctx, args):
        given = list(args)  # the parser consumes the list
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            word = next((a for a in given if a.startswith(exc.option_name)), exc.option_name)
            raise click.UsageError(
                f"no such option: {exc.option_name} (in {word!r}); to search for text starting with a "
                f"dash, end the options with -- and quote it for FTS5: rivalry {ctx.info_name} -- "
                f"'\"{word}\"'", ctx) from None


@cli.command(cls=DashTextCommand)
@db_option
@click.argument("text")
@click.option("--action", help="Only documents with an event of this action type (e.g. entity_listing).")
@click.option("--entity", help="Only documents mentioning this entity id (e.g. nvidia).")
@click.option("--country", help="Only documents from or about this country code (e.g. CN).")
@click.option("--since", help="Only documents published on or after this date (YYYY-MM-DD).")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@format_options
@one_line_errors
def search(db, text, action, entity, country, since, limit, fmt):
    """Full-text search over titles (weighted) and text: "exact phrase", prefix*, AND/OR/NOT.
    Past 10,000 matches (after the filters) the 10,000 stored last are ranked: narrow a common
    word to reach older documents. Text starting with a dash goes after -- and in quotes:
    rivalry search -- '"-export"'."""
    from rivalry.reading import search_documents

    hits = search_documents(store.open_readonly(db), text, action=action, entity=entity,
                            country=country, since=since, limit=limit)
    if fmt:
        columns = ["id", "published_at", "title", "url", "source_id", "snippet"]
        _print_rows(columns, ([h[c] for c in columns] for h in hits), fmt)
        return
    for hit in hits:
        click.echo(f"{(hit['published_at'] or 'undated')[:10]}  {hit['title']}\n"
                   f"            {hit['snippet']}\n            {hit['url']}")
    click.echo(f"{len(hits)} result(s)")


@cli.command()
@db_option
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "jsonl"]), default="csv", show_default=True)
@click.option("--table", help="Export this table.")
@click.option("--view", help="Export this view [default: timeline].")
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file (atomically) instead of stdout.")
@click.option("--raw", is_flag=True, help="CSV: keep cells starting with = + - @ as they are "
              "(by default they get a leading ' so spreadsheets do not run them as formulas).")
@one_line_errors
def export(db, fmt, table, view, out, raw):
    """Export a table or view as CSV, JSON or JSON Lines."""
    from rivalry.reading import export_relation, write_rows
    from rivalry.store import write_file_atomically

    if table and view:
        raise click.ClickException("give --table or --view, not both")
    conn = store.open_readonly(db)
    columns, rows = export_relation(conn, table or view or "timeline", "table" if table else "view")
    if out:
        written = []
        write_file_atomically(Path(out), lambda fh: written.append(write_rows(columns, rows, fmt, fh, raw=raw)))
        click.echo(f"{written[0]} row(s) written to {out}", err=True)
    else:
        write_rows(columns, rows, fmt, sys.stdout, raw=raw)


@cli.command()
@db_option
@click.option("--since", metavar="RUN|DATE", help="From this run (its id, see `rivalry status`) or "
              "day (YYYY-MM-DD) on [default: the start of the last finished nightly].")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "html"]), default="text",
              show_default=True)
@one_line_errors
def digest(db, since, fmt):
    """What is new or changed since the last nightly, grouped by action: stories first seen
    (new) and stories that gained a report or whose documents changed (changed). For cron to
    mail after the nightly; links go to the site when RIVALRY_SITE_URL is set."""
    from rivalry.digest import items_since, render, window_start

    conn = store.open_readonly(db)
    start, label = window_start(conn, since)
    click.echo(render(items_since(conn, start), label, fmt, os.environ.get("RIVALRY_SITE_URL")),
               nl=False)


def default_snapshot_path(db) -> Path:
    # Named rivalry.db so Datasette calls the database "rivalry", as its metadata expects.
    return store.db_path(db).parent / "snapshot" / "rivalry.db"


@cli.command()
@db_option
@click.option("--out", type=click.Path(dir_okay=False),
              help="Snapshot file [default: snapshot/rivalry.db beside the database].")
@one_line_errors
def snapshot(db, out):
    """Write a consistent copy of the database for publishing, replaced atomically."""
    from rivalry.store import snapshot as take_snapshot

    store.open_readonly(db).close()  # a clear error for a missing or foreign file
    target = take_snapshot(store.db_path(db), Path(out) if out else default_snapshot_path(db))
    click.echo(f"snapshot written to {target}")


@cli.command()
@db_option
@sources_option
@one_line_errors
def sources(db, sources_file):
    """List configured sources with their kind, last success, items and last error."""
    from crawler.sources import load_sources

    config = load_sources(sources_file)
    path = store.db_path(db)
    conn = store.open_readonly(path) if path.exists() else None
    health, docs = {}, {}
    if conn is not None:
        docs = dict(conn.execute("SELECT source_id, count(*) FROM documents GROUP BY source_id"))
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'source_health'").fetchone():
            health = {row[0]: row[1:] for row in conn.execute(
                "SELECT source_id, last_success, last_items, last_error_at, last_error, canary "
                "FROM source_health")}
    rows = []
    for s in config["sources"]:
        ok, items, error_at, error, flag = health.get(s["id"], (None, None, None, None, None))
        last_error = f"{error_at[:16]} {error}" if error else "-"
        rows.append((s["id"], s["kind"] + (f"/{s['spider']}" if s.get("spider") else ""),
                     docs.get(s["id"], 0), (ok or "never")[:16], "-" if items is None else items,
                     last_error, f"CANARY: {flag}" if flag else "-"))
    _print_rows(["source", "kind", "documents", "last success", "last items", "last error", "health"],
                rows, None)


@cli.command()
@db_option
@one_line_errors
def status(db):
    """Counts per table, the latest runs, and sources the canary flags."""
    conn = store.open_readonly(db)
    tables = ["sources", "documents", "entities", "mentions", "events", "runs"]
    counts = [(t, conn.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0]) for t in tables]
    _print_rows(["table", "rows"], counts, None)
    click.echo()
    runs = conn.execute("SELECT id, command, started, finished, status, errors FROM runs "
                        "ORDER BY id DESC LIMIT 10").fetchall()
    _print_rows(["run", "command", "started", "finished", "status", "errors"], runs, None)
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'source_health'").fetchone():
        flagged = conn.execute("SELECT source_id, last_run, canary FROM source_health "
                               "WHERE canary IS NOT NULL ORDER BY source_id").fetchall()
        click.echo()
        if flagged:
            click.echo(f"FLAGGED SOURCES ({len(flagged)}): the canary says these look broken")
            _print_rows(["source", "last crawl", "canary"], flagged, None)
        else:
            click.echo("sources: none flagged by the canary")


@cli.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False, exists=True), default=str(DEFAULT_OUT),
              show_default=True, help="Folder to serve.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@db_option
def serve(directory, port, db):
    """Serve the generated site on http://127.0.0.1:PORT/ (local use only)."""
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from rivalry import shutdown

    handler = partial(SimpleHTTPRequestHandler, directory=directory)
    with ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        click.echo(f"serving {directory} on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)")
        try:
            server.serve_forever()
        except (KeyboardInterrupt, shutdown.Interrupted):  # Ctrl-C is how it stops
            pass


@cli.command()
@db_option
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535))
@click.option("--refresh", is_flag=True, help="Take a new snapshot first (else only when none exists).")
@one_line_errors
def datasette(db, port, refresh):
    """Explore the publication snapshot with Datasette on http://127.0.0.1:PORT/ (read-only)."""
    from importlib.resources import files

    from rivalry.store import snapshot as take_snapshot

    from rivalry.installed import require

    require("datasette", "Datasette", "datasette>=0.65")
    target = default_snapshot_path(db)
    if refresh or not target.exists():
        store.open_readonly(db).close()
        take_snapshot(store.db_path(db), target)
    metadata = files("rivalry") / "datasette" / "metadata.json"
    # Immutable: Datasette never writes and may cache counts; restart it after a new snapshot.
    args = [sys.executable, "-m", "datasette", "serve", "--immutable", str(target),
            "--metadata", str(metadata), "--host", "127.0.0.1", "--port", str(port)]
    click.echo(f"Datasette on http://127.0.0.1:{port}/ over {target}", err=True)
    sys.stdout.flush()
    os.execv(sys.executable, args)


@cli.command("eval")
@db_option
@click.option("--split", type=click.Choice(["test", "dev"]), default="test", show_default=True,
              help="Gold split to score (tune on dev, report test).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False),
              help="Also write the figures as JSON to this file.")
@one_line_errors
def eval_command(db, split, json_path):
    """Score the tagger: timeline entries on real documents first (precision, recall, actor,
    target, date, entries per out-of-scope document, story duplicates), then on the documents
    written for the project, then the one-sentence gold (per-action P/R/F1, linking, stories).
    The figures are recorded in the database (the site's methodology page shows the test
    split's); scoring reads only the gold, in scratch stores."""
    from nlp import eval_documents
    from nlp.evaluate import evaluate, figures, format_report, write_json
    from nlp.pipeline import load_nlp
    from rivalry.store.lock import Busy, exclusive

    nlp = load_nlp()
    real = eval_documents.evaluate_documents(split, nlp=nlp)
    click.echo(eval_documents.format_report(real) + "\n")
    # the last annotation round's documents alone: unseen when the shipped tagger was chosen
    fresh = eval_documents.evaluate_documents(split, nlp=nlp,
                                              only_round=eval_documents.FRESH_ROUND)
    click.echo(eval_documents.format_report(fresh) + "\n")
    written = eval_documents.evaluate_documents(split, nlp=nlp, written_for_project=True)
    click.echo(eval_documents.format_report(written) + "\n")
    result = evaluate(split, nlp=nlp)
    click.echo(format_report(result))
    try:  # the writer lock only while recording: scoring takes minutes and writes nothing here
        with exclusive(store.db_path(db), "eval"):
            store.record_evaluation(store.open_db(db), figures(result, real, written, fresh), store.MEASURED)
    except Busy as exc:
        raise BusyError(str(exc)) from None
    click.echo(f"recorded in {store.db_path(db)}", err=True)
    if json_path:
        write_json(result, json_path, documents=real, written=written, fresh=fresh)
        click.echo(f"wrote {json_path}", err=True)


@cli.command("train")
@one_line_errors
def train_command():
    """Train the entry classifier on the real gold's train split (dev picks its threshold;
    test is never read) and write nlp/data/model/entries/. Seeded: same data, same model."""
    from nlp.train import train

    train(log=lambda line: click.echo(line))


def main():
    from rivalry import shutdown

    shutdown.install()
    try:
        cli(prog_name="rivalry")
    except shutdown.Interrupted as exc:
        shutdown.stop_children()
        run = getattr(exc, "run_id", None)
        recorded = f"; run {run} recorded as interrupted" if run else ""
        click.echo(f"Error: {exc}: stopped cleanly{recorded}", err=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
