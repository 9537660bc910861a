"""The HTML pieces every list repeats (an event in a timeline, an entity link), made in Python.

A timeline page is a few hundred of these; rendering each through a Jinja macro was most of a
build. Here each event's list item is made once per build, with a placeholder where the path to
the site root goes, and every list that shows it joins the cached strings and fills in its root.

Every value from the store goes through `escape` (markupsafe, the same escaping Jinja's autoescape
uses); ids reach an href only through `href` fields, which data.py sets only for valid slugs.
"""

from __future__ import annotations

import calendar
import functools

from markupsafe import Markup, escape

from .terms import date_text

ROOT = "\x00"  # stands for the path to the site root; data.py strips NUL from all stored text
UNDATED = "undated"


@functools.lru_cache(maxsize=4096)  # calendar.month_name calls strftime every time
def month_label(month: str) -> str:
    try:
        year, mon = month.split("-")
        return f"{calendar.month_name[int(mon)]} {int(year)}"
    except (ValueError, IndexError):
        return "Date unknown"


def month_slug(month: str) -> str:
    return month or UNDATED


def entity(e, filter_attr: bool = False) -> str:
    if e is None:
        return '<span class="unknown">unknown</span>'
    attr = ' data-pagefind-filter="entity"' if filter_attr else ""
    if e["href"]:
        return f'<a href="{ROOT}{e["href"]}"{attr}>{escape(e["name"])}</a>'
    return f"<span{attr}>{escape(e['name'])}</span>"


def date(d, precision: str | None = "day") -> str:
    """A date as readers say it, at its precision ('2020', 'March 2025', '15 April 2025'), with
    the machine-readable date in datetime (also at its precision)."""
    if d:
        machine = d[:4] if precision == "year" else d[:7] if precision == "month" else d
        return f'<time datetime="{escape(machine)}">{escape(date_text(d, precision))}</time>'
    return '<span class="unknown">date not stated</span>'


def when(ev) -> str:
    """The event date and, apart, the publication date when it differs: what a list shows."""
    shown = date(ev["event_date"], ev.get("precision"))
    if ev["published"] and ev["published"] != ev["event_date"]:
        shown += f' · <span class="published">published {date(ev["published"])}</span>'
    return shown


def truncate(text: str, length: int = 220, leeway: int = 5) -> str:
    if len(text) <= length + leeway:
        return text
    cut = text[: length - 3]
    head, sep, _ = cut.rpartition(" ")
    return (head if sep else cut) + "..."


ARROW = '<span class="arrow" aria-hidden="true">→</span><span class="vh"> acting on </span>'


def event_item(ev) -> str:
    """A story or a report in a list: its headline leads, who acted on whom is the second line."""
    meta = [when(ev), f'<span class="action">{escape(ev["action_label"])}</span>']
    if ev["modality"] and ev["modality"] != "asserted":
        meta.append(f'<span class="modality">{escape(ev["modality"])}</span>')
    if ev["status"]:
        meta.append(str(escape(ev["status"])))
    sources = ev.get("sources_label")
    if sources:
        meta.append(f'<span class="n">{escape(sources)}</span>')
    obj = f' <span class="object">({entity(ev["object"])})</span>' if ev["object"] else ""
    head = ev["headline"]
    evidence = ev["evidence"]
    quote = "" if not evidence or evidence.startswith(head.rstrip("…")) else \
        f'<p class="evidence">{escape(truncate(evidence))}</p>\n'
    return (f'<li class="event">\n<p class="meta">{" · ".join(meta)}</p>\n'
            f'<p class="headline"><a href="{ROOT}{ev["href"]}">{escape(head)}</a></p>\n'
            f'<p class="who">{entity(ev["actor"])} {ARROW} {entity(ev["target"])}{obj}</p>\n'
            f"{quote}</li>\n")


