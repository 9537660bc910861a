"""A malformed sources file is refused with the file, the source and the field named."""

from __future__ import annotations

import pytest

from crawler.sources import DEFAULT_SOURCES, SourcesError, load_sources

GOOD = """
[[source]]
id = "ministry"
name = "Test Ministry"
kind = "feed"
url = "https://example.org/feed.xml"
"""


def load(tmp_path, text):
    path = tmp_path / "sources.toml"
    path.write_text(text)
    return load_sources(path)


def test_bundled_sources_file_is_valid():
    config = load_sources(DEFAULT_SOURCES)
    kinds = {s["kind"] for s in config["sources"]}
    assert {"feed", "api"} <= kinds


def test_defaults_are_filled_in(tmp_path):
    (source,) = load(tmp_path, GOOD)["sources"]
    assert source["delay"] == 1.0 and source["timezone"] == "UTC" and source["enabled"] is True


@pytest.mark.parametrize("text, message", [
    (GOOD.replace('kind = "feed"', 'kind = "carrier-pigeon"'), "source 'ministry': field 'kind'"),
    (GOOD + 'delay = "fast"\n', "source 'ministry': field 'delay': expected float"),
    (GOOD + 'colour = "red"\n', "source 'ministry': unknown field 'colour'"),
    (GOOD.replace('url = "https://example.org/feed.xml"', 'url = "file:///etc/passwd"'), "field 'url'"),
    (GOOD.replace('name = "Test Ministry"\n', ""), "missing required field 'name'"),
    (GOOD + GOOD, "field 'id': defined twice"),
    (GOOD.replace('id = "ministry"', 'id = "../../etc"'), "field 'id'"),
    (GOOD.replace('kind = "feed"', 'kind = "api"'), "missing required field 'fields'"),
    ("[[source]\nid=", "not valid TOML"),
    ('[defaults]\nuser_agent = 3\n', "[defaults]: field 'user_agent'"),
])
def test_malformed_file_names_file_source_and_field(tmp_path, text, message):
    with pytest.raises(SourcesError) as caught:
        load(tmp_path, text)
    assert message in str(caught.value)
    assert str(tmp_path / "sources.toml") in str(caught.value)


def test_missing_file(tmp_path):
    with pytest.raises(SourcesError, match="file not found"):
        load_sources(tmp_path / "nope.toml")


LISTING = """
[[source]]
id = "ofac"
name = "OFAC"
kind = "listing"
url = "https://ofac.treasury.gov/recent-actions"
[source.selectors]
item = "div.views-row"
[source.paging]
mode = "query"
"""


@pytest.mark.parametrize("text, message", [
    (LISTING.replace('item = "div.views-row"', 'itme = "div.views-row"'), "source 'ofac': field 'selectors.itme': unknown"),
    (LISTING.replace('mode = "query"', 'mode = "pages"'), "source 'ofac': field 'paging.mode': 'pages' is not one of"),
    (LISTING.replace('mode = "query"', 'mode = "query"\nfirst = "0"'), "field 'paging.first': expected int"),
    (LISTING.replace('[source.selectors]\nitem = "div.views-row"\n', ""), "missing required field 'selectors.item'"),
    # TOML: a key written after a sub-table belongs to that sub-table; the message says where it went.
    (LISTING + 'spider = "nope"\n', "source 'ofac': field 'paging.spider': unknown"),
    (LISTING.replace('kind = "listing"', 'kind = "listing"\nspider = "nope"'), "field 'spider': 'nope' is not one of"),
    (LISTING.replace('kind = "listing"', 'kind = "listing"\ntimezone = "Mars/Olympus"'), "field 'timezone': unknown time zone"),
    (LISTING.replace('kind = "listing"', 'kind = "listing"\nurl_pattern = "(("'), "field 'url_pattern': not a regular expression"),
    (LISTING.replace('kind = "listing"', 'kind = "listing"\ncontent = "all"'), "field 'content'"),
    (LISTING.replace('kind = "listing"', 'kind = "listing"\nrelevance_given = "china"'),
     "field 'relevance_given': use one of party, topic"),
    (LISTING.replace('kind = "listing"', 'kind = "listing"\nkeywords = ["chip", 3]'), "field 'keywords[1]'"),
    (LISTING + '[source.window]\nstart_param = "a"\nend_param = "b"\ndays = 30\n', "missing required field 'window.start'"),
    (LISTING + '[source.window]\nstart_param = "a"\nend_param = "b"\ndays = 30\nstart = "last year"\n', "field 'window.start'"),
])
def test_malformed_crawler_fields_name_the_field(tmp_path, text, message):
    with pytest.raises(SourcesError) as caught:
        load(tmp_path, text)
    assert message in str(caught.value)


def test_every_kind_is_configured_in_the_bundled_file():
    config = load_sources(DEFAULT_SOURCES)
    assert {s["kind"] for s in config["sources"]} == {"feed", "api", "listing", "sitemap"}
    assert {s.get("spider") for s in config["sources"]} >= {"mfa", "doj"}
    assert len(config["sources"]) >= 15
