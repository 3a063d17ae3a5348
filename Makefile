# Two commands for a new user: `make demo` and `make test`. Everything else is set up here.
PY ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV_VERSION := 0.13.9
SRC := learn api tests benchmarks

.PHONY: install compile-project demo test lint format clean-demo help

help:
	@echo "make demo   - install, build the SYNTHETIC demo region, compute its inventory, serve the map"
	@echo "              (on http://127.0.0.1:8000/; another port: make demo PORT=8123)"
	@echo "make test   - install, lint (ruff, mypy) and run the test suite"
	@echo "make lint   - ruff check + ruff format --check + mypy"
	@echo "make format - ruff format + ruff check --fix"

$(BIN)/python:
	$(PY) -m venv $(VENV)

# Pinned, reproducible install: requirements.lock is `uv pip compile pyproject.toml --extra dev --extra bench --extra notebooks`.
# Bytecode is compiled at install (uv does not by default, and machines and CI images with PYTHONDONTWRITEBYTECODE=1
# never write it later): without it every `learn` process compiles the stack again (import learn.pipeline.batch 2.5 s vs 0.8 s).
$(STAMP): $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.lock -e .
	touch $(STAMP)

# The project's own packages (an editable install, so not in site-packages): compiled on every install, which is a
# no-op for unchanged files.
compile-project: $(STAMP)
	$(BIN)/python -m compileall -q -j 0 learn api

install: $(STAMP) compile-project webmap-deps browser-deps

# `make demo PORT=8123` serves the map on another port (`learn demo --port`).
PORT ?= 8000
demo: install
	$(BIN)/learn demo --port $(PORT)

lint: install
	$(BIN)/ruff check $(SRC)
	$(BIN)/ruff format --check $(SRC)
	$(BIN)/mypy

format: install
	$(BIN)/ruff format $(SRC)
	$(BIN)/ruff check --fix $(SRC)

test: install lint
	$(BIN)/python -m pytest

clean-demo:
	rm -rf data/demo outputs/demo

# ---- web map and browser tests ------------------------------------------------------------------------------
# `install` should depend on webmap-deps and browser-deps (Leaflet & co. from npm, Debian's chromium and pango).
WEBMAP_STAMP := webmap/node_modules/.installed

.PHONY: webmap-deps browser-deps test-browser docs-screenshot

$(WEBMAP_STAMP): webmap/package.json webmap/package-lock.json
	cd webmap && npm ci --no-audit --no-fund
	touch $(WEBMAP_STAMP)

webmap-deps: $(WEBMAP_STAMP)

# Debian packages: chromium (browser tests) and the pango/harfbuzz/fontconfig libraries and fonts WeasyPrint
# needs for the PDF report (chromium depends on most of them already).
PDF_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libfontconfig1 fonts-liberation fonts-dejavu-core

browser-deps:
	command -v chromium || (apt-get update && apt-get install -y chromium)
	dpkg -s $(PDF_DEBS) >/dev/null 2>&1 || (apt-get update && apt-get install -y $(PDF_DEBS))

test-browser: install webmap-deps browser-deps
	$(BIN)/python -m pytest tests/test_browser.py

docs-screenshot: install webmap-deps browser-deps
	LEARN_DOCS_SCREENSHOT=1 $(BIN)/python -m pytest tests/test_browser.py tests/test_browser_compare.py \
		-k "keyboard_selects or compare_two_jurisdictions_on_the_map"