class Items:
    """Per-build cache of list items by entry id (each worker process has its own).

    Lists hold index.Entry tuples; full(entry) gives the dict an item is made from, asked only
    the first time an entry is shown."""

    def __init__(self, full, make=event_item):
        self.full, self.make = full, make
        self.cache: dict[str, str] = {}

    def get(self, entry) -> str:
        ident = entry[0]  # index.ENTRY_ID: a story and an event may share an id
        html = self.cache.get(ident)
        if html is None:
            html = self.cache[ident] = self.make(self.full(entry))
        return html

    def months(self, entries, root: str) -> Markup:
        """Entries (newest first) as month sections, with links relative to root."""
        out, month, first = [], None, True
        get = self.get
        for entry in entries:
            if entry[4] != month or first:  # index.MONTH
                if not first:
                    out.append("</ol>\n</section>\n")
                first, month = False, entry[4]
                m = month_slug(month)
                out.append(f'<section class="month" aria-labelledby="m-{m}">\n'
                           f'<h2 id="m-{m}">{month_label(month)}</h2>\n<ol class="events">\n')
            out.append(get(entry))
        if not first:
            out.append("</ol>\n</section>\n")
        return Markup("".join(out).replace(ROOT, root))

    def plain(self, entries, root: str) -> Markup:
        return Markup("".join(map(self.get, entries)).replace(ROOT, root))


def _entry_times(ev) -> str:
    """<published>: when the project first saw the entry; <updated>: when it last changed
    (ev['seen'], data.seen_times). Without them (an entry read from no document), its date."""
    first, changed = ev.get("seen") or ((f"{ev['date'] or '1970-01-01'}T00:00:00Z",) * 2)
    return f"<published>{escape(first)}</published>\n<updated>{escape(changed)}</updated>\n"


def feed_entry(ev) -> str:
    """One Atom <entry> (feed.xml lists them), with the root placeholder in its link."""
    return (f"<entry>\n<id>tag:ai-rivalry-tracker,2025:{escape(ev['entry_id'])}</id>\n"
            f"<title>{escape(ev['headline'])}</title>\n"
            f"{_entry_times(ev)}"
            f'<link rel="alternate" type="text/html" href="{ROOT}{escape(ev["href"])}"/>\n'
            f'<category term="{escape(ev["action"])}" label="{escape(ev["action_label"])}"/>\n'
            f'<summary type="text">{escape(ev["evidence"])}</summary>\n</entry>\n')


@functools.lru_cache(maxsize=4096)
def _short_month(month: str) -> str:
    return str(escape(month_label(month).split(" ")[0][:3])) if month else "Undated"


def months_nav(index, root: str, base: str) -> Markup:
    """A list's months, newest first, grouped by year: the date filter and the way to older
    entries. index: build.month_index() [(year, [(month, slug, n)])]."""
    if not index:
        return Markup("")
    out = ['<div class="dates" id="dates">\n<p class="label">By date:</p>\n']
    prefix = f"{escape(root)}{escape(base)}/"
    # Years, months and slugs come from dates data.py checked against \d{4}-\d{2}: no escaping.
    for year, months in index:
        out.append(f'<p><span class="year">{year}</span>\n')
        for month, slug, n in months:
            out.append(f'<a href="{prefix}{slug}.html">{_short_month(month)} <span class="n">{n}</span></a>\n')
        out.append("</p>\n")
    out.append("</div>\n")
    return Markup("".join(out))


def with_root(html: str, root: str) -> Markup:
    return Markup(html.replace(ROOT, root))


def _country_label(code):
    from .data import country_label

    return country_label(code)


