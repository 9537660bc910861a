"""Action descriptions for the methodology page, read from the tagger's shared data file.

The site does not import the tagger: it reads the same TOML the tagger reads, and copes with it
being absent or shaped differently (then only the codes seen in the data are listed).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ACTIONS_TOML = Path(__file__).resolve().parent.parent / "nlp" / "data" / "actions.toml"


def descriptions(path: Path = ACTIONS_TOML) -> dict[str, str]:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    table = data.get("actions", data)
    out = {}
    if isinstance(table, dict):
        for code, spec in table.items():
            if isinstance(spec, dict) and isinstance(spec.get("description"), str):
                out[str(code)] = spec["description"]
    elif isinstance(table, list):  # [[actions]] code = ..., description = ...
        for spec in table:
            if isinstance(spec, dict) and isinstance(spec.get("code"), str):
                out[spec["code"]] = str(spec.get("description", ""))
    return out
