"""Hostile-input harness: hostile web content crawled from a local server (127.0.0.1), hostile
rows in the store, then tag, build, snapshot, search and export; the published site is scanned
for anything executable, every output path for escapes, and the work folder for files written
where they should not be.

Each hostile input counts as 'neutralised' when it got a clear, named refusal (recorded in the
run record) or went through the whole pipeline stored intact (nothing lost) and came out inert.

    python -m reliability.hostile
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import sqlite3
import threading
import time
from html.parser import HTMLParser
from http.server import ThreadingHTTPServer
from pathlib import Path

from reliability.common import QuietHandler, run, run_record, store_problems

MAX_BYTES = 1_000_000
SCRIPT = '<script>alert("x")</script>'
RELEVANT = ("The Bureau of Industry and Security added Huawei and SMIC to the Entity List and "
            "tightened export controls on Nvidia H20 chips; China's Ministry of Commerce said it "
            "firmly opposes the move. ")


def page(title: str, body_html: str, head: str = "") -> bytes:
    return (f"<html><head><title>{title}</title>{head}"
            "<meta property='article:published_time' content='2025-04-15T12:00:00+00:00'></head>"
            f"<body><article><h1>{title}</h1>{body_html}</article></body></html>").encode("utf-8")


# name -> (article path, body or callable, expected: 'stored' | 'refused: <reason>' | 'skipped')
def articles(long_chars: int = 600_000) -> dict:
    bidi = "\u202egnp.exe\u202c \u200b\u200d\u2066hidden\u2069"
    return {
        "script and event handlers in title and text": (
            "/a/script", page('&lt;script&gt;alert(1)&lt;/script&gt; BIS rule <img src=x onerror=alert(2)>',
                             f'<p onmouseover="alert(3)">{RELEVANT}</p><script>alert(4)</script>'
                             '<svg onload="alert(5)"></svg><p><a href="javascript:alert(6)">more</a> '
                             '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCg3KTwvc2NyaXB0Pg==">data</a> '
                             '<iframe src="javascript:alert(8)"></iframe></p>'), "stored"),
        "bidi overrides and zero-width characters": (
            "/a/bidi", page(f"Export controls {bidi}", f"<p>{RELEVANT} {bidi} {RELEVANT}</p>"), "stored"),
        "overlong title and text": (
            "/a/long", page("Export controls " + "A" * 20_000, "<p>" + (RELEVANT * (long_chars // len(RELEVANT) + 1))[:long_chars] + "</p>"), "stored"),
        "broken nesting": (
            "/a/broken", b"<html><head><title>Broken <b>nesting</title><body><div><p><b>Export <i>controls"
            b"</div></p><table><td>" + RELEVANT.encode() + b"</b><li>entities</html></body><p>" + RELEVANT.encode() +
            b"<div><div><div><span>", "stored"),
        "path traversal in the URL": ("/a/..%2f..%2fetc%2fpasswd", page("Traversal", f"<p>{RELEVANT}</p>"), "stored"),
        "javascript: link in the feed": ("javascript:alert(9)", None, "skipped"),
        "data: link in the feed": ("data:text/html,<script>alert(10)</script>", None, "skipped"),
        "gzip bomb": ("/a/bomb", "bomb", "refused: oversize body (decompressed)"),
        "body far over the size limit (declared)": ("/a/huge", "huge", "refused: oversize body"),
        "body far over the size limit (streamed)": ("/a/stream", "stream", "refused: oversize body"),
    }


def gzip_bomb(size: int = 200 * 1024 * 1024) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9) as gz:
        block = b"\0" * (1 << 20)
        for _ in range(size >> 20):
            gz.write(block)
    return buf.getvalue()


class HostileServer:
    def __init__(self, long_chars: int = 600_000):
        self.items = articles(long_chars)
        self.bomb = gzip_bomb()
        server = self

        class Handler(QuietHandler):
            def do_GET(self):
                path = self.path
                try:
                    if path == "/feed.xml":
                        return self.reply(200, server.feed().encode(), "application/rss+xml")
                    for _name, (item_path, body, _) in server.items.items():
                        if item_path == path:
                            if body == "bomb":
                                return self.reply(200, server.bomb, "text/html", [("Content-Encoding", "gzip")])
                            if body == "huge":
                                return self.stream(64 * MAX_BYTES, declared=True)
                            if body == "stream":
                                return self.stream(64 * MAX_BYTES, declared=False)
                            return self.reply(200, body, "text/html; charset=utf-8")
                    self.reply(404, b"not here", "text/plain")
                except OSError:
                    pass  # the crawler hung up on an oversize body: as it should

            def reply(self, status, body, kind, headers=()):
                self.send_response(status)
                self.send_header("Content-Type", kind)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def stream(self, size, declared):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                if declared:
                    self.send_header("Content-Length", str(size))
                self.end_headers()
                chunk = b"<p>" + b"x" * 65_530 + b"</p>"
                for _ in range(size // len(chunk)):
                    self.wfile.write(chunk)
                self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path):
        return path if ":" in path.split("/")[0] else self.base + path

    def feed(self) -> str:
        from xml.sax.saxutils import escape

        items = "".join(f"<item><title>{escape(name)}</title><link>{escape(self.url(p))}</link>"
                        "<pubDate>Tue, 15 Apr 2025 12:00:00 GMT</pubDate></item>"
                        for name, (p, _, _) in self.items.items())
        return f"<?xml version='1.0'?><rss version='2.0'><channel><title>Hostile</title>{items}</channel></rss>"

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


# --- hostile rows put straight into the store (a damaged or hostile database) ---------------

HOSTILE_ROWS = {
    "entity id '../../etc/passwd' with a script name": (
        "INSERT OR IGNORE INTO entities (id, name, type, country, aliases, origin) VALUES "
        "('../../etc/passwd', ?, 'company', 'US', '[]', 'model')", [SCRIPT]),
    "entity id with a bidi override": (
        "INSERT OR IGNORE INTO entities (id, name, type, country, aliases, origin) VALUES "
        "('evil\u202e', ?, 'company', 'CN', ?, 'model')", ["Evil \u202e corp", json.dumps([SCRIPT])]),
    "source id '../../x' with a javascript: URL": (
        "INSERT OR IGNORE INTO sources (id, name, kind, url) VALUES ('../../x', ?, 'feed', 'javascript:alert(11)')",
        [SCRIPT]),
    "document with a javascript: URL": (
        "INSERT OR IGNORE INTO documents (id, source_id, url, canonical_url, title, text, fetched_at, content_hash, status, published_at) "
        "VALUES ('hostile0000doc1', '../../x', 'javascript:alert(12)', 'javascript:alert(12)', ?, ?, "
        "'2025-04-15T00:00:00+00:00', 'x', 'ok', '2025-04-15T00:00:00+00:00')",
        [SCRIPT + "<img src=x onerror=alert(13)>", RELEVANT + SCRIPT]),
    "event with path-traversal ids and hostile evidence": (
        "INSERT OR IGNORE INTO events (id, document_id, action, actor_id, target_id, event_date, evidence, "
        "evidence_start, evidence_end, confidence, pipeline_version, modality, status) VALUES "
        "('../../../tmp/pwn', 'hostile0000doc1', 'export_control', '../../etc/passwd', 'evil\u202e', "
        "'2025-04-15', ?, 0, 10, 0.9, 'hostile', 'asserted', 'announced')",
        ["<script>alert(14)</script> javascript:alert(15)"]),
}


# --- scanning the published site -------------------------------------------------------------

URL_ATTRS = {"href", "src", "action", "formaction", "data", "poster", "srcdoc", "xlink:href", "background"}
BAD_SCHEME = re.compile(r"^\s*(javascript|data|vbscript):", re.I)
SAFE_PATH = re.compile(r"^[A-Za-z0-9._/-]+$")
# Bidi embeddings/overrides/isolates and zero-width characters: they reorder or hide text.
UNICODE_TRICKS = re.compile("[\u202a-\u202e\u2066-\u2069\u200b-\u200f\u2060\ufeff]")


class Scanner(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            name = name.lower()
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in URL_ATTRS and value and BAD_SCHEME.match(re.sub(r"[\x00-\x20]", "", value)):
                self.problems.append(f"<{tag} {name}={value[:40]!r}>")
        refresh = tag == "meta" and (dict(attrs).get("http-equiv") or "").lower() == "refresh"
        if tag in ("iframe", "object", "embed", "base", "frame") or refresh:
            self.problems.append(f"<{tag}>")
        if tag == "script":
            src = dict(attrs).get("src")
            if src and re.match(r"^\s*[a-z][a-z0-9+.-]*:", src, re.I):
                self.problems.append(f"<script src={src[:40]!r}>")
            self.in_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False

    def handle_data(self, data):
        if self.in_script and "alert(" in data:
            self.problems.append("inline script with crawled content")


def scan_site(folder: Path) -> list[str]:
    problems = []
    for path in folder.rglob("*"):
        rel = path.relative_to(folder).as_posix()
        if not SAFE_PATH.match(rel):
            problems.append(f"unsafe output path {rel!r}")
        if path.is_file() and path.suffix in (".html", ".xml", ".svg", ".htm"):
            text = path.read_text("utf-8", "replace")
            tricks = UNICODE_TRICKS.findall(text)
            if tricks:
                problems.append(f"{rel}: {len(tricks)} bidi/zero-width control(s), e.g. U+{ord(tricks[0]):04X}")
            scanner = Scanner()
            scanner.feed(text)
            problems += [f"{rel}: {p}" for p in scanner.problems]
    return problems


def all_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def run_harness(work: Path, long_chars: int = 600_000, log=print) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    db, out, snap = work / "rivalry.db", work / "public", work / "snapshot.db"
    outcomes = {}
    with HostileServer(long_chars) as server:
        sources = work / "sources.toml"
        sources.write_text('[defaults]\nuser_agent = "RivalryHostile/1.0"\ndelay = 0.0\n\n[[source]]\n'
                           f'id = "hostile"\nname = "Hostile site"\nkind = "feed"\nurl = "{server.base}/feed.xml"\n'
                           f"max_bytes = {MAX_BYTES}\ntimeout = 20.0\nrelevance = false\n")
        started = time.monotonic()
        crawl = run("crawl", "--db", db, "--sources", sources, timeout=600)
        crawl_seconds = time.monotonic() - started
        import resource
        peak_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        record = run_record(db)[-1]
        report = record["counts"].get("crawl", {}).get("hostile", {})
        notes = report.get("notes", [])
        conn = sqlite3.connect(db)
        stored = {r[0]: (r[1], r[2], r[3]) for r in conn.execute(
            "SELECT url, length(text), status, json_extract(extra, '$.text_cut.chars') FROM documents")}
        conn.close()
        for name, (path, _body, expected) in server.items.items():
            url = server.url(path)
            if expected == "stored":
                row = stored.get(url)
                if row is None:
                    outcomes[name] = "LOST"
                elif row[0]:
                    cut = f" (cut from {row[2]:,}, recorded)" if row[2] else ""
                    outcomes[name] = f"stored, {row[0]:,} characters of text{cut}"
                else:
                    outcomes[name] = f"stored with status {row[1]} (no text extracted)"
            elif expected == "skipped":
                outcomes[name] = "skipped (not http)" if url not in stored else "STORED"
            else:
                reason = "article " + expected.split(": ", 1)[1]
                outcomes[name] = f"refused: {reason}" if reason in notes and url not in stored \
                    else f"NOT REFUSED (notes: {notes})"
    # Hostile rows straight into the store, then the rest of the pipeline.
    conn = sqlite3.connect(db)
    with conn:
        for name, (sql, params) in HOSTILE_ROWS.items():
            conn.execute(sql, params)
            outcomes[name] = "inserted"
    conn.close()
    steps = {
        "tag": run("tag", "--db", db),
        "build": run("build", "--db", db, "--out", out),
        "snapshot": run("snapshot", "--db", db, "--out", snap),
        "search": run("search", "--db", db, "alert"),
        "export": run("export", "--db", db, "--format", "json", "--table", "documents", "--out", work / "documents.json"),
        "query": run("query", "--db", db, "--json", "SELECT id, name FROM entities WHERE origin = 'model' LIMIT 50"),
        "status": run("status", "--db", db),
    }
    problems = [f"crawl exited {crawl.returncode}: {crawl.stderr[-500:]}"] if crawl.returncode not in (0, 1) else []
    for step, result in steps.items():
        if result.returncode != 0 or "Traceback" in result.stderr:
            problems.append(f"{step} exited {result.returncode}: {result.stderr.strip()[-800:]}")
    site_problems = scan_site(out) if out.exists() else ["no site built"]
    problems += site_problems
    for name in HOSTILE_ROWS:
        outcomes[name] = "inert in the site" if not site_problems and out.exists() else "SITE PROBLEMS"
    # Nothing written outside the output folders: only these names may appear in the work folder.
    allowed = {"rivalry.db", "rivalry.db-wal", "rivalry.db-shm", "rivalry.db.lock", "public", "snapshot.db",
               ".public.lock", ".public.spare", "sources.toml", "documents.json"}
    strays = sorted(p.name for p in work.iterdir() if p.name not in allowed and not p.name.startswith(".public."))
    if strays:
        problems.append(f"files written outside the output folders: {strays}")
    # Where the path-traversal ids would land if they ever became paths.
    for escape in (work.parent / "etc" / "passwd", work.parent / "x", work.parent.parent / "tmp" / "pwn",
                   Path("/tmp/pwn"), out.parent / "tmp" / "pwn"):
        if escape.exists():
            problems.append(f"something was written to {escape}")
    store_issues, duplicates = store_problems(db)
    problems += store_issues
    if crawl_seconds > 120:
        problems.append(f"crawl took {crawl_seconds:.0f}s")
    if peak_rss_mb > 1500:
        problems.append(f"a child process peaked at {peak_rss_mb:.0f} MB (the bomb was inflated?)")
    bad = {k: v for k, v in outcomes.items() if v.isupper() or v.startswith(("LOST", "NOT", "STORED", "SITE"))}
    problems += [f"{k}: {v}" for k, v in bad.items()]
    figures = {"hostile_tried": len(outcomes), "hostile_neutralised": len(outcomes) - len(bad),
               "outcomes": outcomes, "crawl_seconds": round(crawl_seconds, 1),
               "peak_child_rss_mb": round(peak_rss_mb), "duplicates": duplicates, "problems": problems,
               "run_errors": record["errors"], "notes": notes}
    log(json.dumps(figures, indent=1, ensure_ascii=False))
    return figures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path("test-output/hostile"))
    args = parser.parse_args(argv)
    import shutil

    shutil.rmtree(args.work, ignore_errors=True)
    figures = run_harness(args.work.resolve())
    return 0 if not figures["problems"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
