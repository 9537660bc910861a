#!/usr/bin/env python3
"""Run the reliability harnesses in full and write docs/reliability.md (issues 7 and 12).

    .venv/bin/python scripts/reliability_report.py            # 40 kills, 12 x 90 fault URLs
    .venv/bin/python scripts/reliability_report.py --kills 10 --fault-articles 30   # quicker

The same harnesses run in a short setting in `make test` (tests/test_reliability_crash.py,
tests/test_faults.py, tests/test_hostile.py, tests/test_reliability_concurrency.py,
tests/test_hardening.py).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reliability import crash, faults, hardening, hostile  # noqa: E402


def table(rows) -> str:
    out = ["| what | figure |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in rows]
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fault-sources", type=int, default=12)
    parser.add_argument("--fault-articles", type=int, default=90)
    parser.add_argument("--work", type=Path, default=ROOT / "test-output" / "reliability")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "reliability.md")
    parser.add_argument("--from-json", type=Path, help="write the page from a previous run's figures.json")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    if args.from_json:
        figures = json.loads(args.from_json.read_text())
        c, f, h, seconds = figures["crash"], figures["faults"], figures["hostile"], figures["seconds"]
        g = figures["hardening"]
        when = datetime.fromisoformat(figures["when"])
    else:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        started = time.monotonic()
        when = datetime.now(timezone.utc)
        print("== crash harness", flush=True)
        c = crash.run_harness(work / "crash", kills=args.kills, seed=args.seed)
        print("== fault harness", flush=True)
        f = faults.run_harness(work / "faults", sources=args.fault_sources, articles=args.fault_articles,
                               seed=args.seed, log=lambda *a: None)
        print("== hostile-input harness", flush=True)
        h = hostile.run_harness(work / "hostile", log=lambda *a: None)
        print("== hardening harness", flush=True)
        g = hardening.run_harness(work / "hardening", log=lambda line: print("  " + line, flush=True))
        seconds = time.monotonic() - started
        (work / "figures.json").write_text(json.dumps(
            {"crash": c, "faults": f, "hostile": h, "hardening": g, "seconds": seconds,
             "when": when.isoformat()}, indent=1, default=str))

    lost = c["rows_lost"] + f["missing"] + f["unaccounted"] + g["rows_lost"] + sum(
        1 for v in h["outcomes"].values() if v == "LOST")
    dups = c["duplicates"] + f["duplicates"] + h["duplicates"]
    summary = [
        ("kills survived / tried (SIGKILL)", f"{c['kills_survived']} / {c['kills_tried']}"),
        ("stops survived / tried (SIGTERM, SIGINT)", f"{g['stop_ok']} / {g['stop_tried']}"),
        ("faults survived / injected", f"{f['faults_survived']} / {f['faults_injected']} "
                                       f"(over {f['requests']} requests)"),
        ("storage faults survived / injected (damaged file, read-only storage)",
         f"{g['fault_ok']} / {g['fault_tried']}"),
        ("hostile inputs neutralised / tried", f"{h['hostile_neutralised']} / {h['hostile_tried']}"),
        ("hostile inputs neutralised / tried (other names, sizes, queries, files, arguments)",
         f"{g['hostile_ok']} / {g['hostile_tried']}"),
        ("rows lost", lost),
        ("duplicates", dups),
    ]
    per_stage = "\n".join(
        f"| {s} | {v['tried']} | {v['survived']} | "
        + ", ".join(f"{a}: {w[0]:.2f}–{w[1]:.2f} s" for a, w in c["windows"][s].items()) + " |"
        for s, v in c["per_stage"].items())
    landed = ", ".join(f"{k}: {v}" for k, v in c["landed"].items())
    fault_kinds = "\n".join(f"| {k} | {faults.KINDS.get(k, (0, 'fails (source)'))[1]} | {n} |"
                            for k, n in sorted(f["faults_by_kind"].items()))
    hostile_rows = "\n".join(f"| {k} | {v} |" for k, v in h["outcomes"].items())
    problems = c["failures"] and [f"{t['stage']}: {t['problems']}" for t in c["failures"]]
    problems = (problems or []) + f["problems"] + h["problems"] + g["problems"]
    hardening_rows = "\n".join(f"| {r['item']} | {name} | {r['outcome']} | {r['seconds']} s |"
                               for name, r in g["cases"].items())
    doc = f"""# Reliability figures

