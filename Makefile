# Two commands on a fresh machine with nothing but Python 3.11+:
#   make demo   virtual environment, install, run the default pipeline
#   make test   virtual environment, install with test extras, run the whole suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP_INSTALL := $(BIN)/python -m pip install --disable-pip-version-check --quiet
# torch is pinned and installed on its own, before anything that depends on it: an open
# `torch` requirement would pull the multi-GB CUDA build onto machines without a GPU.
# TORCH_INDEX picks the build where the default index does not serve the wanted one:
#   make test TORCH_INDEX=https://download.pytorch.org/whl/cpu     (CPU only)
#   make test TORCH_INDEX=https://download.pytorch.org/whl/cu126   (CUDA 12.6)
TORCH_VERSION ?= 2.13.0
TORCH_INDEX ?=

.PHONY: demo test install install-test install-torch benchmarks clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(PIP_INSTALL) -e .
	touch $@

$(VENV)/.installed-torch: $(BIN)/python
	$(PIP_INSTALL) $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) torch==$(TORCH_VERSION)
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed $(VENV)/.installed-torch
	$(PIP_INSTALL) -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

install-torch: $(VENV)/.installed-torch

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
