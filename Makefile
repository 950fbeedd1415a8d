# Two commands on a fresh machine with nothing but Python 3.11+:
#   make demo   virtual environment, install, run the default pipeline
#   make test   virtual environment, install with test extras, run the whole suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Where no GPU exists, torch comes from the CPU build: a plain `torch` requirement would pull
# the multi-GB CUDA build.
PIP_INSTALL := $(BIN)/python -m pip install --disable-pip-version-check --quiet

.PHONY: demo test install install-test benchmarks clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(PIP_INSTALL) -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP_INSTALL) -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/assay run

test: install-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest

benchmarks: install-test
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .assay outputs multirun .pytest_cache .mypy_cache
