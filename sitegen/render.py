"""Rendering the plan: the pages whose key is the live one's are kept; the others are rendered
from the templates (site/templates), in this process or by forked workers on every core when
there are many.

A page's context is a dict, or (function, argument) made only when the page is rendered: the
functions (in sitegen/pages/) read the index of the build through current_index(), in the
parent as in a forked worker.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from . import data as sitedata
from . import fragments, terms
from .index import Index
from .output import LINKED, SAME, Output
from .plan import Plan

# A source checkout has site/ beside sitegen/; an installed package carries it inside it as
# sitegen/site/ (pyproject.toml, [tool.setuptools.package-dir]).
_HERE = Path(__file__).resolve().parent
_CHECKOUT = (_HERE.parent / "site" / "templates").is_dir()
SITE_DIR = _HERE.parent / "site" if _CHECKOUT else _HERE / "site"
TEMPLATES = SITE_DIR / "templates"
STATIC = SITE_DIR / "static"
# Fewer pages to render than this: one process is quicker than forked workers, which copy most
# of its memory (reference counts are written to every object they touch).
PARALLEL_MIN = 1500

_CJK = re.compile("[\u3400-\u9fff\uf900-\ufaff]")


def is_chinese(text: str) -> bool:
    """Whether a name is written in Chinese characters (then marked lang="zh")."""
    return bool(_CJK.search(text or ""))


def make_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # every template, whatever its extension: all crawled text is hostile
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["month_label"] = fragments.month_label
    env.filters["country_label"] = sitedata.country_label
    env.filters["plural"] = terms.plural
    env.filters["date_text"] = terms.date_text
    env.filters["is_chinese"] = is_chinese
    env.globals["counts"] = terms.counts
    env.globals["terms"] = terms
    env.globals["months_nav"] = fragments.months_nav
    return env


# Rendering happens in the parent or in forked workers; both read these module globals.
_STATE: dict = {}


def current_index() -> Index:
    """The index of the build being rendered (for the page types' context functions)."""
    return _STATE["index"]


def full(entry) -> dict:
    """The dict the templates use for an index Entry (see index.py), in this process."""
    return _STATE["index"].full(entry)


def _feed_full(entry):
    """full() with when the project first saw the entry and when it last changed ('seen')."""
    index = _STATE["index"]
    return {**index.full(entry), "seen": index.seen.get(entry[0])}  # index.ENTRY_ID


def _render(rel: str, template: str, ctx) -> str:
    env, items = _STATE["env"], _STATE["items"]
    ctx = ctx[0](ctx[1]) if isinstance(ctx, tuple) else dict(ctx)
    root = ctx.setdefault("root", "../" * rel.count("/"))
    ctx.setdefault("path", rel)
    ctx.setdefault("feed", None)
    lazy = ctx.pop("_lazy", None)
    if lazy:  # list HTML is built here, only for pages that are rendered
        for name, (how, entries) in lazy.items():
            if how == "months":
                ctx[name] = items.months(entries, root)
            elif how == "plain":
                ctx[name] = items.plain(entries, root)
            elif how == "feed":
                ctx[name] = _STATE["feed_items"].plain(entries, root)
            else:  # a function of one object, giving HTML with the root placeholder
                ctx[name] = fragments.with_root(how(entries), root)
    return env.get_template(template).render(**ctx)


def _render_share(share) -> list:
    """Render these pages (indexes into the pages to render): in a forked worker or here."""
    out, todo = _STATE["out"], _STATE["todo"]
    results = []
    for i in share:
        rel, key, template, ctx = todo[i]
        results.append(out.store(rel, _render(rel, template, ctx), key))
    return results


_MONTH_PAGE = re.compile(r"/(\d{4}-\d{2}|undated)\.html$")


def _shares(todo: list, n: int) -> list[list[int]]:
    """The pages to render in n shares of about the same size. The month pages of one month
    go to the same share: they list the same entries, whose list items each worker would
    otherwise make again (it caches them only for itself)."""
    months: dict[str, list[int]] = {}
    others: list[int] = []
    for i, page in enumerate(todo):
        m = _MONTH_PAGE.search(page[0])
        (months.setdefault(m.group(1), []) if m else others).append(i)
    shares: list[list[int]] = [[] for _ in range(n)]
    # The largest months first, each to the smallest share; then the other pages in turn.
    for pages in sorted(months.values(), key=len, reverse=True):
        min(shares, key=len).extend(pages)
    for k, i in enumerate(others):
        shares[k % n].append(i)
    return [s for s in shares if s]


def _keep(pages, out: Output) -> tuple[list, list]:
    """(records of the pages kept as they are live, pages to render). A kept page is
    hard-linked into the target copy when that copy holds an older version of it."""
    records, todo, to_link = [], [], []
    live, base = out.live, out.base
    same_code = out.salt == out.live_salt and out.mirror is None
    for page in pages:
        rel, key = page[0], page[1]
        old = live.get(rel) if same_code else None
        if old is not None and old[1] == key:  # same inputs: the live file is right
            b = base.get(rel)
            if b is None or b[0] != old[0]:
                to_link.append(rel)
                records.append((rel, old[0], key, LINKED))
            else:
                records.append((rel, old[0], key, SAME))
        else:
            todo.append(page)
    # Folders only where a file is written or linked: the target has all the others already.
    out.makedirs(itertools.chain(to_link, (p[0] for p in todo)))
    for rel in to_link:
        out.link_from_live(rel)
    return records, todo


def execute(plan: Plan, out: Output, index: Index | None, workers: int | None,
            site_url: str = "") -> int:
    """Keep the pages whose key is the live one's; render the others, in forked workers on
    every core when there are many. Returns how many were rendered."""
    records, todo = _keep(plan.pages, out)
    for record in records:
        out.record(record)
    made = index.full if index is not None else None
    env = make_env()
    env.globals["site_url"] = site_url
    _STATE.update(env=env, items=fragments.Items(made), out=out, index=index, todo=todo,
                  feed_items=fragments.Items(_feed_full, fragments.feed_entry))
    workers = workers or len(os.sched_getaffinity(0))
    try:
        if workers > 1 and len(todo) >= PARALLEL_MIN:
            for name in env.list_templates(filter_func=lambda n: not n.startswith("_")):
                env.get_template(name)  # compiled once here, not once per worker
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for results in pool.imap_unordered(_render_share, _shares(todo, workers * 4)):
                    for record in results:
                        out.record(record)
        else:
            for record in _render_share(range(len(todo))):
                out.record(record)
    finally:
        _STATE.clear()
    return len(todo)
