"""Network-fault harness: a crawl of many sources against a local fault server (127.0.0.1)
that mixes slow responses, hangs past the timeout, connection resets, truncated bodies,
redirect chains and cycles, 429/503 with Retry-After, plain 503s and flapping availability.

Every article URL has a fixed fate: served after its faults ('recovers') or never ('fails').
The crawl must finish within its configured limits, store every URL that recovers, store none
that fails, and account for every failure in the run record (runs.counts / runs.errors):
per source, entries seen = documents stored + article errors recorded.

    python -m reliability.faults --sources 12 --articles 90
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import socket
import sqlite3
import struct
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

from reliability.common import QuietHandler, run, run_record, store_problems

# kind -> (weight, outcome). 'recovers': served after the faults; 'fails': never served.
KINDS = {
    "ok": (30, "recovers"),
    "slow": (10, "recovers"),            # 0.3 s before the first byte, under the timeout
    "hang": (2, "fails"),                # no answer before the timeout, every time
    "reset": (6, "fails"),               # connection reset, every time
    "reset_once": (8, "recovers"),       # flapping: reset once, then fine
    "truncated": (6, "fails"),           # Content-Length promises more than is sent
    "redirect_chain": (3, "fails"),      # /r/1 -> /r/2 -> ... forever
    "redirect_cycle": (3, "fails"),      # A -> B -> A
    "rate_limited_once": (6, "recovers"),  # 429 Retry-After: 1, then fine
    "unavailable_retry_after": (3, "fails"),  # 503 Retry-After: 1, every time
    "unavailable_twice": (8, "recovers"),  # flapping: 503 twice (no Retry-After), then fine
    "server_error": (3, "fails"),        # 500 every time
}
TIMEOUT = 1.0
ARTICLE = ("<html><head><title>{title}</title>"
           "<meta property='article:published_time' content='2025-03-{day:02d}T12:00:00+00:00'></head>"
           "<body><article><h1>{title}</h1><p>{body}</p></article></body></html>")
BODY = ("The Commerce Department's Bureau of Industry and Security added Chinese chip makers to the "
        "Entity List, tightening export controls on advanced semiconductors and AI chips such as the "
        "Nvidia H20. China's Ministry of Commerce said it firmly opposes the move. ") * 3


class FaultServer:
    def __init__(self, sources: int, articles: int, seed: int):
        rng = random.Random(seed)
        kinds, weights = zip(*((k, w) for k, (w, _) in KINDS.items()))
        self.plan = {(s, i): rng.choices(kinds, weights)[0] for s in range(sources) for i in range(articles)}
        self.sources, self.articles = sources, articles
        self.hits = collections.Counter()
        self.faults = collections.Counter()   # fault responses injected, per kind
        self.lock = threading.Lock()
        server = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"

            def send(self, status, body=b"", headers=()):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def reset(self):
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()

            def do_GET(self):
                path = self.path.split("?")[0]
                with server.lock:
                    server.hits[path] += 1
                    hit = server.hits[path]
                parts = path.strip("/").split("/")
                if path == "/robots.txt":
                    return self.send(404)
                if path == "/down.xml":  # a source that is down all night: its feed resets
                    server.injected("source_down")
                    return self.reset()
                if parts[0] == "feed":
                    s = int(parts[1].split(".")[0])
                    return self.send(200, server.feed(s).encode(), [("Content-Type", "application/rss+xml")])
                if parts[0] == "a":
                    s, i = int(parts[1]), int(parts[2])
                    return server.article(self, s, i, hit, parts[3:])
                self.send(404)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def feed(self, s: int) -> str:
        items = "".join(
            f"<item><title>Article {s}-{i}</title><link>{self.base}/a/{s}/{i}</link>"
            f"<pubDate>Mon, {(i % 27) + 1:02d} Mar 2025 12:00:00 GMT</pubDate></item>"
            for i in range(self.articles))
        return f"<?xml version='1.0'?><rss version='2.0'><channel><title>Source {s}</title>{items}</channel></rss>"

    def injected(self, kind):
        with self.lock:
            self.faults[kind] += 1

    def article(self, h, s, i, hit, rest):
        kind = self.plan[(s, i)]
        ok = lambda: h.send(200, ARTICLE.format(title=f"Export controls report {s}-{i}", day=(i % 27) + 1,
                                                body=BODY).encode(), [("Content-Type", "text/html; charset=utf-8")])
        if kind == "ok":
            return ok()
        if kind == "slow":
            self.injected(kind)
            time.sleep(0.3)
            return ok()
        if kind == "hang":
            self.injected(kind)
            time.sleep(TIMEOUT * 2.5)
            return h.reset()
        if kind == "reset" or (kind == "reset_once" and hit == 1):
            self.injected(kind)
            return h.reset()
        if kind == "truncated":
            self.injected(kind)
            body = ARTICLE.format(title="cut", day=1, body=BODY).encode()
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            h.send_header("Content-Length", str(len(body) * 4))
            h.end_headers()
            h.wfile.write(body)
            h.wfile.flush()
            return h.reset()
        if kind == "redirect_chain":
            self.injected(kind)
            n = int(rest[0]) + 1 if rest else 1
            return h.send(302, headers=[("Location", f"/a/{s}/{i}/{n}")])
        if kind == "redirect_cycle":
            self.injected(kind)
            return h.send(302, headers=[("Location", f"/a/{s}/{i}" if rest else f"/a/{s}/{i}/b")])
        if kind == "rate_limited_once" and hit == 1:
            self.injected(kind)
            return h.send(429, b"slow down", [("Retry-After", "1")])
        if kind == "unavailable_retry_after":
            self.injected(kind)
            return h.send(503, b"maintenance", [("Retry-After", "1")])
        if kind == "unavailable_twice" and hit <= 2:
            self.injected(kind)
            return h.send(503, b"unavailable")
        if kind == "server_error":
            self.injected(kind)
            return h.send(500, b"oops")
        return ok()

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def sources_file(path: Path, server: FaultServer) -> Path:
    blocks = ['[defaults]\nuser_agent = "RivalryFaults/1.0"\ncontact = "tests@example.org"\ndelay = 0.0\n']
    for s in range(server.sources):
        blocks.append(f'[[source]]\nid = "fault-{s}"\nname = "Fault source {s}"\nkind = "feed"\n'
                      f'url = "{server.base}/feed/{s}.xml"\ntimeout = {TIMEOUT}\nrelevance = false\n')
    blocks.append(f'[[source]]\nid = "fault-down"\nname = "Down all night"\nkind = "feed"\n'
                  f'url = "{server.base}/down.xml"\ntimeout = {TIMEOUT}\n')
    path.write_text("\n".join(blocks))
    return path


def run_harness(work: Path, sources: int = 12, articles: int = 90, seed: int = 5, log=print) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    db = work / "faults.db"
    for p in work.glob("faults.db*"):
        p.unlink()
    with FaultServer(sources, articles, seed) as server:
        config = sources_file(work / "sources.toml", server)
        started = time.monotonic()
        result = run("crawl", "--db", db, "--sources", config, timeout=1800,
                     env={"RIVALRY_PROGRESS_INTERVAL": "0"})
        seconds = time.monotonic() - started
        requests = sum(server.hits.values())
        faults = dict(server.faults)
    conn = sqlite3.connect(db)
    stored = {r[0] for r in conn.execute("SELECT url FROM documents")}
    conn.close()
    record = run_record(db)[-1]
    report = record["counts"].get("crawl", {})
    problems, duplicates = store_problems(db)
    per_source, unaccounted, wrongly_stored, missing = {}, 0, 0, 0
    for s in range(sources):
        sid = f"fault-{s}"
        r = report.get(sid, {})
        fates = [(i, KINDS[server.plan[(s, i)]][1]) for i in range(articles)]
        expect_fail = sum(1 for _, f in fates if f == "fails")
        urls = {i: f"{server.base}/a/{s}/{i}" for i in range(articles)}
        got = {i for i in urls if urls[i] in stored}
        missing += sum(1 for i, f in fates if f == "recovers" and i not in got)
        wrongly_stored += sum(1 for i, f in fates if f == "fails" and i in got)
        accounted = r.get("new", 0) + r.get("changed", 0) + r.get("unchanged", 0) + r.get("article_errors", 0)
        unaccounted += max(0, r.get("entries", 0) - accounted) + max(0, articles - r.get("entries", 0))
        per_source[sid] = {"entries": r.get("entries"), "stored": len(got), "article_errors": r.get("article_errors"),
                           "expected_errors": expect_fail, "notes": r.get("notes")}
        if r.get("article_errors", 0) != expect_fail:
            problems.append(f"{sid}: {r.get('article_errors')} article error(s) recorded, {expect_fail} expected "
                            f"(notes: {r.get('notes')})")
    down = record["errors"].get("fault-down", "")
    if not down:
        problems.append("the source that was down is not in the run record's errors")
    if result.returncode == 0:
        problems.append("a failed source, yet the crawl exited 0")
    limit = limit_seconds(server.plan, sources, articles)
    if seconds > limit:
        problems.append(f"crawl took {seconds:.0f}s, over its configured limit of {limit:.0f}s")
    if unaccounted:
        problems.append(f"{unaccounted} article(s) neither stored nor recorded as failed")
    if missing:
        problems.append(f"{missing} article(s) that recover were not stored")
    if wrongly_stored:
        problems.append(f"{wrongly_stored} failing article(s) stored")
    if record["status"] == "running":
        problems.append("run record still 'running'")
    injected = sum(faults.values())
    figures = {
        "seed": seed, "sources": sources, "articles": articles, "requests": requests,
        "seconds": round(seconds, 1), "limit_seconds": round(limit), "exit_code": result.returncode,
        "faults_injected": injected, "faults_by_kind": faults,
        "faults_survived": injected if not problems else 0,
        "recovering_urls_stored": sum(v["stored"] for v in per_source.values()),
        "failures_recorded": sum(v["article_errors"] or 0 for v in per_source.values()),
        "unaccounted": unaccounted, "missing": missing, "wrongly_stored": wrongly_stored,
        "duplicates": duplicates, "problems": problems, "per_source": per_source,
        "run_status": record["status"], "down_source_error": down,
    }
    log(json.dumps({k: v for k, v in figures.items() if k != "per_source"}, indent=1))
    return figures


def limit_seconds(plan: dict, sources: int, articles: int) -> float:
    """The longest the crawl may take under its configured limits: per source, requests run one
    at a time; a hang costs (1 + RETRY_TIMES) timeouts, a Retry-After waits its seconds
    (at most RIVALRY_RETRY_AFTER_TIMES times), plus a generous per-request allowance."""
    per = collections.Counter()
    for (s, _), kind in plan.items():
        per[s] += {"hang": 3 * TIMEOUT, "slow": 0.3, "rate_limited_once": 1.0,
                   "unavailable_retry_after": 3.0 * 3}.get(kind, 0) + 0.5
    return 60 + max(per.values(), default=0) * 1.5


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=12)
    parser.add_argument("--articles", type=int, default=90)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path("test-output/faults"))
    args = parser.parse_args(argv)
    figures = run_harness(args.work.resolve(), args.sources, args.articles, args.seed)
    return 0 if not figures["problems"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
