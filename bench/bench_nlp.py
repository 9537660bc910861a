"""NLP benchmark: words/second of tag_documents vs a bare nlp.pipe with the same model, 1 vs N
worker processes, and peak memory for two corpus sizes — all on the same texts.

    .venv/bin/python bench/bench_nlp.py                    # 250 and 1000 documents, 1 and 2 workers,
                                                           # best of 2 interleaved runs each
    .venv/bin/python bench/bench_nlp.py --sizes 100 --workers 2 --markdown
    .venv/bin/python bench/bench_nlp.py --real --sizes 200 --repeat 1   # real White House text

The corpus is the bundled sample (samples/sample.warc.gz, crawled by replay into a scratch
store) repeated under new URLs until it has the requested number of documents. Every figure is
measured in a fresh child process (so peak RSS is that run's alone) on its own copy of the store.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build_real_corpus(work: Path, size: int) -> Path:
    """A store with `size` real White House documents (the gold set's, text as the crawler
    stores their pages: nlp/data/gold/real/documents.jsonl.gz), repeated if need be."""
    from nlp.eval_documents import load_documents, store_documents
    from rivalry import store

    path = work / f"real-{size}.db"
    if path.exists():
        return path
    rows = load_documents()
    picked = [dict(rows[i % len(rows)], source_url=f"{rows[i % len(rows)]['source_url']}?copy={i}")
              for i in range(size)]
    db = store.open_db(path)
    store_documents(db, picked)
    db.close()
    return path


def model_figures() -> str:
    """The trained entry model's training time and size (written by `rivalry train`)."""
    from nlp.entries import MODEL_DIR

    meta = json.loads((MODEL_DIR / "entries.json").read_text(encoding="utf-8"))
    size = sum(f.stat().st_size for f in MODEL_DIR.rglob("*") if f.is_file())
    return (f"entry model: trained in {meta['train_seconds']:.0f} s on {os.cpu_count()} cores "
            f"({meta['train_groups']} train candidates), {size / 1e6:.1f} MB on disk")


def build_corpus(work: Path, size: int) -> Path:
    """A store with `size` documents: the sample crawl's English documents, repeated."""
    from rivalry import store

    seed = work / "seed.db"
    if not seed.exists():
        # a source failing the replay does not matter here: only the documents do
        subprocess.run([sys.executable, "-m", "rivalry.cli", "crawl", "--replay",
                        str(ROOT / "samples" / "sample.warc.gz"), "--db", str(seed)],
                       cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    src = store.open_db(seed)
    docs = [dict(r) for r in src.query("SELECT * FROM documents WHERE status = 'ok' ORDER BY id")]
    src.close()
    if not docs:
        raise SystemExit("the sample crawl stored no documents")
    path = work / f"corpus-{size}.db"
    if path.exists():
        return path
    db = store.open_db(path)
    with db.conn:
        for s in {d["source_id"] for d in docs}:
            store.upsert_source(db, {"id": s, "name": s, "kind": "feed"})
        for i in range(size):
            d = dict(docs[i % len(docs)])
            d.pop("id", None)
            d["canonical_url"] = d["url"] = f"{d['canonical_url']}?copy={i}"
            store.upsert_document(db, d)
    db.close()
    return path


def _words(db_path: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(db_path)
    n = sum(len((t or "").split()) for (t,) in conn.execute("SELECT text FROM documents"))
    conn.close()
    return n


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the worker processes)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        total += r.ru_utime + r.ru_stime
    return total


def child(mode: str, db_path: str, workers: int) -> dict:
    """One measurement, run in its own process."""
    from rivalry import store

    if mode == "bare":
        import spacy

        from nlp.pipeline import model_name

        nlp = spacy.load(model_name())
        conn = store.open_db(db_path)
        texts = [t for (t,) in conn.execute("SELECT text FROM documents ORDER BY id")]
        c0 = _cpu()
        t0 = time.perf_counter()
        for _ in nlp.pipe(texts, batch_size=32):
            pass
        seconds = time.perf_counter() - t0
    else:
        from nlp.pipeline import load_nlp
        from nlp.tagger import tag_documents

        # loading is not tagging: outside the clock (forked workers inherit this pipeline)
        nlp = load_nlp()
        db = store.open_db(db_path)
        c0 = _cpu()
        t0 = time.perf_counter()
        counts = tag_documents(db, retag=True, workers=workers, nlp=nlp)
        seconds = time.perf_counter() - t0
        assert counts["tagged"] > 0, counts
    cpu = _cpu() - c0
    rss_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_rss_mb": round(rss_self / 1024, 1),
            "peak_rss_worker_mb": round(rss_children / 1024, 1)}


