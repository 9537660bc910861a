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
    page.select_option("#f-action", label="License action (1)")
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
    assert not feed.bozo and feed.feed.title.startswith("All events")
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
