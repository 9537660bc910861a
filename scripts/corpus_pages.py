"""Pages rebuilt from the White House corpus text, as the crawler would fetch them.

The corpus (../shared/corpus, CC0 collection brian14708/wh-briefings) keeps each document as
Markdown, not the page as served. `page_html` turns one back into an HTML page with the
metadata the real page carries (title, `article:published_time` with its US Eastern offset,
canonical URL) and a note that it was rebuilt, so the crawler's own extraction reads it exactly
as it reads a live page. Used by the gold set (the text the tagger is measured on) and by the
bundled sample (real documents at their real URLs).
"""

from __future__ import annotations

import html

from markdown_it import MarkdownIt

_MD = MarkdownIt("commonmark", {"html": False})  # raw HTML in the text stays text

REBUILT_NOTE = ("Rebuilt for the AI Rivalry Tracker from the text of this document in the CC0 "
                "collection brian14708/wh-briefings (a work of the US government, public domain); "
                "not the page as served.")


def page_html(row: dict) -> str:
    title = html.escape(row["title"] or "", quote=True)
    url = html.escape(row["source_url"], quote=True)
    published = html.escape(row["published_time"], quote=True)
    body = _MD.render(row["markdown"])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{title} &#8211; The White House</title>
<meta property="og:title" content="{title}">
<meta property="article:published_time" content="{published}">
<meta name="description" content="{html.escape(REBUILT_NOTE, quote=True)}">
<link rel="canonical" href="{url}">
</head><body>
<header><nav><a href="/">Home</a> <a href="/briefing-room/">Briefing Room</a></nav></header>
<main><article><h1>{title}</h1>
{body}
</article></main>
<footer><p>{html.escape(REBUILT_NOTE)}</p></footer>
</body></html>
"""