def run_child(mode: str, db_path: Path, workers: int = 1) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, str(db_path), str(workers)],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[250, 1000])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=2, help="runs of each measurement (best kept)")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table too")
    ap.add_argument("--real", action="store_true",
                    help="real White House documents (the gold set's texts) instead of the sample")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        mode, path, workers = args.child
        print(json.dumps(child(mode, path, int(workers))))
        return

    work = Path(tempfile.mkdtemp(prefix="bench-nlp-"))
    rows = []
    try:
        for size in args.sizes:
            corpus = build_real_corpus(work, size) if args.real else build_corpus(work, size)
            words = _words(corpus)
            results = {}
            # interleaved repeats, best of each: other load on the machine only slows a run down
            for _ in range(args.repeat):
                for mode, workers in [("bare", 1), ("tag", 1), ("tag", args.workers)]:
                    copy = work / f"run-{size}-{mode}-{workers}.db"
                    shutil.copy(corpus, copy)
                    r = run_child(mode, copy, workers)
                    copy.unlink()
                    best = results.get((mode, workers))
                    if best is None or r["seconds"] < best["seconds"]:
                        results[(mode, workers)] = best = r
                    best["peak_rss_mb"] = max(best["peak_rss_mb"], r["peak_rss_mb"])
                    best["peak_rss_worker_mb"] = max(best["peak_rss_worker_mb"],
                                                     r["peak_rss_worker_mb"])
            for (mode, workers), r in results.items():
                r["words_per_second"] = words / r["seconds"]
                r["words_per_cpu_second"] = words / r["cpu_seconds"]
                print(f"{size:>6} docs {words:>8} words  {mode:<4} workers={workers}  "
                      f"{r['seconds']:7.1f} s  {r['words_per_second']:8.0f} words/s  "
                      f"{r['words_per_cpu_second']:8.0f} words/CPU-s  "
                      f"peak RSS {r['peak_rss_mb']:.0f} MB (workers {r['peak_rss_worker_mb']:.0f} MB)",
                      flush=True)
            bare = results[("bare", 1)]["words_per_second"]
            one = results[("tag", 1)]["words_per_second"]
            many = results[("tag", args.workers)]["words_per_second"]
            cpu_ratio = results[("tag", 1)]["words_per_cpu_second"] / \
                results[("bare", 1)]["words_per_cpu_second"]
            rows.append({"documents": size, "words": words, "bare": bare, "tag1": one,
                         "cpu_ratio": cpu_ratio,
                         "tagN": many, "ratio": one / bare, "speedup": many / one,
                         "rss1": results[("tag", 1)]["peak_rss_mb"],
                         "rssN": results[("tag", args.workers)]["peak_rss_mb"],
                         "rssN_worker": results[("tag", args.workers)]["peak_rss_worker_mb"]})
            print(f"       tag/bare = {one / bare:.2f} (per CPU-second {cpu_ratio:.2f})   "
                  f"{args.workers} workers / 1 = "
                  f"{many / one:.2f}x", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.markdown:
        n = args.workers
        print(f"\n| documents | words | bare `nlp.pipe` words/s | tag, 1 worker words/s | "
              f"tag/bare (wall / CPU) | tag, {n} workers words/s | speed-up | peak RSS 1 worker | "
              f"peak RSS {n} workers (main / largest worker) |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            print(f"| {r['documents']} | {r['words']} | {r['bare']:.0f} | {r['tag1']:.0f} | "
                  f"{r['ratio']:.2f} / {r['cpu_ratio']:.2f} | {r['tagN']:.0f} | {r['speedup']:.2f}× | "
                  f"{r['rss1']:.0f} MB | {r['rssN']:.0f} / {r['rssN_worker']:.0f} MB |")
    print("\n" + model_figures())
    print(f"cpus: {os.cpu_count()}  python: {sys.version.split()[0]}  "
          f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
