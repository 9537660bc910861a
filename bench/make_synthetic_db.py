"""A synthetic store for benchmarks: N documents, M events, a realistic (Zipf-like) entity spread.

    python bench/make_synthetic_db.py OUT.db --documents 20000 --events 50000

A few entities (the US, China, BIS, MOFCOM, Nvidia, Huawei) appear in most events and a long tail
in few, as in the real data; dates spread over five years; every event quotes a sentence.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rivalry import store  # noqa: E402

ACTIONS = ["export_control", "entity_listing", "license_action", "rescission",
           "investment_restriction", "tariff", "sanction", "criminal_charge", "investigation",
           "distillation_accusation", "accusation", "legislation", "access_restriction",
           "compute_control", "diplomacy", "industrial_policy"]
TYPES = ["agency", "company", "ai_lab", "ai_model", "chip", "official", "law", "country"]
COUNTRIES = ["US"] * 5 + ["CN"] * 5 + ["TW", "NL", "JP", "EU", "KR", "GB"]
WORDS = ("rule export chip license model entity list control semiconductor commerce ministry "
         "announced added firms advanced computing artificial intelligence national security "
         "countermeasure investigation tariff sanction data center cloud").split()


def make(path: Path, documents: int, events: int, entities: int = 400, seed: int = 7,
         start_doc: int = 0, text_for=None) -> None:
    """``text_for(rnd)`` makes a document's text (default: 80 words of a small vocabulary)."""
    rnd = random.Random(seed + start_doc)
    db = store.open_db(path)
    with db.conn:
        for i in range(8):
            store.upsert_source(db, {"id": f"source-{i}", "name": f"Synthetic source {i}",
                                     "owner": "Synthetic", "country": COUNTRIES[i], "kind": "feed"})
        if start_doc == 0:
            db["entities"].insert_all(
                ({"id": f"entity-{i}", "name": f"Entity {i} " + rnd.choice(WORDS).title(),
                  "type": TYPES[i % len(TYPES)], "country": COUNTRIES[i % len(COUNTRIES)],
                  "aliases": f'["E{i}"]'} for i in range(entities)), pk="id", batch_size=1000)
    weights = [1 / (r + 1) ** 1.1 for r in range(entities)]  # Zipf-like: a few dominate
    doc_ids = []
    docs = []
    for i in range(start_doc, start_doc + documents):
        year, month, day = 2021 + i % 5, 1 + (i // 5) % 12, 1 + i % 28
        url = f"https://synthetic.example/doc/{i}"
        text = text_for(rnd) if text_for else " ".join(rnd.choices(WORDS, k=80))
        docs.append({"id": store.document_id(url), "source_id": f"source-{i % 8}", "url": url,
                     "canonical_url": url, "title": f"Synthetic document {i}: " + " ".join(rnd.choices(WORDS, k=6)),
                     "published_at": f"{year}-{month:02d}-{day:02d}T12:00:00+00:00",
                     "fetched_at": "2025-01-01T00:00:00+00:00", "language": "en", "text": text,
                     "content_hash": store.content_hash("t", text), "status": "ok"})
        doc_ids.append((docs[-1]["id"], docs[-1]["published_at"][:10]))
    with db.conn:
        db["documents"].insert_all(docs, batch_size=1000)
    ids = [f"entity-{i}" for i in range(entities)]
    rows = []
    for j in range(events):
        doc, date = doc_ids[j % len(doc_ids)]
        actor, target, obj = rnd.choices(ids, weights=weights, k=3)
        sentence = f"{actor} {rnd.choice(WORDS)} {target}: " + " ".join(rnd.choices(WORDS, k=25)) + "."
        rows.append({"id": f"{start_doc:06d}{j:010d}", "document_id": doc,
                     "action": rnd.choice(ACTIONS), "actor_id": actor, "target_id": target,
                     "object_id": obj if rnd.random() < 0.3 else None, "event_date": date,
                     "date_source": "published", "modality": "asserted", "status": "announced",
                     "evidence": sentence, "evidence_start": 0, "evidence_end": len(sentence),
                     "confidence": round(rnd.random(), 2), "pipeline_version": "synthetic"})
    with db.conn:
        db["events"].insert_all(rows, batch_size=2000)
    db.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--documents", type=int, default=20000)
    ap.add_argument("--events", type=int, default=50000)
    ap.add_argument("--entities", type=int, default=400)
    a = ap.parse_args()
    make(a.out, a.documents, a.events, a.entities)
    print(f"{a.out}: {a.documents} documents, {a.events} events, {a.entities} entities")


if __name__ == "__main__":
    main()