Written by `scripts/reliability_report.py` on {when:%Y-%m-%d %H:%M} UTC
({platform.machine()}, Python {platform.python_version()}, {seconds / 60:.1f} min). Regenerate with
`.venv/bin/python scripts/reliability_report.py`; the same harnesses (`reliability/`) run in a
shorter setting in `make test`.

{table(summary)}

{"**Problems:**" + chr(10) + chr(10).join("- " + p for p in problems) if problems else "No problem found in this run."}

## Crash safety (`reliability/crash.py`, seed {c['seed']})

Each trial copies a known state, starts one command, waits for the first change of its anchor
(documents written, taggings written, the site folders touched, or anything at all; nightly
rotates over its three phases), SIGKILLs its whole process group at a uniform moment between
then and the command's measured exit, then
checks: `PRAGMA integrity_check`; no duplicate documents (canonical URL), mentions, events,
stories or taggings; no `ok` document without text; no mentions or events of an untagged
document; no event in a missing story; the FTS index as long as the documents table; the site
folder exactly the old build or a complete new one (every file of its manifest present with
its hash, the manifest equal to the old or the reference new one); the snapshot the old file
or a complete copy of the store. Then it re-runs the command, which must exit 0 and leave the
store row for row equal to an uninterrupted run, and the new site or snapshot published.

