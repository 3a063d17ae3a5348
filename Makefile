# Two commands for a new user: `make demo` and `make test`. Everything else is set up here.
PY ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV_VERSION := 0.13.9
SRC := learn api tests benchmarks

.PHONY: install demo test lint format clean-demo help

help:
	@echo "make demo   - install, build the SYNTHETIC demo region, compute its inventory"
	@echo "make test   - install, lint (ruff, mypy) and run the test suite"
	@echo "make lint   - ruff check + ruff format --check + mypy"
	@echo "make format - ruff format + ruff check --fix"

$(BIN)/python:
	$(PY) -m venv $(VENV)

# Pinned, reproducible install: requirements.lock is `uv pip compile pyproject.toml --extra dev`.
$(STAMP): $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock -e .
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/learn demo

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
