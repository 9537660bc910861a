"""Pure functions of the crawler: dates, charsets, bot-check pages, PDFs, API paging helpers."""

from __future__ import annotations

from datetime import date

from crawler_site import make_pdf

from crawler.checks import decode_body, is_bot_check
from crawler.extract import extract_article, to_utc_iso
from crawler.pdf import pdf_text
from crawler.spiders.api import html_to_text, pick, windows, with_params
from crawler.spiders.listing import page_url

ARTICLE = "<p>" + "The Bureau of Industry and Security revised export controls on chips. " * 30 + "</p>"


def test_published_date_wins_over_modified_and_scripts_are_read():
    html = f"""<html><head><title>T</title>
    <meta property="article:modified_time" content="2025-03-01T10:00:00+00:00">
    <script type="application/ld+json">{{"@type": "NewsArticle", "dateModified": "2025-03-01",
      "datePublished": "2025-01-15T09:30:00-05:00"}}</script></head><body>{ARTICLE}</body></html>"""
    found = extract_article(html, "https://example.gov/news/x", tz="America/New_York")
    assert found.published_at == "2025-01-15T14:30:00+00:00" and found.date_source == "meta"


def test_no_date_anywhere_stays_none():
    found = extract_article(f"<html><body>{ARTICLE}</body></html>", "https://example.gov/news/x")
    assert found.published_at is None and found.date_source is None


def test_dates_in_listing_formats_are_read_in_the_source_time_zone():
    assert to_utc_iso("01/15/2025", "America/New_York") == "2025-01-15T05:00:00+00:00"  # OFAC: month first
    assert to_utc_iso("[2025-02-04]", "Asia/Shanghai") == "2025-02-03T16:00:00+00:00"   # MOFCOM
    assert to_utc_iso("20250415T120000Z") == "2025-04-15T12:00:00+00:00"                 # GDELT
    assert to_utc_iso("not a date") is None


def test_wrong_declared_charset_is_repaired():
    body = "Lin Jian (林剑): China firmly opposes — it’s clear.".encode("utf-8")
    text, note = decode_body(body, "gb2312")
    assert "林剑" in text and "’" in text and "declared charset gb2312 is wrong" in note
    assert decode_body("café".encode("cp1252"), "cp1252") == ("café", None)  # an honest declaration
    text, note = decode_body("café".encode("cp1252"), "utf-8")  # declared UTF-8, is not
    assert note and "wrong" in note


def test_bot_check_pages_are_recognised_and_articles_about_captchas_are_not():
    challenge = "<html><title>Just a moment...</title><body>Checking your browser. cf-chl</body></html>"
    assert is_bot_check(200, challenge)
    assert is_bot_check(403, "<html><body>Access Denied. Reference #18.2f3 </body></html>")
    article = f"<html><body><h1>Agencies drop CAPTCHA rules</h1>{ARTICLE}</body></html>"
    assert not is_bot_check(200, article)


def test_pdf_text_and_title():
    title, text = pdf_text(make_pdf("Committee report", ["TEST FIXTURE (report)", "H20 chips"]))
    assert title == "Committee report" and text.startswith("TEST FIXTURE (report)\nH20 chips")
    assert pdf_text(b"%PDF-1.4 garbage") == (None, None)


def test_api_helpers():
    assert pick({"a": [{"b": 1}]}, "a.0.b") == 1 and pick([1], ".") == [1] and pick({}, "x.y") is None
    assert with_params("https://x.gov/api?q=chips&page=1", page=2) == "https://x.gov/api?q=chips&page=2"
    spans = windows(date(2025, 1, 1), date(2025, 3, 1), 28)
    assert spans[0][1] == date(2025, 3, 1) and spans[-1][0] == date(2025, 1, 1)  # newest first
    assert all((b - a).days < 28 for a, b in spans) and len(spans) == 3
    assert html_to_text("<p>One &amp; two</p><ul><li>three</li></ul>") == "One & two\nthree"


