"""The White House part of the bundled sample: real documents at their real URLs.

    python scripts/build_real_sample.py && python scripts/build_sample_archive.py

Takes the presidential actions of the White House corpus (../shared/corpus, CC0 collection
brian14708/wh-briefings, works of the US government) that are on www.whitehouse.gov — every
one that mentions China with AI, chips, export controls, tariffs or investment, and a seeded
draw of the others (the noise a nightly crawl sees) — leaving out the gold set's test split.
Each page is rebuilt from the corpus text (scripts/corpus_pages.py, labelled as such), the
feed lists them like the real WordPress feed, and samples/web/manifest-whitehouse.toml maps the
real URLs to the files. The hand-written White House pages this replaces are gone: real text
exists for this source.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import sys
from datetime import datetime, timezone
from email.utils import format_datetime
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.corpus_pages import REBUILT_NOTE, page_html  # noqa: E402
from scripts.select_gold_documents import split_of  # noqa: E402

WEB = ROOT / "samples" / "web"
PAGES = WEB / "whitehouse" / "real"
MANIFEST = WEB / "manifest-whitehouse.toml"
FEED_URL = "https://www.whitehouse.gov/presidential-actions/feed/"
PREFIX = "https://www.whitehouse.gov/presidential-actions/"
NOISE = 20
SEED = 20261201


def choose(rows: list[dict]) -> list[dict]:
    pool = [r for r in rows if r["source_url"].startswith(PREFIX) and split_of(r["path"]) != "test"]
    topic = [r for r in pool if r["selected_as"] == "matches-topic-words"]
    other = [r for r in pool if r["selected_as"] == "random-other"]
    picked = topic + random.Random(SEED).sample(other, NOISE)
    return sorted(picked, key=lambda r: r["published_time"], reverse=True)  # a feed: newest first


def file_name(row: dict) -> str:
    slug = row["source_url"].rstrip("/").rsplit("/", 1)[-1][:80]
    return f"{slug}-{hashlib.sha1(row['source_url'].encode()).hexdigest()[:6]}.html"


def feed_xml(rows: list[dict]) -> str:
    items = []
    for r in rows:
        when = datetime.fromisoformat(r["published_time"]).astimezone(timezone.utc)
        items.append(f"""	<item>
		<title>{escape(r["title"])}</title>
		<link>{escape(r["source_url"])}</link>
		<dc:creator><![CDATA[The White House]]></dc:creator>
		<pubDate>{format_datetime(when)}</pubDate>
		<guid isPermaLink="false">{escape(r["source_url"])}</guid>
	</item>""")
    return f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
	<title>Presidential Actions &#8211; The White House</title>
	<atom:link href="{FEED_URL}" rel="self" type="application/rss+xml" />
	<link>https://www.whitehouse.gov/presidential-actions/</link>
	<description>{escape(REBUILT_NOTE)} The feed lists real presidential actions at their real URLs.</description>
	<language>en-US</language>
{chr(10).join(items)}
</channel>
</rss>
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus" / "whitehouse.jsonl.gz"))
    args = ap.parse_args()
    rows = [json.loads(line) for line in gzip.open(args.corpus, "rt", encoding="utf-8")]
    picked = choose(rows)
    PAGES.mkdir(parents=True, exist_ok=True)
    for old in PAGES.glob("*.html"):
        old.unlink()
    entries = ["# Real White House presidential actions, pages rebuilt from the CC0 corpus text",
               "# (scripts/build_real_sample.py writes this file; see samples/README.md).", ""]
    for r in picked:
        name = file_name(r)
        (PAGES / name).write_text(page_html(r), encoding="utf-8")
        entries += ["[[response]]", f'url = "{r["source_url"]}"',
                    f'file = "whitehouse/real/{name}"',
                    'content_type = "text/html; charset=utf-8"', ""]
    (WEB / "whitehouse" / "feed.xml").write_text(feed_xml(picked), encoding="utf-8")
    entries += ["[[response]]", f'url = "{FEED_URL}"', 'file = "whitehouse/feed.xml"',
                'content_type = "application/rss+xml; charset=utf-8"', ""]
    MANIFEST.write_text("\n".join(entries), encoding="utf-8")
    topic = sum(r["selected_as"] == "matches-topic-words" for r in picked)
    print(f"{len(picked)} real White House documents ({topic} on topic, {len(picked) - topic} "
          f"others) -> {PAGES.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
