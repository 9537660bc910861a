"""Hardening harness (issue 12): the writer lock reached by other names, unbounded work, a
damaged store, read-only storage, SIGTERM and SIGINT, and odd input files — each case run
through the real `rivalry` command on a real SQLite file, each judged here once: the tests
(tests/test_hardening.py) and scripts/reliability_report.py run the same cases.

Every case returns {"ok": bool, "outcome": "what happened, in a few words", "rows_lost": n}
plus what it measured. Kinds: "stop" (a signal to a running command), "fault" (the storage
is damaged or read-only), "hostile" (an input meant to get past a guard).

Read-only storage is real: the command runs in a private mount namespace (`unshare -m`) in
which the folder is bind-mounted read-only, so writes fail with EROFS even for root (chmod does
not stop root). The mount exists only in that namespace and vanishes with the command. Without
the privilege for it (not root and no user namespaces), those cases cannot run.

    python -m reliability.hardening --work test-output/hardening
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from reliability.common import REPO, SAMPLE, SAMPLE_SOURCES, command, run, run_record, store_problems

RELEVANT = ("The Bureau of Industry and Security added Huawei and SMIC to the Entity List and "
            "tightened export controls on Nvidia H20 chips; China's Ministry of Commerce said it "
            "firmly opposes the move. ")


# --- helpers -----------------------------------------------------------------------------------

def make_store(db: Path, documents: int = 200) -> Path:
    """A store with `documents` small documents (no overflow pages), checkpointed: one file."""
    from rivalry import store

    database = store.open_db(db)
    store.upsert_source(database, {"id": "test-source", "name": "Test", "kind": "feed"})
    with database.atomic():
        for i in range(documents):
            url = f"https://example.org/doc/{i}"
            store.upsert_document(database, {
                "source_id": "test-source", "url": url, "canonical_url": url,
                "title": f"Export controls {i}", "text": RELEVANT * 3 + f" Document {i}.",
                "published_at": "2025-01-15T15:00:00+00:00", "language": "en"})
    database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close()
    return db


def count(db: Path, sql: str = "SELECT count(*) FROM documents"):
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def one_line_error(result, *names: str, code: int = 1) -> str | None:
    """None if the command failed as it should (exit `code`, a last line `Error: ...` naming
    every one of `names`, no traceback); else what was wrong."""
    lines = result.stderr.strip().splitlines()
    if result.returncode != code:
        return f"exit {result.returncode} (wanted {code}): {result.stderr.strip()[-300:]}"
    if "Traceback" in result.stderr:
        return f"traceback: {result.stderr.strip()[-300:]}"
    if not lines or not lines[-1].startswith("Error: "):
        return f"no one-line error: {lines[-3:]}"
    missing = [n for n in names if n not in lines[-1]]
    return f"error line does not name {missing}: {lines[-1]}" if missing else None


def _case(ok: bool, outcome: str, **measured) -> dict:
    return {"ok": ok, "outcome": outcome, "rows_lost": measured.pop("rows_lost", 0), **measured}


def hold_lock(db: Path) -> subprocess.Popen:
    """A real second process holding the writer lock (as `rivalry nightly` does) until killed."""
    code = ("import sys, time; from pathlib import Path; from rivalry.store.lock import exclusive\n"
            "with exclusive(Path(sys.argv[1]), 'nightly'):\n"
            "    print('locked', flush=True); time.sleep(120)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(db)], stdout=subprocess.PIPE, text=True,
                            cwd=REPO)
    if proc.stdout.readline().strip() != "locked":
        raise RuntimeError("the lock holder did not start")
    return proc


def lock_is_free(db: Path) -> bool:
    """Another process can take the writer lock now (asked from a separate process: closing a
    descriptor here would drop this process's SQLite locks on the file)."""
    code = ("import fcntl, os, sys\nfd = os.open(sys.argv[1], os.O_RDONLY)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n")
    return subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True).returncode == 0


# --- 1. the writer lock, reached by another name --------------------------------------------

