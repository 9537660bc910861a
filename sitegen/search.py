"""Full-text search: Pagefind (the binary shipped in the pagefind_bin wheel) indexes the output.

Only event pages carry data-pagefind-body, so results are events; their filters (action,
country, entity) and sort key (date) are data-pagefind-* attributes in the event template.
The index goes into <site>/pagefind/ and is rebuilt whole on every build, before the swap.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path


class SearchIndexError(Exception):
    pass


def executable() -> str:
    from rivalry.installed import require

    require("pagefind_bin", "the site's search indexer (Pagefind)", "pagefind-bin>=1.1")
    import pagefind_bin

    return str(pagefind_bin.get_executable())


def index(site_dir: Path) -> float:
    """Index site_dir in place; return the seconds it took."""
    started = time.perf_counter()
    proc = subprocess.run(
        [executable(), "--site", str(site_dir), "--output-subdir", "pagefind",
         "--glob", "events/*.html", "--silent"],
        capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise SearchIndexError(f"pagefind failed ({proc.returncode}): {tail[0]}")
    return time.perf_counter() - started
