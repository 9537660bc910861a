"""Database-as-product benchmark (issue: the database as a product).

    python bench/bench_database.py [--documents 100000] [--events 250000] [--repeat 30]

Builds a synthetic store, then measures, with the process already started:
- `rivalry search` top 20: median over repeated queries (search_documents on an open connection);
- `rivalry query` on the timeline view filtered by one entity and one year: median;
- the publication snapshot of the whole database: wall time.
Targets: search <= 50 ms, timeline query <= 50 ms, snapshot <= 10 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from make_synthetic_db import make  # noqa: E402

from rivalry import store  # noqa: E402
from rivalry.reading import run_query, search_documents, snapshot  # noqa: E402

# Terms an analyst searches for, with the share of documents that contain them in this corpus:
# a few are in most documents, most are selective, as in real press releases and news.
DOMAIN_TERMS = {"export": 0.45, "controls": 0.40, "semiconductor": 0.30, "China": 0.60,
                "national security": 0.25, "Commerce": 0.30, "Huawei": 0.10, "Nvidia": 0.12,
                "Entity List": 0.08, "rare earth": 0.04, "H20": 0.03, "Ascend": 0.02,
                "distillation": 0.01, "countermeasures": 0.05, "tariff": 0.10, "sanctions": 0.08,
                "MOFCOM": 0.06, "licence": 0.07, "DeepSeek": 0.03, "smuggling": 0.02}
FILLER = [f"w{i}" for i in range(20_000)]
FILLER_WEIGHTS = [1 / (rank + 1) for rank in range(len(FILLER))]  # Zipf: a few words everywhere
SEARCHES = ["export", "H20", '"rare earth"', "Huawei AND Ascend", "distillation", '"Entity List"',
            "semicon*", "sanctions OR countermeasures", "Nvidia", "smuggling", "DeepSeek",
            '"national security"', "MOFCOM", "licen*", "tariff"]


def realistic_text(rnd) -> str:
    words = rnd.choices(FILLER, weights=FILLER_WEIGHTS, k=220)
    for term, share in DOMAIN_TERMS.items():
        if rnd.random() < share:
            words.insert(rnd.randrange(len(words)), term)
    return " ".join(words)
TIMELINE_SQL = ("SELECT * FROM timeline WHERE (actor_id = :entity OR target_id = :entity "
                "OR object_id = :entity) AND date >= :start AND date < :end ORDER BY date DESC")


def median_ms(func, repeat: int) -> float:
    times = []
    for i in range(repeat):
        started = time.perf_counter()
        func(i)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--documents", type=int, default=100_000)
    ap.add_argument("--events", type=int, default=250_000)
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.db"
        started = time.perf_counter()
        make(db_path, args.documents, args.events, text_for=realistic_text)
        store.open_db(db_path).close()  # views
        print(f"generated {args.documents} documents, {args.events} events in "
              f"{time.perf_counter() - started:.1f} s ({db_path.stat().st_size / 1e6:.0f} MB)")
        conn = store.open_readonly(db_path)
        search_ms = median_ms(lambda i: search_documents(conn, SEARCHES[i % len(SEARCHES)], limit=20),
                              args.repeat)
        worst_search = max((median_ms(lambda i: search_documents(conn, q, limit=20), 5), q) for q in SEARCHES)
        # Entities across the Zipf spread: rank 0 is in ~40% of events (like "United States").
        entities = ["entity-0", "entity-3", "entity-10", "entity-40", "entity-150"]

        def timeline(i):
            year = 2021 + i % 5
            list(run_query(conn, TIMELINE_SQL, {"entity": entities[i % len(entities)],
                                                "start": f"{year}-01-01", "end": f"{year + 1}-01-01"})[1])
        query_ms = median_ms(timeline, args.repeat)
        per_entity = {e: median_ms(lambda i, e=e: list(run_query(conn, TIMELINE_SQL, {
            "entity": e, "start": "2023-01-01", "end": "2024-01-01"})[1]), 5) for e in entities}
        started = time.perf_counter()
        snapshot(db_path, Path(tmp) / "snap" / "rivalry.db")
        snapshot_s = time.perf_counter() - started
    print(f"search top 20, median of {args.repeat}:            {search_ms:7.1f} ms  (target <= 50 ms)")
    print(f"  slowest query: {worst_search[1]!r} {worst_search[0]:.1f} ms")
    print(f"timeline by entity and year, median of {args.repeat}: {query_ms:7.1f} ms  (target <= 50 ms)")
    print("  per entity (2023): " + ", ".join(f"{e} {ms:.1f} ms" for e, ms in per_entity.items()))
    print(f"snapshot of the whole database:              {snapshot_s:7.2f} s   (target <= 10 s)")


if __name__ == "__main__":
    main()
