"""The layout of docs/architecture.md, as tests over the source files (ast, nothing imported).

The store is at the bottom: it imports nothing above it. The site reads the store, not the
analysts' module or the command line. Every connection to the database goes through the
store's connect().
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("rivalry", "crawler", "nlp", "sitegen")
# Leaf modules the store may use: they import nothing of the project themselves.
STORE_MAY_IMPORT = {"rivalry.limits", "rivalry.shutdown"}


def modules_imported(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function (relative ones resolved)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def project_imports(folder: str) -> dict[str, set[str]]:
    """file -> the project's modules it imports."""
    out = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        mods = {m for m in modules_imported(path) if m.split(".")[0] in PACKAGES}
        out[str(path.relative_to(ROOT))] = mods
    return out


def test_the_store_imports_nothing_above_it():
    allowed = {"rivalry", "rivalry.store", *STORE_MAY_IMPORT}
    wrong = {file: sorted(m for m in mods if ".".join(m.split(".")[:2]) not in allowed)
             for file, mods in project_imports("rivalry/store").items()}
    wrong = {file: mods for file, mods in wrong.items() if mods}
    assert not wrong, f"the store imports from above it: {wrong}"
    for leaf in STORE_MAY_IMPORT:
        path = ROOT / (leaf.replace(".", "/") + ".py")
        assert not {m for m in modules_imported(path) if m.split(".")[0] in PACKAGES}, leaf


def test_the_site_reads_the_store_not_the_analysts_module_or_the_command_line():
    for file, mods in project_imports("sitegen").items():
        rivalry = {m for m in mods if m.split(".")[0] == "rivalry"}
        wrong = {m for m in rivalry if not (m == "rivalry" or m.startswith("rivalry.store")
                                            or m.startswith("rivalry.installed"))}
        assert not wrong, f"{file} imports {sorted(wrong)}"
        assert not any(m.split(".")[0] == "crawler" for m in mods), file
        assert not any(m.startswith("nlp.taxonomy") or m == "nlp.tagger" for m in mods), file


def test_no_connection_to_the_database_bypasses_the_store():
    raw = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.is_relative_to(ROOT / "rivalry" / "store"):
                continue
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr == "connect" and isinstance(node.func.value, ast.Name)
                        and node.func.value.id == "sqlite3"):
                    raw.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not raw, f"use rivalry.store.connect(): {raw}"



def test_the_site_opens_no_file_of_the_tagger():
    """The methodology page's taxonomy and figures come from the store's tables: no string of
    the site's code (docstrings aside) names the tagger's files."""
    for path in sorted((ROOT / "sitegen").rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                assert not any(name in node.value for name in ("actions.toml", "eval.json", "nlp/data")), \
                    f"{path.relative_to(ROOT)}:{node.lineno}"


def test_the_events_columns_are_listed_once():
    """rows.EventRow names the events columns the site reads: the SQL, the cached row, the
    template dict and the download's event columns are made from it."""
    from sitegen import downloads
    from sitegen.data import event_dict
    from sitegen.rows import STORED, STORED_AS, EventRow, event_sql

    selected = event_sql(True).split("SELECT ", 1)[1].split(" FROM", 1)[0].split(", ")
    assert selected == [STORED_AS.get(name, name) for name in STORED]
    row = EventRow(*(["x"] * len(STORED)), action_slug="x", published=None, date="2025-01-01",
                   countries=(), key=b"k")
    ev = event_dict(row, {}, {})
    assert set(EventRow._fields) <= set(ev)
    # every download column is an event's field by name, or worked out by name in downloads.py
    assert all(name in EventRow._fields or name in downloads._VALUES for name, _ in downloads.COLUMNS)