def lock_alias(work: Path, how: str) -> dict:
    """While a writer holds the lock on rivalry.db, `ingest` through another name of the same
    file (symlink, hard link, a relative path through another folder) must exit 75."""
    work.mkdir(parents=True, exist_ok=True)
    db = make_store(work / "rivalry.db", documents=5)
    (work / "other").mkdir(exist_ok=True)
    alias = {"symlink": work / "alias.db", "hard link": work / "other" / "hard.db",
             "relative path": Path(os.path.relpath(db, REPO / "tests"))}[how]
    if how == "symlink":
        alias.symlink_to(db.name)
    elif how == "hard link":
        os.link(db, alias)
    note = work / "note.txt"
    note.write_text("A note\n" + RELEVANT)
    holder = hold_lock(db)
    try:
        before = count(db)
        result = subprocess.run(command("ingest", note, "--db", alias), capture_output=True, text=True,
                                cwd=REPO / "tests", timeout=60)
        after = count(db)
    finally:
        holder.kill()
        holder.wait()
    problem = one_line_error(result, "is busy", code=75)
    ok = problem is None and after == before
    return _case(ok, "refused: busy (exit 75)" if ok else f"NOT REFUSED: {problem}; documents {before} -> {after}",
                 exit_code=result.returncode, stderr=result.stderr.strip())


# --- 2. bounded work -------------------------------------------------------------------------

def ingest_oversize(work: Path) -> dict:
    """A file over the crawler's body limit: refused at once, named, nothing stored."""
    from rivalry.limits import MAX_BODY_BYTES

    work.mkdir(parents=True, exist_ok=True)
    db = make_store(work / "rivalry.db", documents=1)
    big = work / "big.html"
    with open(big, "wb") as fh:  # sparse: no time or disk spent on the bytes themselves
        fh.write(b"<html><body><p>")
        fh.truncate(MAX_BODY_BYTES + 1)
    runs_before = count(db, "SELECT count(*) FROM runs")
    started = time.monotonic()
    result = run("ingest", big, "--db", db, timeout=120)
    seconds = time.monotonic() - started
    problem = one_line_error(result, str(big), "limit")
    stored = count(db) - 1
    runs = count(db, "SELECT count(*) FROM runs") - runs_before
    ok = problem is None and stored == 0 and runs == 0 and seconds < 20
    return _case(ok, f"refused: over the {MAX_BODY_BYTES:,}-byte limit, nothing stored ({seconds:.1f} s)"
                 if ok else f"NOT REFUSED: {problem}; stored {stored}, runs {runs}, {seconds:.1f} s",
                 seconds=round(seconds, 2), stderr=result.stderr.strip())


