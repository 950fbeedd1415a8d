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
# The report site ships its own Mermaid bundle (pinned and verified in the script), because its
# pages must render diagrams offline instead of loading the script from a CDN.
MERMAID_JS := src/assay/report/assets/mermaid.min.js
# The browser tests drive the system's chromium through Playwright, never a browser Playwright
# downloads itself; on Debian and Ubuntu `make test` installs it with apt-get (sudo if not root).
CHROMIUM_PACKAGE ?= chromium

.PHONY: bytecode demo test soak install install-test install-torch install-chromium mermaid benchmarks mutation clean

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

# Phony, so the script runs every time: it checks the file's sha256 and does nothing when it is
# already the pinned bundle, and so repairs a truncated or stale copy that a file target would keep.
mermaid:
	$(PYTHON) scripts/fetch_mermaid.py $(MERMAID_JS)

# No stamp file: the check looks for the binary on every run, so a machine where chromium was
# removed (or a venv copied from elsewhere) gets it back instead of failing in the browser tests.
install-chromium:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then \
		exit 0; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
		echo "make: the browser tests need chromium; install it with your package manager" >&2; exit 1; \
	elif [ "$$(id -u)" -eq 0 ]; then \
		set -x; apt-get update && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(CHROMIUM_PACKAGE); \
	elif command -v sudo >/dev/null 2>&1; then \
		set -x; sudo apt-get update && \
		sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(CHROMIUM_PACKAGE); \
	else \
		echo "make: the browser tests need chromium and this user can neither apt-get nor sudo;" \
			"install it as root: apt-get install -y --no-install-recommends $(CHROMIUM_PACKAGE)" >&2; \
		exit 1; \
	fi

# An editable install leaves the package's modules uncompiled; where PYTHONDONTWRITEBYTECODE
# is set, every process (the CLI and each cluster worker) would compile them again at start.
# Phony, so edited modules are recompiled; unchanged ones are skipped.
bytecode: $(VENV)/.installed
	$(BIN)/python -m compileall -q src

install: $(VENV)/.installed mermaid bytecode

install-test: $(VENV)/.installed-test mermaid bytecode

install-torch: $(VENV)/.installed-torch

demo: install
	$(BIN)/assay run report.build=true

test: install-test install-chromium
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest

# Crash-safety soak: 20 runs and sweeps killed with SIGKILL at random moments (CI runs it
# after the suite; the suite itself has a 5-round variant).
soak: install-test
	$(BIN)/python -m pytest -m soak tests/integration/test_crash_soak.py

benchmarks: install-test
	$(BIN)/python benchmarks/run_all.py

# Mutation scores of the modules in tests/mutation/modules.toml against their fast tests, one
# mutant at a time; writes benchmarks/results/mutation.json and fails below the threshold there.
#   make mutation MUTATE=src/assay/registry/gate.py    (some modules; the others' figures are kept)
MUTATE ?=
mutation: install-test
	$(BIN)/python benchmarks/mutation.py $(MUTATE)

clean:
	rm -rf $(VENV) .assay outputs multirun .pytest_cache .mypy_cache