def event_body(ev) -> str:
    """The <article> of an event page (root placeholder inside): one per event, so made here
    rather than through Jinja, like the list items."""
    e = escape
    label = e(ev["action_label"])
    shown = date_text(ev["event_date"], ev["precision"]) if ev["event_date"] else None
    doc = ev["document"]
    src = doc["source"] if doc else None
    # What a search result shows (search.js): date, action, source and the headline.
    search_meta = "".join(
        f'<span class="vh" data-pagefind-meta="{name}">{e(value)}</span>'
        for name, value in (("when", shown or "date not stated"),
                            ("published", date_text(ev["published"]) if ev["published"] else ""),
                            ("source", src["name"] if src else ""))
        if value)
    out = ['<article class="event-page" data-pagefind-body>\n',
           f'<p class="kicker" data-pagefind-meta="action">{label}</p>\n',
           f'<h1 data-pagefind-meta="title">{e(ev["headline"])}</h1>\n',
           f'<p class="who">{entity(ev["actor"])} {ARROW} {entity(ev["target"])}</p>\n',
           f'<p class="vh" aria-hidden="true" data-pagefind-ignore>{search_meta}</p>\n' if search_meta else "",
           '<dl class="facts" data-pagefind-ignore>\n']
    if ev["action_slug"]:
        # Filter values are the slugs the timeline's addresses use: ?action=export-control.
        out.append(f'<dt>Action</dt><dd><a href="{ROOT}timeline/all/{ev["action_slug"]}.html">'
                   f'<span data-pagefind-filter="action:{ev["action_slug"]}"></span>{label}</a></dd>\n')
    else:
        out.append(f'<dt>Action</dt><dd>{label}</dd>\n')
    out.append(f'<dt>Actor</dt><dd>{entity(ev["actor"], True)}</dd>\n')
    out.append(f'<dt>Target</dt><dd>{entity(ev["target"], True)}</dd>\n')
    if ev["object"]:
        out.append(f'<dt>Object</dt><dd>{entity(ev["object"], True)}</dd>\n')
    if ev["countries"]:
        # Filter values are the codes the timeline's addresses use (timeline/cn/...): ?country=cn.
        links = ", ".join(f'<a href="{ROOT}timeline/{c}/all.html">'
                          f'<span data-pagefind-filter="country:{e(c)}"></span>{e(_country_label(c))}</a>'
                          for c in ev["countries"])
        out.append(f"<dt>Countries</dt><dd>{links}</dd>\n")
    sort_date = ev["event_date"] or ev["published"] or ""
    month = sort_date[:7] or "undated"
    out.append(f'<dt>Event date</dt><dd data-pagefind-sort="date:{e(sort_date or "0000-00-00")}" '
               f'data-pagefind-filter="month:{e(month)}">{date(ev["event_date"], ev["precision"])}</dd>\n')
    if ev["published"]:
        out.append(f"<dt>Published</dt><dd>{date(ev['published'])}</dd>\n"
                   if ev["published"] != ev["event_date"] else "")
        if not ev["event_date"]:
            out.append("<dt>Note</dt><dd>The source states no date; the timeline files it under "
                       "its publication date.</dd>\n")
    if ev["modality"]:
        out.append(f"<dt>Modality</dt><dd>{e(ev['modality'])}</dd>\n")
    if ev["status"]:
        out.append(f"<dt>Status</dt><dd>{e(ev['status'])}</dd>\n")
    if isinstance(ev["confidence"], (int, float)):
        out.append(f"<dt>Confidence</dt><dd>{ev['confidence']:.2f}</dd>\n")
    out.append("</dl>\n")
    story = ev.get("story")
    if story:
        out.append(f'<p class="story-link" data-pagefind-ignore>One report of a story with '
                   f'{escape(story["sources_label"])}: <a href="{ROOT}{story["href"]}">'
                   "the whole story, primary source first</a></p>\n")
    out.append("<h2>Evidence</h2>\n")
    out.append(f'<blockquote class="evidence"><p>{e(ev["evidence"])}</p></blockquote>\n')
    doc = ev["document"]
    if doc:
        out.append('<h2>Source</h2>\n<p class="source" data-pagefind-ignore>\n')
        title = e(doc["title"])
        out.append(f'<a href="{ROOT}{doc["href"]}">{title}</a>' if doc["href"] else str(title))
        src = doc["source"]
        if src:
            name = e(src["name"])
            out.append(" · " + (f'<a href="{ROOT}{src["href"]}">{name}</a>' if src["href"] else str(name)))
        if doc["published"]:
            out.append(" · " + date(doc["published"]))
        out.append("\n</p>\n")
        if doc["url"]:
            out.append(f'<p><a class="out" href="{e(doc["url"])}" rel="noopener noreferrer nofollow external">'
                       "Read the original</a></p>\n")
        elif doc["raw_url"]:
            out.append(f'<p class="unsafe-url">Original address (not linked): <code>{e(doc["raw_url"])}</code></p>\n')
    out.append("</article>\n")
    return "".join(out)
