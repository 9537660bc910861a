"""Datasette over a large snapshot: every canned query, table and view page, and facet, timed
through the real server's JSON API (issue 16).

    python bench/bench_datasette.py /tmp/wt16-bench/snapshot/rivalry.db [--repeat 3]

Serves the snapshot as `rivalry datasette` does (immutable, rivalry/datasette/metadata.json) and
prints, for each request, the median wall time and whether Datasette answered within its time
limit (sql_time_limit_ms, 1 s by default). A table or view page also computes the facets its
metadata lists; one that takes longer than facet_time_limit_ms is left out of the page (Datasette
marks it timed out) and reported here.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
METADATA = ROOT / "rivalry" / "datasette" / "metadata.json"
# Parameters an analyst would give the canned queries on the synthetic store.
PARAMS = {"start": "2023-01-01", "end": "2023-12-31", "chip": "entity-10", "since": "2025-01-01",
          "entity": "entity-0", "source": "source-3"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[float, int, dict]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            body, status = json.load(response), response.status
    except urllib.error.HTTPError as exc:
        body, status = json.loads(exc.read() or b"{}"), exc.code
    return (time.perf_counter() - started) * 1000, status, body


def requests(metadata: dict) -> list[tuple[str, str]]:
    database = metadata["databases"]["rivalry"]
    out = []
    for name, query in database["queries"].items():
        wanted = {p: PARAMS[p] for p in PARAMS if f":{p}" in query["sql"]}
        out.append((f"query {name}", f"/rivalry/{name}.json?" + urllib.parse.urlencode(wanted), []))
    for name, table in database["tables"].items():
        # A table page computes the facets its metadata lists, each under facet_time_limit_ms.
        out.append((f"page {name}", f"/rivalry/{name}.json?_size=50", table.get("facets", [])))
    out.append(("search documents 'export'", "/rivalry/documents.json?_search=export&_size=20", []))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("snapshot", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    metadata = json.loads(METADATA.read_text())
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "datasette", "serve", "--immutable", str(args.snapshot),
                             "--metadata", str(METADATA), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                fetch(f"{base}/-/versions.json")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"datasette did not start: {proc.stderr.read().decode()}")
                time.sleep(0.5)
        slow = 0
        for label, path, facets in requests(metadata):
            runs = [fetch(base + path) for _ in range(args.repeat)]
            ms = statistics.median(r[0] for r in runs)
            status, body = runs[-1][1], runs[-1][2]
            timed_out = [f for f in facets if f not in (body.get("facet_results") or {})]
            note = "ok" if status == 200 else f"HTTP {status}: {str(body.get('error', ''))[:80]}"
            if timed_out:
                note += f", facet timed out: {', '.join(timed_out)}"
            if status != 200 or timed_out or ms > 1000:
                slow += 1
            print(f"{label:48} {ms:8.0f} ms  {note}")
        print(f"{slow} request(s) over 1 s, failed or with a facet timed out")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
