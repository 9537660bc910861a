"""Build samples/sample.warc.gz from the hand-written responses in samples/web/.

The manifest (samples/web/manifest.toml) maps each real-source URL to a file and content type;
the archive it produces is what `rivalry crawl --replay samples/sample.warc.gz` reads.
Run: python scripts/build_sample_archive.py
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from warcio.warcwriter import WARCWriter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from crawler.archive import write_response  # noqa: E402

WEB = ROOT / "samples" / "web"
OUT = ROOT / "samples" / "sample.warc.gz"


def main() -> None:
    # manifest.toml (hand-written responses) and manifest-*.toml (written by scripts, e.g. the
    # real White House documents of build_real_sample.py)
    entries = []
    for path in sorted(WEB.glob("manifest*.toml")):
        entries += tomllib.loads(path.read_text(encoding="utf-8"))["response"]
    entries = sorted(entries, key=lambda e: e["url"])  # stable archive order
    with open(OUT, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for entry in entries:
            body = (WEB / entry["file"]).read_bytes()
            headers = [("Content-Type", entry["content_type"])]
            write_response(writer, entry["url"], entry.get("status", 200), headers, body)
    print(f"wrote {OUT.relative_to(ROOT)}: {len(entries)} responses")


if __name__ == "__main__":
    main()
