"""Site build benchmark: full build, rebuild with nothing changed, incremental rebuilds (100 new
documents dated across five years, then 100 from the store's last week, the nightly case), search
indexing, and Hugo on the same number of comparable pages, all in one run.

    python bench/bench_site.py [--documents 20000] [--events 50000] [--work DIR] [--runs 2]
                               [--samples 3] [--stories] [--hugo-max-pages N]

Prints pages/second, peak memory (the build runs in a child process so the figure is the
build's alone), and the ratio to Hugo (Debian's /usr/bin/hugo). Each incremental case is
measured --samples times (100 more documents each time) and the median printed. With
--stories the store's events are clustered into stories first (nlp/stories.py, as the nightly
tagger does) and again after each addition (that clustering's time is printed too, the store
opened outside the clock): an incremental build then derives again only the stories the new
documents touch and plans only their pages (sitegen/stories.py, docs/architecture.md), and those
figures are printed too.

Fair comparison: Hugo builds a site with as many HTML files as ours (content pages shaped like
our event pages plus paginated section lists), written as files (uglyURLs), to the same disk,
after the same `sync`. Builds alternate (ours, Hugo, ours, Hugo) and every run is printed; the
ratio uses the median of each. Output bytes are printed too: ours are the heavier pages.
--hugo-max-pages caps Hugo's site (it holds every page in memory: 323,679 pages took 9.0 GB
at the 200,000-document measure, docs/benchmarks.md, so 734,281 would not fit in 24 GB); the
ratio then compares pages per second at different sizes, and the line says so.
"""

from __future__ import annotations

import argparse
import json
import statistics
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
import sitegen.build as b
counts["timings"] = b.LAST_TIMINGS
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
        'baseURL = "/"\ntitle = "bench"\nrelativeURLs = true\nuglyURLs = true\n'
        'disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]\n'
        "[pagination]\npagerSize = 50\n")
    # The same chrome as our base.html (head, CSP, header navigation, footer) and the same page
    # structure as our event page and list items, so both tools write comparable bytes.
    (folder / "layouts/_default/baseof.html").write_text(
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'self' "
        "'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
        "form-action 'self'\">\n<meta name=\"referrer\" content=\"no-referrer\">\n"
        "<title>{{ .Title }} · AI Rivalry Tracker</title>\n"
        '<link rel="stylesheet" href="{{ "static/style.css" | relURL }}">\n</head>\n<body>\n'
        '<a class="skip" href="#main">Skip to content</a>\n<header class="site">\n'
        '<a class="brand" href="{{ "index.html" | relURL }}">AI Rivalry Tracker</a>\n'
        '<nav aria-label="Site">\n<ul>\n'
        + "".join(f'<li><a href="{{{{ "{h}" | relURL }}}}">{n}</a></li>\n' for h, n in [
            ("timeline/all/all.html", "Timeline"), ("entities.html", "Entities"),
            ("actions.html", "Actions"), ("countries.html", "Countries"),
            ("sources.html", "Sources"), ("search.html", "Search")])
        + '</ul>\n</nav>\n</header>\n<main id="main">\n{{ block "main" . }}{{ end }}\n</main>\n'
        '<footer class="site">\n<p>Events are extracted automatically from government and news '
        "statements; each links to its source. Check the source before you quote it.</p>\n"
        '<p><a href="{{ "methodology.html" | relURL }}">Methodology</a> · '
        '<a href="{{ "downloads.html" | relURL }}">Downloads</a></p>\n</footer>\n</body>\n</html>\n')
    (folder / "layouts/_default/single.html").write_text(
        '{{ define "main" }}<article class="event-page" data-pagefind-body>\n'
        '<p class="kicker">{{ .Params.action }}</p>\n'
        '<h1><a href="{{ printf "entities/%s.html" .Params.actor_id | relURL }}">{{ .Params.actor }}</a> → '
        '<a href="{{ printf "entities/%s.html" .Params.target_id | relURL }}">{{ .Params.target }}</a></h1>\n'
        '<dl class="facts">\n<dt>Action</dt><dd><a href="{{ "timeline/all/all.html" | relURL }}">'
        "{{ .Params.action }}</a></dd>\n<dt>Actor</dt><dd>{{ .Params.actor }}</dd>\n"
        "<dt>Target</dt><dd>{{ .Params.target }}</dd>\n"
        '<dt>Event date</dt><dd><time datetime="{{ .Date.Format "2006-01-02" }}">'
        '{{ .Date.Format "2006-01-02" }}</time></dd>\n<dt>Modality</dt><dd>asserted</dd>\n'
        "<dt>Status</dt><dd>announced</dd>\n<dt>Confidence</dt><dd>{{ .Params.confidence }}</dd>\n</dl>\n"
        '<h2>Evidence</h2>\n<blockquote class="evidence"><p>{{ .Params.evidence }}</p></blockquote>\n'
        '<h2>Source</h2>\n<p class="source"><a href="{{ "documents/x.html" | relURL }}">{{ .Params.doc }}</a>'
        ' · {{ .Date.Format "2006-01-02" }}</p>\n'
        '<p><a class="out" href="https://synthetic.example/doc/{{ .Params.n }}" '
        'rel="noopener noreferrer nofollow external">Read the original</a></p>\n</article>{{ end }}')
    (folder / "layouts/_default/list.html").write_text(
        '{{ define "main" }}<h1>{{ .Title }}</h1>\n<ol class="events">\n{{ range .Paginator.Pages }}'
        '<li class="event">\n<p class="meta"><time datetime="{{ .Date.Format "2006-01-02" }}">'
        '{{ .Date.Format "2006-01-02" }}</time> · <span class="action">{{ .Params.action }}</span>'
        " · announced</p>\n"
        '<p class="who"><a href="{{ printf "entities/%s.html" .Params.actor_id | relURL }}">{{ .Params.actor }}</a>'
        ' → <a href="{{ printf "entities/%s.html" .Params.target_id | relURL }}">{{ .Params.target }}</a></p>\n'
        '<p class="evidence"><a href="{{ .RelPermalink }}">{{ .Params.evidence | truncate 220 }}</a></p>\n'
        "</li>\n{{ end }}</ol>{{ end }}")
    (folder / "layouts/index.html").write_text("<!doctype html><title>home</title>")
    content = folder / "content"
    for i in range(pages):
        section = content / f"s{i // per_section}"
        if i % per_section == 0:
            section.mkdir(parents=True)
        (section / f"p{i}.md").write_text(
            f'---\ntitle: "Event {i}"\ndate: 2024-{1 + i % 12:02d}-{1 + i % 28:02d}\n'
            f'actor: "Entity {i % 400} Ministry"\nactor_id: "entity-{i % 400}"\n'
            f'target: "Entity {(i * 7) % 400} Commerce"\ntarget_id: "entity-{(i * 7) % 400}"\n'
            f'action: "Export control"\nconfidence: "0.{i % 100:02d}"\nn: {i}\n'
            f'doc: "Synthetic document {i}: rule export chip license model entity"\n'
            f'evidence: "entity-{i % 400} announced entity-{(i * 7) % 400}: rule export chip license '
            f'model entity list control semiconductor commerce ministry announced added firms advanced '
            f'computing artificial intelligence national security countermeasure investigation '
            f'tariff sanction {i}."\n---\n')


