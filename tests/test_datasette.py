"""The shipped Datasette configuration, checked through a real Datasette server's JSON API."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from test_database_product import filled  # noqa: F401  (fixture)

METADATA = Path(__file__).resolve().parent.parent / "rivalry" / "datasette" / "metadata.json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


@pytest.fixture
def datasette(filled):  # noqa: F811
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "rivalry.cli", "datasette", "--db", str(filled),
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            get_json(f"{base}/-/versions.json")
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"datasette did not start: {proc.stderr.read().decode()}")
            time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


def test_metadata_has_canned_queries_and_describes_every_table(db_file):
    metadata = json.loads(METADATA.read_text())
    database = metadata["databases"]["rivalry"]
    assert len(database["queries"]) >= 6
    import sqlite3

    relations = {name for (name,) in sqlite3.connect(db_file).execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
        "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'documents_fts%'")}
    described = {name for name, table in database["tables"].items() if table.get("description")}
    assert relations <= described, f"describe in metadata.json: {sorted(relations - described)}"


def test_facet_search_and_canned_query_through_the_real_server(datasette):
    facets = get_json(f"{datasette}/rivalry/events.json?_facet=action&_shape=objects")
    counts = {r["value"]: r["count"] for r in facets["facet_results"]["action"]["results"]}
    assert counts == {"license_action": 1, "export_control": 1}

    found = get_json(f"{datasette}/rivalry/documents.json?_search=rare&_shape=objects")
    assert [row["title"] for row in found["rows"]] == ["China tightens export controls on rare earths"]

    chip = get_json(f"{datasette}/rivalry/actions_touching_chip.json?chip=h20&_shape=objects")
    assert [(r["actor"], r["action"], r["object"]) for r in chip["rows"]] == [
        ("Bureau of Industry and Security", "license_action", "H20")]

    agencies = get_json(f"{datasette}/rivalry/export_controls_by_agency.json"
                        "?start=2025-01-01&end=2025-12-31&_shape=objects")
    assert {r["actor_id"] for r in agencies["rows"]} == {"us-bis", "cn-mofcom"}


def test_datasette_cannot_write(datasette):
    request = urllib.request.Request(f"{datasette}/rivalry.json?sql=DELETE+FROM+events")
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(request, timeout=10)
