# Two commands a newcomer needs: `make demo` and `make test`. Both run `make setup` first,
# which is idempotent: it rebuilds the venv only when pyproject.toml changes.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.day3-installed
TORCH_VERSION := 2.13.0

.PHONY: setup system demo test test-fast lint format clean slides notebooks

setup: $(STAMP) system

# What pip cannot install: Debian's Chromium (browser tests of the demo app and the slide
# screenshot) and Node.js (Marp CLI renders the slides). Installed when we are root and apt
# exists; otherwise those tests skip and say why.
system:
	@command -v chromium >/dev/null && command -v npx >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium nodejs npm \
	      >/dev/null || echo "note: apt-get could not install chromium/nodejs; browser tests skip"; \
	  else echo "note: no chromium or npx here (sudo apt-get install chromium nodejs npm); browser and slide tests skip"; fi; }

# torch first, pinned: the CPU wheel lies on this machine's disk; a bare `torch` requirement
# would otherwise resolve to a multi-GB CUDA build.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==$(TORCH_VERSION)
	$(PIP) install -q -e '.[dev]'
	@touch $@

# The day in one run (offline, embedded data, a few minutes on 2 cores): data, zero-shot
# baseline, LoRA, evaluation, forgetting, model card + push dry run, report.
demo: setup
	$(PY) 4_WrapUpAndDemo/journey_demo.py

# One worker per core (pytest-xdist); each worker's torch gets cores / workers threads
# (tests/conftest.py), so the workers never fight over the cores.
test: setup
	$(PY) -m pytest -n auto --dist worksteal

test-fast: setup
	$(PY) -m pytest -n auto --dist worksteal -m "not slow and not integration"

# Every lesson as a Jupyter notebook, beside its .py (the .py is the source: edit it, then remake
# them). --update keeps the outputs of a notebook already run; git ignores the .ipynb files.
NOTEBOOKS := $(patsubst %.py,%.ipynb,$(wildcard [0-9]_*/*.py))

notebooks: setup $(NOTEBOOKS)

%.ipynb: %.py
	$(VENV)/bin/jupytext --quiet --to ipynb --set-kernel python3 --update $<

# The five decks as HTML in build/slides/ (Marp CLI from npm via npx, cached; no browser).
slides:
	Slides/render.sh build/slides

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf runs .pytest_cache .ruff_cache [0-9]_*/*.ipynb [0-9]_*/.ipynb_checkpoints
