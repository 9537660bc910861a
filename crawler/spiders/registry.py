"""Spider classes by name, kept as import strings so validating a sources file stays light."""

KINDS = {
    "feed": "crawler.spiders.feed:FeedSpider",
    "api": "crawler.spiders.api:ApiSpider",
    "listing": "crawler.spiders.listing:ListingSpider",
    "sitemap": "crawler.spiders.sitemap:SitemapSpider",
}
# A site that needs logic gets a small subclass of its kind's spider (crawler/spiders/sites.py).
SUBCLASSES = {
    "mfa": "crawler.spiders.sites:MfaSpider",
    "doj": "crawler.spiders.sites:DojSpider",
}


def spider_class(source: dict):
    from importlib import import_module

    module, _, name = (SUBCLASSES.get(source.get("spider", "")) or KINDS[source["kind"]]).partition(":")
    return getattr(import_module(module), name)