| command killed | kills | survived | kill windows, measured (from the anchor's first change) |
|---|---|---|---|
{per_stage}

Where the kills landed (read from what the command had written; "finishing" is after its last
row or page, before it exited): {landed}.
Rows lost {c['rows_lost']}, extra rows {c['rows_extra']}, duplicates {c['duplicates']}.
Left behind by killed runs (disk, not damage): {", ".join(c["leftovers"]) or "nothing"}.

## Network faults (`reliability/faults.py`)

{f['sources']} feed sources of {f['articles']} articles each on a local fault server, plus one source
that is down all night; {f['requests']} requests in {f['seconds']} s (limit from the configured
timeouts, retries and Retry-After waits: {f['limit_seconds']} s). Every article has a fixed fate:
it recovers after its faults, or it never does.

| fault | fate | fault responses served |
|---|---|---|
{fault_kinds}

Articles that recover stored: {f['recovering_urls_stored']} (missing {f['missing']}); failures recorded
in the run record: {f['failures_recorded']} (unaccounted {f['unaccounted']}, wrongly stored
{f['wrongly_stored']}); the down source in `runs.errors`: "{f['down_source_error']}"; run status
`{f['run_status']}` (exit {f['exit_code']}).

## Hostile input (`reliability/hostile.py`)

Crawled from 127.0.0.1 through a real crawl (size limit {hostile.MAX_BYTES:,} bytes), or written
straight into the store, then tagged, built, snapshotted, searched and exported; the site is
scanned for event-handler attributes, `javascript:`/`data:` URLs, frames, foreign scripts,
bidi/zero-width controls and unsafe output paths, and the work folder for files written
anywhere else. Crawl {h['crawl_seconds']} s, peak memory of a child process {h['peak_child_rss_mb']} MB.

| input | outcome |
|---|---|
{hostile_rows}

Malformed configuration and bad database files are in `tests/test_hostile.py` (every command:
one `Error:` line naming the file, exit 1, the file unchanged byte for byte), with the sources
validator in `tests/test_sources_config.py` and the site's escaping in `tests/test_site*.py`.

## Hardening (`reliability/hardening.py`, issue 12)

Each case through the real command on a real SQLite file; "stop" cases send the signal to
the `rivalry nightly` process alone, as `kill` does, once its phase is under way (its first
document, tagging or site file), then check: exit 128 + the signal, one `Error:` line, the run
recorded `interrupted`, no process of its session left 0.2 s later, the writer lock free,
`PRAGMA integrity_check` and the invariants of the crash trials, and a re-run that exits 0.
Read-only storage is a read-only bind mount in a private mount namespace (`unshare -m`):
writes fail with EROFS, for root too. The damaged store has 20 of its document and
full-text leaf pages overwritten with random bytes. The relative-path lock case passed before
issue 12 too (the old lock file had the same name); it guards the lock on the file itself.

| item | case | outcome | time |
|---|---|---|---|
{hardening_rows}

Limits they rest on (`rivalry/limits.py`): a file given to `ingest` at most 20 MB (the
crawler's `DOWNLOAD_MAXSIZE`), a document's text at most 300,000 characters (the cut recorded
in `documents.extra`), `rivalry query` 60 s and 512 MB unless `--no-limits`.

## Readers alongside a writer

`tests/test_reliability_concurrency.py`: `rivalry query`, `search`, `status`, `export`,
`snapshot` and Datasette answer throughout a `rivalry nightly` (WAL), with document counts that
never go backwards; a second writer exits 75 at once and a killed writer's lock never blocks
the next run (`tests/test_lock.py`, and every crash trial's re-run above).

## Bugs these harnesses found (fixed)

| found by | bug | fix |
|---|---|---|
| crash | a killed run's record stayed `running` for ever | `store.start_run` marks leftover `running` rows `interrupted` (safe under the writer lock) |
| crash | every killed snapshot left its temporary copy (a store's size) behind | `reading.snapshot` locks the target folder and removes a killed snapshot's temporaries |
| faults | redirect loops lost without a trace: a cycle (A → B → A) dropped by Scrapy's duplicate filter, an endless chain ended in an ignored `IgnoreRequest` | `RedirectLoopMiddleware`; `on_error` records redirect loops |
| hostile | a body that decompresses past `DOWNLOAD_MAXSIZE` (gzip bomb) was refused by Scrapy but not recorded | `on_error` records it as `oversize body (decompressed)` |
| hostile | tagging was quadratic in document length (`Span.ents` walks the whole document): one 590 KB page held `rivalry tag` for 7 min 45 s | `nlp/extract.py` indexes a document's entities once (150 KB: 33.5 s → 1.0 s; identical output) |
| hostile | a file with an SQLite header and a damaged body: readers said "file is not a database" without naming it | `store.open_readonly` probes the schema page and names the file |
| hostile | a newer rivalry's rollback-journal database was switched to WAL (header rewritten) before being refused | `store.open_db` checks the schema version first |
| issue 12 | the writer lock was named after the path given: a symlink or hard link to the store let a second writer in | `rivalry/lock.py` locks the database file itself (flock: the inode, whatever its name) |
| issue 12 | `ingest` took a file of any size (50 MB: 34 s, 1.76 GB; the next `tag` stalled); a text over 1,000,000 characters failed every `tag` (spaCy E088) | `ingest` refuses files over 20 MB; `store.cut_text` keeps 300,000 characters and records the cut |
| issue 12 | `rivalry query` ran a recursive CTE for ever and allocated 900 MB for `randomblob(900000000)` | `--timeout` (progress handler) and `--max-memory` (heap and length limits), `--no-limits` |
| issue 12 | a damaged store got a run row (and `crawl` exited 0) before the damage was found | `store.open_db` runs `PRAGMA quick_check` before writing; readers name the damaged file |
| issue 12 | read-only storage: tracebacks from writers and `build --out`; readers could not open a WAL file | one-line errors; readers fall back to `immutable=1` |
| issue 12 | SIGTERM: exit 143, no message, the run left `running`; SIGINT: "Aborted!", run `failed` | `rivalry/shutdown.py`: run `interrupted`, children stopped, lock released, one line, exit 128 + n |
| hardening | SIGTERM landing in an at-fork callback (logging's, while the site build forks) was only printed by Python: the build went on, exit 0, run `ok` | `rivalry/shutdown.py` raises it again 50 ms later (`sys.unraisablehook`) |
| issue 12 | a `.gz` file stored as 2 characters; UTF-16 and `<meta>` charsets garbled; an empty sources file crawled nothing; `search -export` read as options | `rivalry/local_files.py` (gzip, BOM, `<meta>`, charset_normalizer); `load_sources` refuses an empty file; the usage error says `rivalry search -- '"-export"'` |

## Closing note

{table(summary)}
"""
    args.out.write_text(doc, "utf-8")
    print(doc)
    return 0 if not problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
