"""How much work one input may cause: every bound the commands apply, in one place.

No single document may stall a nightly, and no single query may hang or exhaust the machine.
"""

from __future__ import annotations

from crawler.settings import DOWNLOAD_MAXSIZE

# A file given to `rivalry ingest` may be as large as a body the crawler accepts, no larger
# (a .gz file: once decompressed).
MAX_BODY_BYTES = DOWNLOAD_MAXSIZE

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
