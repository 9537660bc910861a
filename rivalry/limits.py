"""How much work one input may cause: every bound the commands apply, in one place.

No single document may stall a nightly, and no single query may hang or exhaust the machine.
"""

from __future__ import annotations

# A body the crawler accepts (crawler/settings.py DOWNLOAD_MAXSIZE is this) and a file given to
# `rivalry ingest` (a .gz file: once decompressed) may be this large, no larger. Defined here,
# at the bottom, so the store and the tagger can use the bounds without importing the crawler.
MAX_BODY_BYTES = 20 * 1024 * 1024

# Characters of text stored per document; the rest is cut and the cut recorded in the
# document's `extra` ("text_cut"). spaCy's parser needs about 1 GB per 100,000 characters
# tagged at once and refuses more than 1,000,000 (E088: every tag run would fail on it);
# 300,000 characters tag in 19-29 s with the pipeline's load and 1.2 GB (measured on 2 shared
# cores), and hold all of a long press release or most of a Federal Register rule, whose
# summary and first sections come first.
MAX_TEXT_CHARS = 300_000

# `rivalry query`: a recursive CTE can run for ever and randomblob() can ask for any amount of
# memory. Lifted with --no-limits.
QUERY_TIMEOUT_SECONDS = 60
QUERY_MAX_MEMORY_MB = 512