def settle() -> None:
    """Let the disk finish the previous run's writes and deletions before timing the next."""
    os.sync()
    time.sleep(3)


def run_hugo(folder: Path) -> dict:
    out = folder / "public"
    shutil.rmtree(out, ignore_errors=True)
    settle()
    t = time.perf_counter()
    proc = subprocess.run(["/usr/bin/hugo", "--quiet", "-s", str(folder), "-d", str(out)],
                          capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"hugo failed: {proc.stderr.strip()[-400:]}")
    pages = sum(1 for _ in out.rglob("*.html"))
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"pages": pages, "seconds": seconds, "peak_mb": peak, "mb": _size(out)}


def _size(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def full_build(db: Path, out: Path) -> dict:
    for p in (out, out.parent / f".{out.name}.spare"):
        shutil.rmtree(p, ignore_errors=True)
    settle()
    counts = build(db, out)
    counts["mb"] = _size(out)
    return counts


def add_documents(db: Path, start: int, recent: bool = False) -> None:
    """100 new documents with 250 events. make_synthetic_db dates them across all five years
    (so they touch nearly every month page); a nightly crawl brings recent ones: with
    recent=True they are dated in the last week of the store (2025-12-22 to 2025-12-28)."""
    from make_synthetic_db import make
    from rivalry import store

    make(db, 100, 250, start_doc=start)
    if recent:
        conn = store.open_db(db).conn
        with conn:
            for i in range(start, start + 100):
                day = f"2025-12-{22 + i % 7:02d}"
                did = store.document_id(f"https://synthetic.example/doc/{i}")
                conn.execute("UPDATE documents SET published_at = ? WHERE id = ?",
                             (day + "T12:00:00+00:00", did))
                conn.execute("UPDATE events SET event_date = ? WHERE document_id = ?", (day, did))
        conn.close()


def incremental(db: Path, out: Path, case: str, recent: bool, start: int, samples: int,
                then=None) -> tuple[int, float]:
    """Add 100 documents (250 events) and build, `samples` times; print each and the median.
    Returns the next free document number and the median."""
    seconds = []
    for _ in range(samples):
        add_documents(db, start, recent=recent)
        start += 100
        if then:
            then()
        settle()
        inc = build(db, out)
        seconds.append(inc["seconds"])
        print(f"incremental after +100 documents (+250 events) {case}: {inc['seconds']:.2f} s, "
              f"peak memory {inc['peak_mb']:.0f} MB ({inc['rendered']} rendered, {inc['written']} written, "
              f"{inc['unchanged']} unchanged, {inc['removed']} removed); phases {inc['timings']}")
    print(f"  median of {samples}: {statistics.median(seconds):.2f} s "
          f"(range {min(seconds):.2f}-{max(seconds):.2f} s)")
    return start, statistics.median(seconds)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--documents", type=int, default=20000)
    ap.add_argument("--events", type=int, default=50000)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--samples", type=int, default=3)
    ap.add_argument("--stories", action="store_true")
    ap.add_argument("--hugo-max-pages", type=int, default=None,
                    help="cap Hugo's page count (memory); default: as many pages as ours")
    a = ap.parse_args()
    work = Path(a.work or tempfile.mkdtemp(prefix="bench-site-"))
    work.mkdir(parents=True, exist_ok=True)
    from make_synthetic_db import make

    db, out = work / "bench.db", work / "public"
    db.unlink(missing_ok=True)
    t = time.perf_counter()
    make(db, a.documents, a.events)
    print(f"synthetic store: {a.documents} documents, {a.events} events "
          f"({time.perf_counter() - t:.1f} s)")

    ours, theirs = [], []
    hugo_dir = work / "hugo"
    for run in range(a.runs):
        full = full_build(db, out)
        rate = full["pages"] / full["seconds"]
        ours.append(rate)
        print(f"full build {run + 1}: {full['pages']} pages ({full['mb']:.0f} MB) in "
              f"{full['seconds']:.2f} s = {rate:.0f} pages/s, peak memory {full['peak_mb']:.0f} MB; "
              f"phases {full['timings']}")
        if run == 0:
            shutil.rmtree(hugo_dir, ignore_errors=True)
            # As many HTML files as ours: content pages plus Hugo's list pages (1 per 50).
            hugo_pages = round(full["pages"] * 50 / 51)
            if a.hugo_max_pages and hugo_pages > a.hugo_max_pages:
                print(f"hugo capped at {a.hugo_max_pages} content pages (ours: {full['pages']} pages): "
                      "the ratio compares pages per second at different sizes")
                hugo_pages = a.hugo_max_pages
            hugo_site(hugo_dir, hugo_pages)
        hugo = run_hugo(hugo_dir)
        hrate = hugo["pages"] / hugo["seconds"]
        theirs.append(hrate)
        print(f"hugo {run + 1}: {hugo['pages']} pages ({hugo['mb']:.0f} MB) in {hugo['seconds']:.2f} s "
              f"= {hrate:.0f} pages/s, peak memory {hugo['peak_mb']:.0f} MB")
    rate, hrate = statistics.median(ours), statistics.median(theirs)
    print(f"ratio (ours / hugo, median pages per second): {rate:.0f} / {hrate:.0f} = {rate / hrate:.2f} "
          f"(target >= 2)")

    settle()
    same = build(db, out)
    print(f"rebuild with nothing changed: {same['seconds']:.2f} s, peak memory {same['peak_mb']:.0f} MB "
          f"({same['rendered']} rendered, {same['written']} written); phases {same['timings']}")
    start = a.documents
    for case, recent in (("dated across all 5 years", False), ("from the last week", True)):
        start, _ = incremental(db, out, case, recent, start, a.samples)
    if a.stories:
        from nlp.stories import cluster_stories
        from rivalry import store

        def clustered(db_path):
            """cluster_stories on the store (the store opened outside the clock): seconds, counts."""
            conn = store.open_db(db_path)
            t = time.perf_counter()
            counts = cluster_stories(conn)
            seconds = time.perf_counter() - t
            conn.close()
            return seconds, counts

        seconds, counts = clustered(db)
        print(f"stories: {counts['stories']} for the store's events ({seconds:.1f} s to cluster)")
        settle()
        full = build(db, out)
        print(f"build with stories in use: {full['pages']} pages in {full['seconds']:.2f} s, "
              f"peak memory {full['peak_mb']:.0f} MB")
        cluster_seconds = []

        def recluster():
            seconds, counts = clustered(db)
            cluster_seconds.append(seconds)
            print(f"story clustering after +100 documents: {seconds:.2f} s "
                  f"({counts.get('events_placed', 'all')} events placed again, "
                  f"{counts['stories_changed']} stories changed)")
        _, inc = incremental(db, out, "from the last week, stories in use (clustered again after each)",
                          True, start, a.samples, recluster)
        print(f"  target: incremental build with stories in use <= 1.5 s: median {inc:.2f} s")
        print(f"story clustering after +100 documents, median of {a.samples}: "
              f"{statistics.median(cluster_seconds):.2f} s (range {min(cluster_seconds):.2f}-"
              f"{max(cluster_seconds):.2f} s; target <= 1 s)")

    from sitegen import search
    t = time.perf_counter()
    search.index(out)
    print(f"search indexing (pagefind, {a.events + 500} event pages): {time.perf_counter() - t:.1f} s")

    sizes = sorted((p.stat().st_size, p) for p in (out / "events").glob("*.html"))
    import gzip
    biggest = max(len(gzip.compress(p.read_bytes())) for _, p in sizes[-50:])
    print(f"event (story) pages: largest {sizes[-1][0] / 1000:.1f} KB, "
          f"{biggest / 1000:.1f} KB gzipped")
    if not a.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
