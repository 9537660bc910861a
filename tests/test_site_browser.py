"""The built site in a real browser (Debian's Chromium through Playwright), served on 127.0.0.1.

Screenshots of every page template go to test-output/site/. Accessibility is checked with
axe-core (npm package, installed by `npm ci --prefix tests/site_axe`) run inside Chromium.
"""

from __future__ import annotations

import functools
import os
import re
import http.server
import threading
from pathlib import Path

import feedparser
import pytest

from sitegen.build import build_site
from site_fixtures import event, populate

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parent.parent / "test-output" / "site"
AXE = Path(__file__).resolve().parent / "site_axe" / "node_modules" / "axe-core" / "axe.min.js"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

playwright_api = pytest.importorskip("playwright.sync_api")
if not CHROMIUM.exists() and os.environ.get("RIVALRY_REQUIRE_BROWSER"):
    # CI sets RIVALRY_REQUIRE_BROWSER=1: there a missing browser fails the run instead of skipping.
    raise RuntimeError("RIVALRY_REQUIRE_BROWSER is set but /usr/bin/chromium is missing")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="SKIPPED: needs Debian's chromium (apt-get install chromium)")


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _serve(out):
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def story_site(tmp_path_factory):
    """The same store once the tagger has clustered stories: timelines list stories."""
    from rivalry import store
    from site_fixtures import add_stories

    tmp = tmp_path_factory.mktemp("stories")
    db = store.open_db(tmp / "rivalry.db")
    add_stories(db, populate(db))
    build_site(db, tmp / "public", search_index=False)
    db.close()
    server = _serve(tmp / "public")
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from rivalry import store

    tmp = tmp_path_factory.mktemp("browser")
    db = store.open_db(tmp / "rivalry.db")
    docs = populate(db)
    with db.conn:  # enough events for month pages
        db["events"].insert_all(
            [event(f"b0000000000{i:05d}", docs["bis"], "export_control", "us-bis", "cn-mofcom",
                   f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}", f"BIS tightened rule number {i}.")
             for i in range(60)], pk="id")
        # A newer report of the H200: "H20" must still find the H20 first.
        db["events"].insert(event("a1b2c3d4e5f60200", docs["bis"], "license_action", "us-bis",
                                  "nvidia", "2025-12-08", "BIS allows H200 sales to approved "
                                  "customers in China.", obj="h20"), pk="id")
        db.execute("UPDATE events SET date_precision = 'month' WHERE id = 'b000000000000002'")
    out = tmp / "public"
    build_site(db, out)
    db.close()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/", out, docs
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A page that records dialogs, CSP violations, script errors and requests leaving the host."""
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    pg = context.new_page()
    pg.events = {"dialogs": [], "errors": [], "foreign": [], "csp": []}
    pg.on("dialog", lambda d: (pg.events["dialogs"].append(d.message), d.dismiss()))
    pg.on("pageerror", lambda e: pg.events["errors"].append(str(e)))
    pg.on("request", lambda r: r.url.startswith(("http://127.0.0.1", "file:", "data:"))
          or pg.events["foreign"].append(r.url))
    pg.on("console", lambda m: "Content Security Policy" in m.text and pg.events["csp"].append(m.text))
    yield pg
    context.close()


def shot(pg, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_home_event_entity_journey(site, page):
    base, _, _ = site
    page.goto(base + "index.html")
    assert page.locator("h1").inner_text().startswith("What changed")
    assert page.locator("svg[role=img] rect").count() >= 4
    shot(page, "home")
    page.get_by_role("link", name="BIS requires a license for the H20 exports to China.").click()
    page.wait_for_url("**/events/a1b2c3d4e5f60001.html")
    assert "License action" in page.locator("article").inner_text()
    shot(page, "event")
    page.locator("dd").get_by_role("link", name="Nvidia").click()
    page.wait_for_url("**/entities/nvidia.html")
    assert page.locator("h1").inner_text() == "Nvidia"
    shot(page, "entity")
    page.get_by_role("link", name="BIS requires a license for the H20").first.click()
    page.wait_for_url("**/events/*.html")
    page.locator("p.source a").first.click()
    page.wait_for_url("**/documents/*.html")
    shot(page, "document")
    assert page.events == {"dialogs": [], "errors": [], "foreign": [], "csp": []}


def test_filter_without_javascript(site, browser):
    base, _, _ = site
    context = browser.new_context(java_script_enabled=False)
    pg = context.new_page()
    pg.goto(base + "timeline/all/all.html")
    pg.locator("nav.filters").get_by_role("link", name="China").click()
    pg.wait_for_url("**/timeline/cn/all.html")
    pg.locator("nav.filters").get_by_role("link", name="Entity listing").click()
    pg.wait_for_url("**/timeline/cn/entity-listing.html")
    text = pg.locator("main").inner_text()
    assert "MOFCOM added Nvidia" in text and "firmly opposes" not in text
    shot(pg, "timeline-filtered")
    # The date filter: a month of the whole timeline, and back to the newest.
    pg.goto(base + "timeline/all/all.html")
    pg.locator("#dates").get_by_role("link", name="Mar").first.click()
    pg.wait_for_url("**/timeline/all/all/2024-03.html")
    assert "BIS tightened rule number 2." in pg.locator("main").inner_text()
    shot(pg, "timeline-month")
    context.close()


def test_filter_script_swaps_the_list_in_place(site, page):
    base, _, _ = site
    page.goto(base + "timeline/all/all.html")
    page.wait_for_selector("html[data-filters=ready]", state="attached")
    page.evaluate("window.__same_document = true")
    page.locator("details.filter-box > summary").click()  # folded on a phone
    page.locator("nav.filters").get_by_role("link", name="China").click()
    page.wait_for_url("**/timeline/cn/all.html")
    page.locator("nav.filters").get_by_role("link", name="Entity listing").click()
    page.wait_for_url("**/timeline/cn/entity-listing.html")
    text = page.locator("main").inner_text()
    assert "MOFCOM added Nvidia" in text and "firmly opposes" not in text
    assert page.evaluate("window.__same_document") is True  # no full page load happened
    assert page.title().startswith("Entity listing · China")
    page.go_back()
    page.wait_for_url("**/timeline/cn/all.html")
    page.locator("h1", has_text="China").wait_for()
    assert page.events == {"dialogs": [], "errors": [], "foreign": [], "csp": []}


def test_search_finds_a_known_event_under_the_csp(site, page):
    base, _, _ = site
    page.goto(base + "search.html")
    page.wait_for_selector("form#search[data-ready]", state="attached")
    page.fill("#q", "unreliable")
    page.click("button[type=submit]")
    page.wait_for_selector("#results li a")
    results = page.locator("#results li")
    assert results.count() == 1
    assert "Ministry of Commerce" in results.first.inner_text()
    # The action filter narrows to nothing for a word that only appears in another type.
    page.select_option("#f-action", label="License action (2)")
    page.click("button[type=submit]")
    # (a locator, not wait_for_function: the site's CSP forbids the eval that one uses)
    page.locator("#status", has_text=re.compile(r"^0 ")).wait_for()
    page.select_option("#f-action", value="")
    page.fill("#q", "H20")
    page.click("button[type=submit]")
    page.wait_for_selector("#results li a")
    shot(page, "search")
    page.locator("#results li a").first.click()
    page.wait_for_url("**/events/a1b2c3d4e5f60001.html")
    assert page.events == {"dialogs": [], "errors": [], "foreign": [], "csp": []}


def test_feed_link(site, page):
    base, _, _ = site
    page.goto(base + "timeline/all/all.html")
    href = page.locator('link[rel=alternate][type="application/atom+xml"]').get_attribute("href")
    response = page.request.get(page.url.rsplit("/", 1)[0] + "/" + href)
    assert response.ok
    feed = feedparser.parse(response.body())
    assert not feed.bozo and feed.feed.title.startswith("All stories")
    footer = page.get_by_role("link", name="Atom feed of this page")
    assert footer.get_attribute("href") == href


@pytest.mark.parametrize("scheme", ["http", "file"])
def test_hostile_content_executes_nothing(site, page, scheme):
    base, out, docs = site
    root = base if scheme == "http" else out.as_uri() + "/"
    page.add_init_script("window.__ran = []; window.alert = (m) => window.__ran.push(m);")
    for rel in ["events/a1b2c3d4e5f60004.html", "entities/evil.html",
                f"documents/{docs['evil']}.html", "timeline/all/all.html", "index.html",
                "entities.html", "sources.html"]:
        page.goto(root + rel)
        page.wait_for_load_state("load")
        assert page.evaluate("window.__ran") == [], rel
        assert page.locator("img").count() == 0, rel
        # The hostile markup is there, as text.
        if rel.startswith(("events/", "documents/")):
            assert "<script>alert(1)</script>" in page.locator("main").inner_text()
        assert page.locator('a[href^="javascript:"]').count() == 0, rel
    shot(page, f"hostile-{scheme}")
    assert page.events["dialogs"] == [] and page.events["errors"] == []
    assert page.events["foreign"] == []


TEMPLATES = {  # one page of every template (and each variant of the list pages)
    "home": "index.html", "timeline": "timeline/all/all.html",
    "timeline-month": "timeline/all/all/2024-03.html", "event": "events/a1b2c3d4e5f60001.html",
    "entity": "entities/us-bis.html", "entity-month": "entities/us-bis/2024-03.html",
    "document": None, "source": "sources/bis-press.html", "sources": "sources.html",
    "entities": "entities.html", "actions": "actions.html", "countries": "countries.html",
    "methodology": "methodology.html", "downloads": "downloads.html", "search": "search.html",
}


def test_axe_finds_no_serious_or_critical_violation(site, story_site, browser):
    if not AXE.exists():
        # CI sets RIVALRY_REQUIRE_AXE=1 so a missing install fails instead of skipping.
        if os.environ.get("RIVALRY_REQUIRE_AXE"):
            pytest.fail(f"{AXE} missing: npm ci --prefix tests/site_axe")
        pytest.skip("needs axe-core: npm ci --prefix tests/site_axe")
    base, _, docs = site
    # axe is injected as an inline script, which the site's own policy rightly forbids.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    found = {}
    pages = [(n, base + (rel or f"documents/{docs['bis']}.html")) for n, rel in TEMPLATES.items()]
    pages += [("story", story_site + "stories/5000000000000001.html"),
              ("timeline-stories", story_site + "timeline/all/all.html")]
    for name, url in pages:
        rel = url
        pg.goto(url)
        pg.add_script_tag(path=str(AXE))
        result = pg.evaluate("""async () => {
            const r = await axe.run(document, {resultTypes: ["violations"]});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                           nodes: v.nodes.slice(0, 3).map(n => n.html)}));
        }""")
        bad = [v for v in result if v["impact"] in ("serious", "critical")]
        if bad:
            found[rel] = bad
        shot(pg, f"desktop-{name}")
    context.close()
    assert not found, found


# --- what a reader meets first: headlines, counts, search, filters, the phone layout ----------

def _search(page, base, query):
    page.goto(base + "search.html" + query)
    page.wait_for_selector("form#search[data-ready]", state="attached")
    page.locator("#status", has_text=re.compile(r"^\d+ reports? found")).wait_for()
    return page.locator("#results li")


def test_headlines_lead_and_dates_show_their_precision(site, story_site, page):
    base, _, _ = site
    page.goto(base + "timeline/all/all.html")
    heads = page.locator("li.event p.headline a").all_inner_texts()
    assert heads and not [h for h in heads if h.lower().startswith("unknown")]
    first = page.locator("li.event").first
    assert first.locator("p.headline").count() == 1 and first.locator("p.who").count() == 1
    page.goto(base + "events/a1b2c3d4e5f60001.html")
    assert page.locator("h1").inner_text() == "BIS requires a license for the H20 exports to China."
    assert page.locator("article p.who").inner_text().startswith("Bureau of Industry and Security")
    facts = page.locator("dl.facts").inner_text()
    assert "15 April 2025" in facts and "16 April 2025" in facts  # event and publication apart
    page.goto(base + "events/b000000000000002.html")  # stated to the month only
    assert "March 2024" in page.locator("dl.facts").inner_text()
    assert "3 March 2024" not in page.locator("dl.facts").inner_text()
    page.goto(story_site + "stories/5000000000000001.html")
    assert page.locator("h1").inner_text() == "MOFCOM announces countermeasures"
    assert "AI Rivalry Tracker, “MOFCOM announces countermeasures”" in page.locator("p.cite").inner_text()
    assert page.locator("dt", has_text="Reports").locator("xpath=following-sibling::dd[1]").inner_text() \
        == "2 reports in 2 sources"


def test_counts_agree_between_home_timeline_and_chart(story_site, page):
    page.goto(story_site + "index.html")
    lede = page.locator("p.lede").first.inner_text()
    assert lede.startswith("4 stories from 5 reports")
    page.locator("details", has_text="The numbers").locator("summary").click()
    per_month = [int(n) for n in page.locator("section.chart tbody td:nth-child(2)").all_inner_texts()]
    page.goto(story_site + "timeline/all/all.html")
    assert page.locator("p.lede").first.inner_text().startswith("4 stories")
    assert sum(per_month) == page.locator("li.event").count() == 4


def test_search_ranks_the_exact_model_number_first_and_shows_its_facts(site, page):
    base, _, _ = site
    for order in ("", "&sort=newest"):
        results = _search(page, base, "?q=H20" + order)
        assert results.count() >= 2
        assert results.first.locator("p.headline").inner_text() == \
            "BIS requires a license for the H20 exports to China."
        texts = results.all_inner_texts()
        assert any("H200" in t for t in texts[1:])
    facts = results.first.locator("p.meta").inner_text()
    assert "15 April 2025" in facts and "License action" in facts and "source: bis-press" in facts
    assert page.events["errors"] == [] and page.events["csp"] == []


def test_search_filters_take_the_sites_codes_and_a_date_range(site, page):
    base, _, _ = site
    results = _search(page, base, "?country=cn")
    assert page.locator("#f-country").input_value() == "cn"
    chinese = results.count()
    assert chinese >= 2 and all("Ministry of Commerce" in t or "<script>" in t or "China" in t
                                for t in results.all_inner_texts())
    results = _search(page, base, "?country=China")  # the name works too
    assert page.locator("#f-country").input_value() == "cn" and results.count() == chinese
    results = _search(page, base, "?action=license-action")
    assert results.count() == 2
    # A date range and the order by date.
    results = _search(page, base, "?q=BIS&from=2024-03&to=2024-04&sort=oldest")
    dates = results.locator("p.meta").all_inner_texts()
    assert dates and all(("March 2024" in d or "April 2024" in d) for d in dates), dates
    assert "March 2024" in dates[0] and "April 2024" in dates[-1]
    results = _search(page, base, "?q=BIS&from=2030-01")
    assert results.count() == 0


def test_phone_layout_folds_the_filters_and_keeps_the_chart_readable(site, browser, page):
    base, _, _ = site
    page.goto(base + "timeline/all/all.html")
    page.wait_for_selector("html[data-filters=ready]", state="attached")
    assert not page.locator("nav.filters").is_visible()
    page.locator("details.filter-box > summary").click()
    assert page.locator("nav.filters").is_visible()
    page.goto(base + "index.html")
    labels = [t for t in page.locator("section.chart text.tick").all() if t.is_visible()]
    assert labels
    for label in labels:  # rendered at least 8 px high at 390 px wide
        assert label.bounding_box()["height"] >= 8
    fills = set(page.locator("section.chart rect[fill]").evaluate_all("rs => rs.map(r => r.getAttribute('fill'))"))
    from sitegen.chart import OTHER_FILL, PALETTE
    assert fills <= set(PALETTE) | {OTHER_FILL}
    wide = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = wide.new_page()
    pg.goto(base + "timeline/all/all.html")
    assert pg.locator("nav.filters").is_visible()
    assert not pg.locator("details.filter-box > summary").is_visible()
    wide.close()


def test_small_things(site, page):
    base, out, _ = site
    page.goto(base + "index.html")
    assert page.locator('meta[property="og:title"]').get_attribute("content") == "Latest stories"
    assert page.locator('meta[name="twitter:card"]').count() == 1
    icon = page.locator('link[rel=icon]').get_attribute("href")
    assert page.request.get(base + icon).ok
    assert "<urlset" in page.request.get(base + "sitemap.xml").text()
    page.goto(base + "404.html")
    assert page.locator("h1").inner_text() == "Page not found"
    page.emulate_media(media="print")
    page.goto(base + "timeline/all/all.html")
    assert not page.locator("header.site nav").is_visible()
    page.emulate_media(media="screen")
    page.goto(base + "entities.html")
    listed = page.locator("main a").all_inner_texts()
    assert "Nvidia" in listed and "H20" in listed


def test_each_page_downloads_what_it_lists(site, page):
    import csv
    import io
    import json
    base, out, _ = site

    def fetch(rel, fmt, count="main p.lede"):
        page.goto(base + rel)
        page.wait_for_selector("html[data-downloads=ready]", state="attached")
        with page.expect_download() as info:
            page.locator(f"a.list-download[data-format={fmt}]").click()
        shown = page.locator(count).first.inner_text()  # how many stories the page says it lists
        return Path(info.value.path()).read_bytes(), int(re.match(r"(\d+)", shown).group(1))

    whole, n = fetch("timeline/all/all.html", "csv")
    assert whole == (out / "downloads/stories.csv").read_bytes()  # the same bytes as the build's
    china, n = fetch("timeline/cn/all.html", "csv")
    rows = list(csv.DictReader(io.StringIO(china.decode("utf-8"))))
    assert len(rows) == n and all("CN" in (r["actor_country"], r["target_country"]) for r in rows)
    listing, n = fetch("timeline/all/export-control.html", "json")
    assert len(json.loads(listing)) == n == 60
    nvidia, n = fetch("entities/nvidia.html", "json",
                      "xpath=//dt[.='Stories']/following-sibling::dd[1]")
    rows = json.loads(nvidia)
    assert len(rows) == n == 4 and all("nvidia" in (r["actor_id"], r["target_id"], r["object_id"])
                                       for r in rows)
    assert page.events["errors"] == [] and page.events["csp"] == []