def long_text_cut(work: Path, tag: bool = False) -> dict:
    """A text far longer than the tagger can take: stored cut to limits.MAX_TEXT_CHARS, the cut
    recorded on the document; with `tag`, the tag run that follows is timed."""
    from rivalry.limits import MAX_TEXT_CHARS

    work.mkdir(parents=True, exist_ok=True)
    db = work / "rivalry.db"
    long = work / "long.txt"
    chars = 4 * MAX_TEXT_CHARS
    long.write_text("Export controls, a long note\n" + (RELEVANT * (chars // len(RELEVANT) + 1))[:chars])
    result = run("ingest", long, "--db", db, timeout=120)
    length, extra = (count(db, "SELECT length(text) FROM documents"),
                     count(db, "SELECT extra FROM documents"))
    cut = json.loads(extra or "{}").get("text_cut", {})
    ok = result.returncode == 0 and length == MAX_TEXT_CHARS and cut.get("kept") == MAX_TEXT_CHARS \
        and cut.get("chars", 0) > chars
    outcome = f"stored {length:,} of {cut.get('chars', 0):,} characters, the cut recorded" if ok else \
        f"NOT CUT: exit {result.returncode}, {length} characters, extra {extra!r}: {result.stderr[-300:]}"
    measured = {"stored_chars": length}
    if tag and ok:
        started = time.monotonic()
        tagged = run("tag", "--db", db, timeout=600)
        measured["tag_seconds"] = round(time.monotonic() - started, 1)
        ok = tagged.returncode == 0
        outcome += f"; tag {measured['tag_seconds']} s" if ok else f"; TAG FAILED: {tagged.stderr[-300:]}"
    return _case(ok, outcome, **measured)


ENDLESS_CTE = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"


def query_bounds(work: Path, what: str) -> dict:
    """`rivalry query` stops an endless recursive CTE at its time limit, refuses a 900 MB
    randomblob at its memory bound; --no-limits lifts them."""
    import resource

    work.mkdir(parents=True, exist_ok=True)
    db = make_store(work / "rivalry.db", documents=1)
    if what == "endless recursive CTE":
        started = time.monotonic()
        result = run("query", "--db", db, "--timeout", "1", ENDLESS_CTE, timeout=60)
        seconds = time.monotonic() - started
        problem = one_line_error(result, "--timeout", "--no-limits")
        ok = problem is None and seconds < 10
        return _case(ok, f"stopped after its 1 s limit ({seconds:.1f} s in all)" if ok else
                     f"NOT STOPPED: {problem}, {seconds:.1f} s", seconds=round(seconds, 2),
                     stderr=result.stderr.strip())
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = run("query", "--db", db, "SELECT length(randomblob(900000000))", timeout=60)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    problem = one_line_error(result, "--max-memory", "--no-limits")
    lifted = run("query", "--db", db, "--max-memory", "10", "--no-limits", "SELECT length(randomblob(20000000))")
    ok = problem is None and (peak_mb < 400 or before / 1024 >= 400) and "20000000" in lifted.stdout
    return _case(ok, "refused at the 512 MB bound, nothing allocated; --no-limits lifts it" if ok else
                 f"NOT BOUNDED: {problem}; peak {peak_mb:.0f} MB; lifted: {lifted.stdout[-200:]} {lifted.stderr[-200:]}",
                 stderr=result.stderr.strip())


# --- 3. a damaged store ------------------------------------------------------------------------

def damage(db: Path, pages: int = 20, seed: int = 12) -> list[int]:
    """Overwrite `pages` pages with random bytes: pages of the documents and their full-text
    index, as a failing disk would hit a store mostly made of them; the schema and the runs
    table stay readable, so a command gets as far as recording a run before it meets damage."""
    rng = random.Random(seed)
    conn = sqlite3.connect(db)
    try:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        candidates = [r[0] for r in conn.execute(
            "SELECT pageno FROM dbstat WHERE name IN ('documents', 'documents_fts_data') "
            "AND pagetype = 'leaf' ORDER BY pageno")]
    finally:
        conn.close()
    chosen = sorted(rng.sample(candidates, min(pages, len(candidates))))
    with open(db, "r+b") as fh:
        for page in chosen:
            fh.seek((page - 1) * page_size)
            fh.write(rng.randbytes(page_size))
    return chosen


WRITERS = {
    "crawl": ["crawl", "--replay", SAMPLE, "--source", "whitehouse"],
    "nightly": ["nightly", "--replay", SAMPLE, "--source", "whitehouse"],
    "tag": ["tag"], "build": ["build"], "ingest": ["ingest"],
}
READERS = {
    "query": ["query", "SELECT count(*), sum(length(text)) FROM documents"],
    "search": ["search", "Huawei"],
    "export": ["export", "--table", "documents", "--format", "jsonl"],
}


def damaged_store(work: Path, who: str) -> dict:
    """Writers refuse a damaged file before writing anything (it stays byte for byte as it
    was); readers that meet a damaged page say the file is damaged, exit 1."""
    import hashlib
    from concurrent.futures import ThreadPoolExecutor

    work.mkdir(parents=True, exist_ok=True)
    db = make_store(work / "rivalry.db", documents=400)
    damage(db)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    note = work / "note.txt"
    note.write_text("A note\n" + RELEVANT)
    commands = WRITERS if who == "writers" else READERS

    def attempt(name):
        args = commands[name] + ([note] if name == "ingest" else []) + \
            (["--out", work / "public"] if name in ("build", "nightly") else [])
        return name, run(*args, "--db", db, timeout=120)

    # Writers one after the other (they would take turns on the lock anyway); readers at once.
    with ThreadPoolExecutor(1 if who == "writers" else 3) as pool:
        results = dict(pool.map(attempt, commands))
    problems = {name: p for name, r in results.items() if (p := one_line_error(r, str(db), "damaged"))}
    unchanged = hashlib.sha256(db.read_bytes()).hexdigest() == before
    ok = not problems and unchanged and not (work / "public").exists()
    verb = "refused before writing, the file unchanged" if who == "writers" else "said the file is damaged"
    return _case(ok, f"{len(results)} of {len(results)} {verb}" if ok else
                 f"NOT SAFE: {problems}; file unchanged: {unchanged}",
                 errors={n: r.stderr.strip().splitlines()[-1:] for n, r in results.items()})


# --- 4. read-only storage ------------------------------------------------------------------------

_MOUNT = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
_RO_PREFIX: list = []


def read_only_prefix() -> list[str] | None:
    """The command prefix that runs a command with one folder read-only (see the module
    docstring): as root a private mount namespace, else a user namespace too. None: neither
    works here."""
    if _RO_PREFIX:
        return _RO_PREFIX[0]
    probe = Path(os.environ.get("TMPDIR", "/tmp")) / f"rivalry-ro-probe-{os.getpid()}"
    probe.mkdir(exist_ok=True)
    found = None
    for unshare in (["unshare", "-m", "--propagation", "private"], ["unshare", "-r", "-m", "--propagation", "private"]):
        if not shutil.which("unshare"):
            break
        prefix = [*unshare, "sh", "-c", _MOUNT, "sh"]
        try:
            result = subprocess.run([*prefix, str(probe), "touch", str(probe / "x")], capture_output=True,
                                    text=True, timeout=30)
        except OSError:
            continue
        if "Read-only file system" in result.stderr and not (probe / "x").exists():
            found = prefix
            break
    shutil.rmtree(probe, ignore_errors=True)
    _RO_PREFIX.append(found)
    return found


def run_read_only(folder: Path, *args, timeout: float = 120):
    """`rivalry ARGS` with `folder` on read-only storage."""
    prefix = read_only_prefix()
    return subprocess.run([*prefix, str(folder), *command(*args)], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


def read_only_storage(work: Path, who: str, report: bool = False) -> dict:
    """Writers whose database (or site folder) is on read-only storage end in one named line;
    readers query a WAL store on a read-only mount (opened immutable)."""
    if read_only_prefix() is None:
        return _case(False, "NOT RUN: no way to mount a folder read-only here (needs root or user namespaces)",
                     skipped=True)
    from concurrent.futures import ThreadPoolExecutor

    work.mkdir(parents=True, exist_ok=True)
    media = work / "media"
    media.mkdir(exist_ok=True)
    db = make_store(media / "rivalry.db", documents=200 if who == "readers" else 1)
    # A WAL store with no -shm beside it: mode=ro cannot read it on read-only storage.
    for leftover in ("rivalry.db-wal", "rivalry.db-shm"):
        (media / leftover).unlink(missing_ok=True)
    note = work / "note.txt"
    note.write_text("A note\n" + RELEVANT)
    if who == "readers":
        checks = {
            "query": (["query", "--db", db, "SELECT count(*) AS n FROM documents"], "200"),
            "search": (["search", "--db", db, "Huawei", "--limit", "3"], "3 result(s)"),
            "status": (["status", "--db", db], "documents"),
            "export": (["export", "--db", db, "--table", "sources"], "test-source"),
        }
        with ThreadPoolExecutor(4) as pool:
            results = dict(zip(checks, pool.map(lambda c: run_read_only(media, *c[0]), checks.values())))
        problems = {n: r.stderr.strip()[-200:] for n, (args, want) in checks.items()
                    if (r := results[n]).returncode != 0 or want not in r.stdout}
        ok = not problems
        return _case(ok, f"{len(checks)} of {len(checks)} readers answered (immutable open)" if ok else
                     f"NOT READ: {problems}")
    if who == "site folder":
        out = media / "public"
        writable = work / "rivalry.db"
        shutil.copy(db, writable)
        results = {"build": run_read_only(media, "build", "--db", writable, "--out", out)}
        if report:  # crawls and tags first: too slow for the test suite
            results["nightly"] = run_read_only(media, "nightly", "--db", writable, "--replay", SAMPLE,
                                               "--source", "whitehouse", "--out", out)
        names = [str(media)]
    else:
        results = {name: run_read_only(media, *args, "--db", db) for name, args in
                   {"ingest": ["ingest", note], "tag": ["tag"], "build": ["build", "--out", work / "public"],
                    "crawl": ["crawl", "--replay", SAMPLE, "--source", "whitehouse"]}.items()}
        names = [str(db), "read-only"]
    problems = {n: p for n, r in results.items() if (p := one_line_error(r, *names))}
    ok = not problems
    return _case(ok, f"{len(results)} of {len(results)} writers: one named line, exit 1" if ok else
                 f"NOT CLEAN: {problems}",
                 errors={n: r.stderr.strip().splitlines()[-1:] for n, r in results.items()})


# --- 5. SIGTERM and SIGINT ------------------------------------------------------------------------

def _session_alive(sid: int) -> list[int]:
    """Processes of session `sid` still running (zombies are dead)."""
    alive = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[3]) == sid and fields[0] != "Z":  # fields: state ppid pgrp session
            alive.append(int(entry))
    return alive


def _phase_started(phase: str, db: Path, out: Path) -> bool:
    """Is nightly's `phase` under way: its first document, its first tagging, or the site
    build's first file (the build works in `.public.*` beside the site folder)."""
    if phase == "build":
        return any(p.name.startswith(".public") for p in out.parent.iterdir())
    if not db.exists():
        return False
    try:
        return count(db, {"crawl": "SELECT count(*) FROM documents",
                          "tag": "SELECT count(*) FROM taggings"}[phase]) > 0
    except sqlite3.Error:
        return False


def stop_nightly(work: Path, signum: int, phase: str, rerun: bool = False) -> dict:
    """Send `signum` to a running `rivalry nightly` (its process only, as `kill` does) during
    `phase`; it must exit 128 + signum within seconds with one line, record its run as
    interrupted, leave no process of its session alive and the lock free; the store intact."""
    work.mkdir(parents=True, exist_ok=True)
    db, out = work / "rivalry.db", work / "public"
    args = ["nightly", "--db", db, "--replay", SAMPLE, *sum((["--source", s] for s in SAMPLE_SOURCES), []),
            "--out", out]
    stderr_path = work / "stderr.txt"
    with open(stderr_path, "wb") as err:
        proc = subprocess.Popen(command(*args), stdout=subprocess.DEVNULL, stderr=err, cwd=REPO,
                                start_new_session=True)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None and not _phase_started(phase, db, out):
            time.sleep(0.05)
        if proc.poll() is not None:
            return _case(False, f"NOT RUN: nightly ended (exit {proc.returncode}) before its {phase} phase")
        sent = time.monotonic()
        os.kill(proc.pid, signum)
        code = proc.wait(timeout=60)
        stop_seconds = time.monotonic() - sent
        time.sleep(0.2)
        alive = _session_alive(proc.pid)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    for pid in alive:  # what the command left behind: counted as a failure, then cleaned up
        os.kill(pid, signal.SIGKILL)
    lines = stderr_path.read_text("utf-8", "replace").strip().splitlines()
    run = run_record(db)[-1]
    problems, _ = store_problems(db)
    lock_free = lock_is_free(db)
    name = signal.Signals(signum).name
    wrong = []
    if code != 128 + signum:
        wrong.append(f"exit {code}")
    if not lines or not lines[-1].startswith("Error: ") or name not in lines[-1] or "Traceback" in "".join(lines):
        wrong.append(f"stderr {lines[-3:]}")
    if run["status"] != "interrupted" or not run["finished"]:
        wrong.append(f"run {run['status']}")
    if alive:
        wrong.append(f"{len(alive)} process(es) still alive")
    if not lock_free:
        wrong.append("lock still held")
    if stop_seconds > 15:
        wrong.append(f"took {stop_seconds:.1f} s to stop")
    wrong += problems
    if rerun and not wrong:
        again = run_command_ok(args)
        if again:
            wrong.append(f"re-run: {again}")
    ok = not wrong
    return _case(ok, f"exit {code} in {stop_seconds:.1f} s, one line, run interrupted, nothing left running"
                 if ok else "NOT CLEAN: " + "; ".join(map(str, wrong)),
                 stop_seconds=round(stop_seconds, 2), stderr=lines[-1:] if lines else [])


def run_command_ok(args) -> str | None:
    result = run(*args, timeout=600)
    return None if result.returncode == 0 else f"exit {result.returncode}: {result.stderr[-300:]}"


# --- 6. odd input files ----------------------------------------------------------------------------

ARTICLE = ("<html><head>{meta}<title>Export rules</title></head><body><article><h1>Export rules</h1>"
           "<p>" + RELEVANT + "The rule takes effect at once — officials called it “final”.</p>"
           "</article></body></html>")


def odd_input(work: Path, what: str) -> dict:
    """An input that today goes wrong silently: stored right, or refused by name."""
    work.mkdir(parents=True, exist_ok=True)
    db = work / "rivalry.db"
    if what == "empty sources.toml":
        empty = work / "sources.toml"
        empty.write_text("# nothing here yet\n")
        results = {name: run(*args, "--db", db, "--sources", empty) for name, args in
                   {"crawl": ["crawl"], "nightly": ["nightly", "--out", work / "public"],
                    "sources": ["sources"]}.items()}
        problems = {n: p for n, r in results.items() if (p := one_line_error(r, str(empty), "no [[source]]"))}
        ok = not problems
        return _case(ok, "refused: one named line, exit 1" if ok else f"NOT REFUSED: {problems}")
    if what == "search text with a leading dash":
        make_store(db, documents=3)
        as_option = run("search", "--db", db, "-export")
        hint = "rivalry search -- '\"-export\"'"
        problem = one_line_error(as_option, "-export", hint, code=2)
        hinted = run("search", "--db", db, "--", '"-export"')
        ok = problem is None and hinted.returncode == 0 and "3 result(s)" in hinted.stdout
        return _case(ok, "the error says how: rivalry search -- '\"-export\"' (which finds it)" if ok else
                     f"NO HINT: {problem}; hinted: {hinted.returncode} {hinted.stdout[-200:]} {hinted.stderr[-200:]}")
    # Files to ingest: each is stored with the text of the plain UTF-8 page, or refused by name.
    plain = work / "plain.html"
    plain.write_text(ARTICLE.format(meta='<meta charset="utf-8">'), "utf-8")
    files = {
        "gzipped HTML": ("page.html.gz", gzip.compress(plain.read_bytes())),
        "UTF-16 HTML with a BOM": ("utf16.html", ARTICLE.format(meta="").encode("utf-16")),
        "UTF-16 text with a BOM": ("utf16.txt", ("Export rules\n" + RELEVANT + "“final”").encode("utf-16")),
        "Windows-1252 HTML declared in <meta>": (
            "cp1252.html", ARTICLE.format(meta='<meta charset="windows-1252">').encode("cp1252")),
        "gzip bomb": ("bomb.html.gz", None),
        "binary file": ("image.html", bytes(range(256)) * 64),
    }
    name, body = files[what]
    path = work / name
    if body is None:
        from rivalry.limits import MAX_BODY_BYTES

        with gzip.open(path, "wb", compresslevel=9) as gz:
            block = b"\0" * (1 << 20)
            for _ in range(MAX_BODY_BYTES // len(block) + 2):
                gz.write(block)
    else:
        path.write_bytes(body)
    result = run("ingest", path, "--db", db)
    if what in ("gzip bomb", "binary file"):
        problem = one_line_error(result, str(path))
        stored = count(db) if db.exists() and count(db, "SELECT count(*) FROM sqlite_master WHERE name = 'documents'") else 0
        ok = problem is None and stored == 0
        if not ok:
            return _case(False, f"NOT REFUSED: {problem}; stored {stored}")
        reason = result.stderr.strip().splitlines()[-1].removeprefix(f"Error: {path}: ")
        return _case(True, f"refused: {reason.split(';')[0]}")
    if result.returncode != 0:
        return _case(False, f"NOT STORED: {result.stderr.strip()[-300:]}", rows_lost=1)
    if what == "UTF-16 text with a BOM":
        expected = ("Export rules\n" + RELEVANT + "“final”").strip()
    else:  # what ingest stores for the plain UTF-8 page
        from crawler.extract import extract_article

        expected = extract_article(plain.read_text("utf-8"), path.as_uri(), known_date_source="manual").text
    text, status = count(db, "SELECT text FROM documents"), count(db, "SELECT status FROM documents")
    ok = status == "ok" and text == expected and "“final”" in text
    return _case(ok, f"stored, {len(text):,} characters, as the UTF-8 page" if ok else
                 f"STORED WRONG: status {status}, text {text[:80]!r} (expected {expected[:80]!r})",
                 rows_lost=0 if ok else 1)


# --- the whole harness -------------------------------------------------------------------------------

def cases(report: bool = False) -> dict:
    """name -> (kind, issue item, function of a work folder)."""
    table = {}
    for how in ("symlink", "hard link", "relative path"):
        table[f"lock: ingest through a {how} while nightly writes"] = ("hostile", 1, lambda w, h=how: lock_alias(w, h))
    table["ingest: a file over the size limit"] = ("hostile", 2, ingest_oversize)
    table["ingest: text 4x the tagger's bound"] = ("hostile", 2, lambda w: long_text_cut(w, tag=report))
    for what in ("endless recursive CTE", "randomblob(900000000)"):
        table[f"query: {what}"] = ("hostile", 2, lambda w, q=what: query_bounds(w, q))
    for who in ("writers", "readers"):
        table[f"damaged store (20 random pages): {who}"] = ("fault", 3, lambda w, x=who: damaged_store(w, x))
    for who in ("writers", "site folder", "readers"):
        table[f"read-only storage: {who}"] = ("fault", 4, lambda w, x=who: read_only_storage(w, x, report))
    stops = [(signal.SIGTERM, "crawl"), (signal.SIGINT, "crawl")]
    if report:  # a few seconds more each: the pipeline loads first
        stops += [(signal.SIGTERM, "tag"), (signal.SIGTERM, "build"), (signal.SIGINT, "tag")]
    for signum, phase in stops:
        table[f"{signal.Signals(signum).name} to nightly ({phase})"] = (
            "stop", 5, lambda w, s=signum, p=phase: stop_nightly(w, s, p, rerun=report))
    for what in ("gzipped HTML", "gzip bomb", "binary file", "UTF-16 HTML with a BOM", "UTF-16 text with a BOM",
                 "Windows-1252 HTML declared in <meta>", "empty sources.toml", "search text with a leading dash"):
        table[f"input: {what}"] = ("hostile", 6, lambda w, x=what: odd_input(w, x))
    return table


def run_harness(work: Path, log=print) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    results = {}
    for i, (name, (kind, item, fn)) in enumerate(cases(report=True).items()):
        started = time.monotonic()
        result = fn(work / f"case{i:02d}")
        result.update(kind=kind, item=item, seconds=round(time.monotonic() - started, 1))
        results[name] = result
        log(f"{'ok ' if result['ok'] else 'BAD'} {name}: {result['outcome']}")
    figures = {"cases": results, "problems": [f"{n}: {r['outcome']}" for n, r in results.items() if not r["ok"]],
               "rows_lost": sum(r["rows_lost"] for r in results.values())}
    for kind in ("stop", "fault", "hostile"):
        of_kind = [r for r in results.values() if r["kind"] == kind]
        figures[f"{kind}_tried"] = len(of_kind)
        figures[f"{kind}_ok"] = sum(r["ok"] for r in of_kind)
    return figures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path("test-output/hardening"))
    args = parser.parse_args(argv)
    shutil.rmtree(args.work, ignore_errors=True)
    figures = run_harness(args.work.resolve())
    return 0 if not figures["problems"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
