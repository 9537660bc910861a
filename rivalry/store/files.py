"""Files made from the store's rows: cells a spreadsheet will not run, and files a reader never
sees half written. Used by the CLI's exports and the site's downloads."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """Spreadsheets run a cell starting with = + - @ as a formula; crawled text must not be one.
    Such strings get a leading apostrophe (shown as text); numbers and other values pass."""
    if value.__class__ is str and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_file_atomically(path: Path, fill) -> None:
    """Write through a temporary file in the same folder, then rename: readers see the old
    file or the new one, never a half-written one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fill(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
