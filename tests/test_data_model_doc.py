"""docs/data-model.md describes every table, view and column of a fresh database."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "data-model.md"


def documented_columns() -> dict[str, set[str]]:
    """Section heading `### `name`` -> the column names in its table's first cells."""
    sections, current = {}, None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if match := re.match(r"^### `(\w+)`", line):
            current = sections.setdefault(match.group(1), set())
        elif current is not None and line.startswith("| `"):
            current.update(re.findall(r"`(\w+)`", line.split("|")[1]))
    return sections


def test_every_table_view_and_column_is_documented(db_file):
    conn = sqlite3.connect(db_file)
    relations = [name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
        "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'documents_fts%'")]
    documented = documented_columns()
    missing = {}
    for name in relations:
        columns = {row[1] for row in conn.execute(f"PRAGMA table_info([{name}])")}
        gap = columns - documented.get(name, set())
        if name not in documented or gap:
            missing[name] = sorted(gap) or "(no section)"
    assert not missing, f"document these in docs/data-model.md: {missing}"
