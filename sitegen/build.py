"""Static site generator: store -> HTML pages in a folder that needs no server.

Public API: build_site(db, out_dir) -> counts.
"""

from __future__ import annotations

import calendar
import itertools
import posixpath
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from . import data as sitedata
from .output import Output

SITE_DIR = Path(__file__).resolve().parent.parent / "site"
TEMPLATES = SITE_DIR / "templates"
STATIC = SITE_DIR / "static"


def make_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # every template, whatever its extension: all crawled text is hostile
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["month_label"] = month_label
    return env


def month_label(month: str) -> str:
    try:
        year, mon = month.split("-")
        return f"{calendar.month_name[int(mon)]} {int(year)}"
    except (ValueError, IndexError):
        return "Date unknown"


def by_month(events):
    """[(month, [events])] in the (newest first) order given."""
    return [(m, list(g)) for m, g in itertools.groupby(events, key=lambda e: e["month"])]


class Renderer:
    def __init__(self, out: Output):
        self.env = make_env()
        self.out = out
        self.counts: dict[str, int] = {}

    def page(self, rel: str, template: str, kind: str, **ctx) -> None:
        depth = rel.count("/")
        ctx.setdefault("root", "../" * depth)
        ctx.setdefault("path", rel)
        html = self.env.get_template(template).render(**ctx)
        self.out.write(rel, html)
        self.counts[kind] = self.counts.get(kind, 0) + 1


def _copy_static(out: Output) -> None:
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            out.write(posixpath.join("static", path.relative_to(STATIC).as_posix()), path.read_bytes())


def build_site(db, out_dir) -> dict:
    """Render the whole site from the store into out_dir, swapped in atomically.

    Returns counts: pages per kind, 'pages' (total), 'skipped' (rows whose id cannot be a file
    name), and the file counts 'written', 'unchanged', 'removed'.
    """
    site = sitedata.load(db)
    out = Output(out_dir)
    try:
        r = Renderer(out)
        _copy_static(out)
        r.page("index.html", "timeline.html", "index", title="Timeline",
               months=by_month(site.events), total=len(site.events))
        for ev in site.events:
            if ev["href"]:
                r.page(ev["href"], "event.html", "events", ev=ev, title=ev["action_label"])
        for ent in site.entities.values():
            if ent["href"]:
                r.page(ent["href"], "entity.html", "entities", ent=ent, title=ent["name"],
                       months=by_month(ent["events"]))
        for doc in site.documents.values():
            if doc["href"]:
                r.page(doc["href"], "document.html", "documents", doc=doc, title=doc["title"])
        files = out.commit()
    except BaseException:
        out.abort()
        raise
    counts = dict(r.counts)
    counts["pages"] = sum(r.counts.values())
    counts["skipped"] = site.skipped
    counts.update(files)
    return counts
