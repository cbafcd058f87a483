# Two commands a newcomer needs: `make demo` and `make test`. Both run `make setup` first,
# which is idempotent: it rebuilds the venv only when pyproject.toml changes.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.day3-installed
TORCH_VERSION := 2.13.0

.PHONY: setup demo test test-fast lint format clean

setup: $(STAMP)

# torch first, pinned: the CPU wheel lies on this machine's disk; a bare `torch` requirement
# would otherwise resolve to a multi-GB CUDA build.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==$(TORCH_VERSION)
	$(PIP) install -q -e '.[dev]'
	@touch $@

demo: setup
	$(PY) 3_FineTuning/distilbert_finetuning.py --output runs/demo --overwrite

test: setup
	$(PY) -m pytest

test-fast: setup
	$(PY) -m pytest -m "not slow and not integration"

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf runs .pytest_cache .ruff_cache
