"""Choose the real documents of the gold set from the White House corpus, reproducibly.

    python scripts/select_gold_documents.py [--corpus ../shared/corpus/whitehouse.jsonl.gz]

Writes nlp/data/gold/real/documents.jsonl.gz: the chosen documents (public domain, CC0 collection;
see docs/annotation.md) with their split, and `text` and `published_at` as the crawler stores
them (its own extraction run on the page rebuilt from the corpus text: scripts/corpus_pages.py).
Documents written for the project (synthetic.jsonl) get their `text` the same way. The split is a
hash of the document's path, so adding documents later never moves one between train, dev and test.

The mix is drawn in rounds (ROUNDS below; docs/annotation.md says why): topic-word documents by
section, briefings and remarks up to a length, and `random-other` documents (the nightly noise).
A new round is one more entry at the end of ROUNDS.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from crawler.extract import extract_article  # noqa: E402
from scripts.corpus_pages import page_html  # noqa: E402

REAL = ROOT / "nlp" / "data" / "gold" / "real"
OUT = REAL / "documents.jsonl.gz"
SYNTHETIC = REAL / "synthetic.jsonl"
MAX_OTHER_WORDS = 5_000
SPOKEN = {"press-briefings", "speeches-remarks", "remarks"}


@dataclass(frozen=True)
class Round:
    """One annotation round, drawn with its own seed from what the earlier rounds left, so adding a
    round never changes an earlier round's choice."""
    number: int
    seed: int
    # section -> how many topic-word documents to draw (None: all of them)
    topic_draw: dict[str, int | None]
    max_spoken_words: int  # briefings and remarks longer than this are left out
    random_other: int      # documents of the nightly noise
    # Rounds 1 and 2 predate the "round" field; their rows stay as they were written
    marks_rows: bool = True


ROUNDS = (
    # Round 1 (2026-12-01): every topic-word fact sheet and presidential action, a seeded draw of
    # the rest, briefings and remarks up to 12,000 words (so a batch can be read with care).
    Round(1, 20261201,
          {"fact-sheets": None, "presidential-actions": None, "statements-releases": 70,
           "articles": 25, "briefings-statements": None, "releases": None, "blog": None,
           "research": None, "press-briefings": 25, "speeches-remarks": 12, "remarks": 5},
          12_000, 70, marks_rows=False),
    # Round 2 (2026-12-02): the rest of the topic-word statements and articles (the sections with
    # most in-scope actions per word), shorter briefings and remarks, more nightly noise.
    Round(2, 20261202,
          {"statements-releases": None, "articles": None, "press-briefings": 20,
           "speeches-remarks": 10},
          8_000, 30, marks_rows=False),
    # Round 3 (2026-12-02, later): what the corpus still holds of topic-word text is spoken, where
    # the tagger errs most, so longer ones now; its test documents were a split no one had seen.
    Round(3, 2026120203, {"speeches-remarks": 40, "press-briefings": 25, "remarks": 3}, 6_000, 40),
    # Round 4 (2026-12-03): more remarks and briefings (where the tagger is weakest on dev) and
    # more nightly noise.
    Round(4, 2026120304, {"speeches-remarks": 30, "press-briefings": 10}, 6_000, 20),
)


def split_of(path: str) -> str:
    """60 % train, 20 % dev, 20 % test, by a hash of the path (stable as documents are added)."""
    bucket = int(hashlib.sha1(path.encode()).hexdigest()[:8], 16) % 10
    return "train" if bucket < 6 else "dev" if bucket < 8 else "test"


def choose(rows: list[dict]) -> list[dict]:
    """Each round in turn, from what the earlier rounds left."""
    chosen: list[dict] = []
    for round_ in ROUNDS:
        taken = {r["path"] for r in chosen}
        drawn = draw([r for r in rows if r["path"] not in taken], random.Random(round_.seed),
                     round_.topic_draw, round_.max_spoken_words, round_.random_other)
        if round_.marks_rows:
            for r in drawn:
                r["round"] = round_.number
        chosen += drawn
    return sorted(chosen, key=lambda r: r["path"])


def draw(rows: list[dict], rng: random.Random, topic_draw: dict, max_spoken_words: int,
         random_other: int) -> list[dict]:
    """One round: per section, all or a seeded sample of the topic-word documents (spoken ones
    up to `max_spoken_words`), then `random_other` of the nightly noise."""
    chosen = []
    for section, n in topic_draw.items():
        pool = [r for r in rows if r["selected_as"] == "matches-topic-words" and r["section"] == section
                and (section not in SPOKEN or len(r["markdown"].split()) <= max_spoken_words)]
        chosen += pool if n is None or n >= len(pool) else rng.sample(pool, n)
    others = [r for r in rows if r["selected_as"] == "random-other"
              and len(r["markdown"].split()) <= MAX_OTHER_WORDS]
    return chosen + rng.sample(others, random_other)


def as_stored(row: dict) -> dict:
    """The row with `text` and `published_at` (UTC) as the crawler would store its page."""
    found = extract_article(page_html(row), row["source_url"], tz="America/New_York")
    return {**row, "text": found.text, "published_at": found.published_at}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus" / "whitehouse.jsonl.gz"))
    args = ap.parse_args()
    rows = [json.loads(line) for line in gzip.open(args.corpus, "rt", encoding="utf-8")]
    chosen = choose(rows)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same selection gives the same bytes
    with gzip.GzipFile(OUT, "wb", mtime=0) as f:
        for r in chosen:
            row = as_stored({**r, "split": split_of(r["path"])})
            f.write((json.dumps(row, ensure_ascii=False) + "\n").encode())
    print(f"{len(chosen)} documents -> {OUT.relative_to(ROOT)}")
    if SYNTHETIC.exists():
        rows = [json.loads(line) for line in SYNTHETIC.read_text(encoding="utf-8").splitlines()
                if line.strip()]
        rows = [as_stored({**r, "split": split_of(r["path"])}) for r in rows]
        SYNTHETIC.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                             encoding="utf-8")
        print(f"{len(rows)} documents written for the project -> {SYNTHETIC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
