"""Site build benchmark: full build, incremental rebuild, search indexing, and Hugo on the same
number of comparable pages, all in one run.

    python bench/bench_site.py [--documents 20000] [--events 50000] [--work DIR]

Prints pages/second, peak memory (the build runs in a child process so the figure is the
build's alone), and the ratio to Hugo (Debian's /usr/bin/hugo).
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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from rivalry import store
from sitegen.build import build_site
db = store.open_db({db!r})
t = time.perf_counter()
counts = build_site(db, {out!r}, search_index={search})
counts["seconds"] = time.perf_counter() - t
counts["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(counts))
"""


def build(db: Path, out: Path, search: bool = False) -> dict:
    code = CHILD.format(root=str(ROOT), db=str(db), out=str(out), search=search)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def hugo_site(folder: Path, pages: int, per_section: int = 2000) -> None:
    """A Hugo site of `pages` content pages shaped like event pages, with section lists."""
    (folder / "layouts/_default").mkdir(parents=True)
    (folder / "config.toml").write_text(
        'baseURL = "/"\ntitle = "bench"\nrelativeURLs = true\n'
        'disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]\n'
        "[pagination]\npagerSize = 50\n")
    (folder / "layouts/_default/baseof.html").write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title>'
        '<link rel="stylesheet" href="/static/style.css"></head><body><header><nav>'
        '<a href="/">Home</a></nav></header><main>{{ block "main" . }}{{ end }}</main>'
        "<footer>Events</footer></body></html>")
    (folder / "layouts/_default/single.html").write_text(
        '{{ define "main" }}<article><h1>{{ .Params.actor }} → {{ .Params.target }}</h1><dl>'
        "<dt>Action</dt><dd>{{ .Params.action }}</dd><dt>Date</dt><dd>{{ .Date.Format \"2006-01-02\" }}</dd>"
        "</dl><blockquote>{{ .Params.evidence }}</blockquote>{{ .Content }}</article>{{ end }}")
    (folder / "layouts/_default/list.html").write_text(
        '{{ define "main" }}<h1>{{ .Title }}</h1><ol>{{ range .Paginator.Pages }}'
        '<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Params.evidence }}</li>'
        "{{ end }}</ol>{{ end }}")
    (folder / "layouts/index.html").write_text("<!doctype html><title>home</title>")
    content = folder / "content"
    for i in range(pages):
        section = content / f"s{i // per_section}"
        if i % per_section == 0:
            section.mkdir(parents=True)
        (section / f"p{i}.md").write_text(
            f'---\ntitle: "Event {i}"\ndate: 2024-{1 + i % 12:02d}-{1 + i % 28:02d}\n'
            f'actor: "Entity {i % 400}"\ntarget: "Entity {(i * 7) % 400}"\naction: "export_control"\n'
            f'evidence: "Entity {i % 400} tightened rule {i} against Entity {(i * 7) % 400}."\n---\n')


def run_hugo(folder: Path) -> dict:
    out = folder / "public"
    t = time.perf_counter()
    proc = subprocess.run(["/usr/bin/hugo", "--quiet", "-s", str(folder), "-d", str(out)],
                          capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"hugo failed: {proc.stderr.strip()[-400:]}")
    pages = sum(1 for _ in out.rglob("*.html"))
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"pages": pages, "seconds": seconds, "peak_mb": peak}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--documents", type=int, default=20000)
    ap.add_argument("--events", type=int, default=50000)
    ap.add_argument("--work", type=Path, default=None)
    a = ap.parse_args()
    work = Path(a.work or tempfile.mkdtemp(prefix="bench-site-"))
    work.mkdir(parents=True, exist_ok=True)
    from make_synthetic_db import make

    db, out = work / "bench.db", work / "public"
    for p in (db, out):
        shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
    t = time.perf_counter()
    make(db, a.documents, a.events)
    print(f"synthetic store: {a.documents} documents, {a.events} events "
          f"({time.perf_counter() - t:.1f} s)")

    full = build(db, out)
    rate = full["pages"] / full["seconds"]
    print(f"full build: {full['pages']} pages in {full['seconds']:.2f} s = {rate:.0f} pages/s, "
          f"peak memory {full['peak_mb']:.0f} MB")

    make(db, 100, 250, start_doc=a.documents)  # 100 new documents with their events
    inc = build(db, out)
    print(f"incremental after +100 documents: {inc['seconds']:.2f} s "
          f"({inc['written']} written, {inc['unchanged']} unchanged, {inc['removed']} removed)")

    from sitegen import search
    t = time.perf_counter()
    search.index(out)
    print(f"search indexing (pagefind, {a.events + 250} event pages): {time.perf_counter() - t:.1f} s")

    hugo_dir = work / "hugo"
    shutil.rmtree(hugo_dir, ignore_errors=True)
    hugo_site(hugo_dir, full["pages"])
    hugo = run_hugo(hugo_dir)
    hrate = hugo["pages"] / hugo["seconds"]
    print(f"hugo: {hugo['pages']} pages in {hugo['seconds']:.2f} s = {hrate:.0f} pages/s, "
          f"peak memory {hugo['peak_mb']:.0f} MB")
    print(f"ratio (ours / hugo, pages per second): {rate / hrate:.2f}")
    if not a.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
