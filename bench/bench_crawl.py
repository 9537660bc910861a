"""Incremental crawl benchmark: crawl a local fixture site twice and print the second run's
requests as a share of the first's (target: at most 10%), then once more after one new item.

The site (generated here, served on 127.0.0.1 by tests/crawler_site.py) has a paged listing
(``?page=N``, 10 items a page) and an RSS feed over the same articles, like a ministry site.

    .venv/bin/python bench/bench_crawl.py [--pages 5] [--per-page 10]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from crawler_site import Site  # noqa: E402

ARTICLE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>
<meta property="article:published_time" content="{date}T14:00:00+00:00"></head>
<body><!-- BENCHMARK FIXTURE, generated --><h1>{title}</h1><div class="body">
<p>WASHINGTON (benchmark fixture) — Item {n}: the Bureau of Industry and Security adjusted export
controls on advanced computing chips and semiconductor manufacturing equipment.</p>
<p>A second paragraph of plausible length, so that extraction does a realistic amount of work.</p>
</div></body></html>"""


def make_site(root: Path, pages: int, per_page: int, extra: int = 0) -> int:
    total = pages * per_page + extra
    items = [(n, f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}") for n in range(total, 0, -1)]  # newest first
    (root / "news").mkdir(parents=True, exist_ok=True)
    for n, date in items:
        (root / "news" / f"item-{n}").write_text(ARTICLE.format(title=f"Export controls update {n}", date=date, n=n))
    chunks = [items[i:i + per_page] for i in range(0, len(items), per_page)]
    for number, chunk in enumerate(chunks):
        rows = "".join(f'<li class="item"><a href="/news/item-{n}">Export controls update {n}</a>'
                       f'<span class="date">{date}</span></li>' for n, date in chunk)
        name = "listing" if number == 0 else f"listing__page={number}"
        (root / name).write_text(f"<html><body><ul>{rows}</ul></body></html>")
    feed_items = "".join(f"<item><title>Export controls update {n}</title><link>{{{{BASE}}}}/news/item-{n}?utm_source=rss</link>"
                         f"<pubDate>{date}T14:00:00Z</pubDate></item>" for n, date in items[:per_page])
    (root / "feed.xml").write_text(f'<?xml version="1.0"?><rss version="2.0"><channel><title>bench</title>{feed_items}</channel></rss>')
    return total


SOURCES = """
[defaults]
user_agent = "RivalryBench/1.0"
contact = "bench@example.org"
delay = 0.0

[[source]]
id = "bench-listing"
name = "Benchmark listing"
kind = "listing"
url = "{base}/listing"
max_pages = 50
[source.selectors]
item = "li.item"
item_date = "span.date::text"
[source.paging]
mode = "query"
param = "page"
first = 0

[[source]]
id = "bench-feed"
name = "Benchmark feed"
kind = "feed"
url = "{base}/feed.xml"
"""


def crawl(db: Path, sources: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rivalry.cli", "crawl", "--db", str(db), "--sources", str(sources)],
                   check=True, capture_output=True, cwd=ROOT, env={**os.environ, "RIVALRY_PROGRESS_INTERVAL": "0"})
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=5)
    parser.add_argument("--per-page", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        site_root = tmp / "site"
        total = make_site(site_root, args.pages, args.per_page)
        with Site(site_root) as site:
            sources = tmp / "sources.toml"
            sources.write_text(SOURCES.format(base=site.base))
            db = tmp / "bench.db"
            first_s = crawl(db, sources)
            first = len(site.requests)
            site.requests.clear()
            second_s = crawl(db, sources)
            second = list(site.requests)
            make_site(site_root, args.pages, args.per_page, extra=1)  # one new item on top
            site.requests.clear()
            third_s = crawl(db, sources)
            third = len(site.requests)
    print(f"fixture site: {total} articles, {args.pages} listing pages of {args.per_page} + an RSS feed")
    print(f"run 1 (empty store):        {first:4d} requests  {first_s:5.1f} s")
    print(f"run 2 (nothing changed):    {len(second):4d} requests  {second_s:5.1f} s  "
          f"= {100 * len(second) / first:.1f}% of run 1 (target <= 10%)   {second}")
    print(f"run 3 (one new item):       {third:4d} requests  {third_s:5.1f} s  = {100 * third / first:.1f}% of run 1")
    if len(second) > first * 0.10:
        sys.exit("FAIL: the second run asked for more than 10% of the first run's requests")


if __name__ == "__main__":
    main()