def test_listing_page_urls():
    first = "https://www.fmprc.gov.cn/eng/xw/fyrbt/lxjzh/index.html"
    assert page_url(first, "index", 2) == "https://www.fmprc.gov.cn/eng/xw/fyrbt/lxjzh/index_2.html"
    assert page_url("https://www.fmprc.gov.cn/eng/xw/", "index", 1) == "https://www.fmprc.gov.cn/eng/xw/index_1.html"
    assert page_url("https://ustr.gov/press?type=x", "query", 3) == "https://ustr.gov/press?type=x&page=3"


def test_replay_keeps_the_full_response_when_a_later_crawl_got_304(tmp_path):
    from warcio.warcwriter import WARCWriter

    from crawler.archive import read_responses, write_response

    with open(tmp_path / "a.warc.gz", "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        write_response(writer, "https://x.gov/feed.xml", 200, [("Content-Type", "application/rss+xml")], b"<rss/>")
        write_response(writer, "https://x.gov/feed.xml", 304, [], b"")
    assert read_responses(tmp_path / "a.warc.gz")["https://x.gov/feed.xml"][0] == 200


def test_line_breaks_inside_a_paragraph_are_whitespace():
    # government pages often wrap their HTML source at 72 columns; <pre> keeps its lines
    html = ("<html><head><title>T</title></head><body><article><h1>Export rule</h1>\n"
            "<p>The Department of Commerce today announced new export\n"
            "   controls on advanced computing chips destined for\n"
            "   China, the agency said in a statement.</p>\n"
            "<p>A second paragraph that is long enough for the extractor to keep it,\n"
            "wrapped in the source as well.</p>\n"
            "<pre>line one\nline two</pre></article></body></html>")
    text = extract_article(html, "https://example.gov/x").text
    lines = text.splitlines()
    assert "The Department of Commerce today announced new export controls on advanced " \
           "computing chips destined for China, the agency said in a statement." in lines
    assert "A second paragraph that is long enough for the extractor to keep it, wrapped in " \
           "the source as well." in lines


# --- dates: the page's own before the URL's (issue 13) ------------------------------------------

MOVED_PAGE = """<html><head><title>Regular Press Conference on February 21, 2022</title></head>
<body><div class="news-main"><h1>Regular Press Conference on February 21, 2022</h1>
<p class="time">2022-02-21 20:45</p><p>China firmly opposes the US abusing export controls.</p>
</div></body></html>"""
MOVED_URL = "https://www.fmprc.gov.cn/eng/xw/fyrbt/lxjzh/202405/t20240530_11332399.html"


def test_the_page_date_wins_over_a_date_in_the_url():
    # A listing that read the date from the URL hands it in as known; the page's own day wins.
    url_day = to_utc_iso("2024-05-30", "Asia/Shanghai")
    found = extract_article(MOVED_PAGE, MOVED_URL, known_date=url_day, known_date_source="url",
                            tz="Asia/Shanghai")
    assert (found.published_at, found.date_source) == ("2022-02-20T16:00:00+00:00", "page")


def test_a_feed_date_still_wins_over_a_guess_from_the_text():
    found = extract_article(MOVED_PAGE, MOVED_URL, known_date="2022-02-21T12:45:00+00:00",
                            known_date_source="feed", tz="Asia/Shanghai")
    assert (found.published_at, found.date_source) == ("2022-02-21T12:45:00+00:00", "feed")


def test_the_url_date_is_the_last_resort():
    found = extract_article(f"<html><body>{ARTICLE}</body></html>", MOVED_URL, tz="Asia/Shanghai")
    assert (found.published_at, found.date_source) == ("2024-05-29T16:00:00+00:00", "url")


def test_canonical_urls_follow_w3lib_then_the_project_rules():
    from crawler.urls import canonical_url
    # w3lib: percent-encoding normalised, dot segments resolved, query sorted, fragment dropped.
    assert canonical_url("HTTP://WWW.Example.gov:80/a/./b/../c%7e/?b=2&a=1#top") == "https://www.example.gov/a/c~?a=1&b=2"
    assert canonical_url("https://example.gov/caf\u00e9 x") == "https://example.gov/caf%C3%A9%20x"
    # Project rules: tracking parameters go, a trailing slash goes, a real port stays.
    assert canonical_url("https://example.gov/n/?utm_source=x&fbclid=1&id=7") == "https://example.gov/n?id=7"
    assert canonical_url("http://127.0.0.1:8123/x/") == "https://127.0.0.1:8123/x"
